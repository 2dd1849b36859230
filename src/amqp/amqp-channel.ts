import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { CamqError } from '../errors/index.js';
import type { MessageProperties } from '../protocol/amqp-message.js';
import type { BrokerUrl } from '../transport/broker-url.js';
import type {
  ConsumeOptions,
  Delivery,
  DeliveryHandler,
  ExchangeOptions,
  PublishOptions,
  QueueOptions,
  QueueStatus,
  TransportChannel,
  TransportChannelEvents,
} from '../transport/transport-channel.js';
import { translateAmqpError } from './amqp-error.js';
import { bindQueueNowait, consumeNowait, declareExchangeNowait, declareQueueNowait } from './nowait.js';
import { toWireProperties } from './publish.js';

type Listener = (...args: unknown[]) => void;

/**
 * The transport channel on amqplib: each method forwards to amqplib's channel, with its errors turned into
 * CamqErrors (translateAmqpError) and protocol-layer properties encoded for Python peers (toWireProperties). Deliveries
 * pass through untouched (amqplib's messages have the protocol layer's IncomingMessage shape), so the hot paths
 * (consume, ack, publish) cost one extra call each. BrokerConnection.openChannel makes these.
 */
export class AmqpChannel implements TransportChannel {
  /** amqplib's channel, for the wire layer's own use (src/amqp); engines never see it. */
  readonly raw: Channel;
  private readonly confirm: ConfirmChannel | undefined;
  private readonly url: BrokerUrl | undefined;
  private readonly errorListeners = new WeakMap<Listener, Listener>();

  constructor(raw: Channel | ConfirmChannel, options: { readonly confirm?: boolean; readonly url?: BrokerUrl } = {}) {
    this.raw = raw;
    this.confirm = options.confirm ? (raw as ConfirmChannel) : undefined;
    this.url = options.url;
  }

  async assertExchange(exchange: string, type: string, options?: ExchangeOptions): Promise<void> {
    await this.call(() => this.raw.assertExchange(exchange, type, options));
  }

  async checkExchange(exchange: string): Promise<void> {
    await this.call(() => this.raw.checkExchange(exchange));
  }

  async deleteExchange(exchange: string, options?: { readonly ifUnused?: boolean }): Promise<void> {
    await this.call(() => this.raw.deleteExchange(exchange, options));
  }

  assertQueue(queue: string, options?: QueueOptions): Promise<QueueStatus> {
    return this.call(() => this.raw.assertQueue(queue, options));
  }

  checkQueue(queue: string): Promise<QueueStatus> {
    return this.call(() => this.raw.checkQueue(queue));
  }

  deleteQueue(queue: string, options?: { readonly ifUnused?: boolean; readonly ifEmpty?: boolean }): Promise<{ readonly messageCount: number }> {
    return this.call(() => this.raw.deleteQueue(queue, options));
  }

  purgeQueue(queue: string): Promise<{ readonly messageCount: number }> {
    return this.call(() => this.raw.purgeQueue(queue));
  }

  async bindQueue(queue: string, exchange: string, routingKey: string, args?: Readonly<Record<string, unknown>>): Promise<void> {
    await this.call(() => this.raw.bindQueue(queue, exchange, routingKey, args));
  }

  async unbindQueue(queue: string, exchange: string, routingKey: string, args?: Readonly<Record<string, unknown>>): Promise<void> {
    await this.call(() => this.raw.unbindQueue(queue, exchange, routingKey, args));
  }

  async bindExchange(destination: string, source: string, routingKey: string): Promise<void> {
    await this.call(() => this.raw.bindExchange(destination, source, routingKey));
  }

  declareExchangeNowait(exchange: string, type: string, options: { readonly durable: boolean; readonly autoDelete: boolean }): void {
    this.sync(() => declareExchangeNowait(this.raw, exchange, type, options));
  }

  declareQueueNowait(
    queue: string,
    options: {
      readonly durable: boolean;
      readonly exclusive: boolean;
      readonly autoDelete: boolean;
      readonly arguments?: Readonly<Record<string, unknown>>;
    },
  ): void {
    this.sync(() => declareQueueNowait(this.raw, queue, options));
  }

  bindQueueNowait(queue: string, exchange: string, routingKey: string): void {
    this.sync(() => bindQueueNowait(this.raw, queue, exchange, routingKey));
  }

  consumeNowait(queue: string, consumerTag: string, onMessage: DeliveryHandler, options: { readonly noAck: boolean }): void {
    this.sync(() => consumeNowait(this.raw, queue, consumerTag, onMessage, options));
  }

  consume(queue: string, onMessage: DeliveryHandler, options?: ConsumeOptions): Promise<{ readonly consumerTag: string }> {
    return this.call(() => this.raw.consume(queue, onMessage as (message: ConsumeMessage | null) => void, options));
  }

  async cancel(consumerTag: string): Promise<void> {
    await this.call(() => this.raw.cancel(consumerTag));
  }

  get(queue: string, options?: { readonly noAck?: boolean }): Promise<Delivery | false> {
    return this.call(() => this.raw.get(queue, options));
  }

  async prefetch(count: number, global?: boolean): Promise<void> {
    await this.call(() => this.raw.prefetch(count, global));
  }

  ack(message: Delivery, allUpTo?: boolean): void {
    try {
      this.raw.ack(message as ConsumeMessage, allUpTo);
    } catch (err) {
      throw translateAmqpError(err, this.url);
    }
  }

  nack(message: Delivery, allUpTo?: boolean, requeue?: boolean): void {
    this.sync(() => this.raw.nack(message as ConsumeMessage, allUpTo, requeue));
  }

  reject(message: Delivery, requeue?: boolean): void {
    this.sync(() => this.raw.reject(message as ConsumeMessage, requeue));
  }

  async recover(): Promise<void> {
    await this.call(() => this.raw.recover());
  }

  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    properties: MessageProperties & PublishOptions = {},
    onConfirm?: (err: CamqError | null) => void,
  ): boolean {
    try {
      if (this.confirm && onConfirm) {
        const url = this.url;
        return this.confirm.publish(exchange, routingKey, content, toWireProperties(properties), (err: unknown) =>
          onConfirm(err ? confirmError(err, url) : null),
        );
      }
      return this.raw.publish(exchange, routingKey, content, toWireProperties(properties));
    } catch (err) {
      throw translateAmqpError(err, this.url);
    }
  }

  async waitForConfirms(): Promise<void> {
    if (!this.confirm) return;
    await this.call(() => this.confirm!.waitForConfirms());
  }

  async close(): Promise<void> {
    await this.call(() => this.raw.close());
  }

  on<E extends keyof TransportChannelEvents>(event: E, listener: (...args: TransportChannelEvents[E]) => void): this {
    this.raw.on(event, this.adapt(event, listener as Listener));
    return this;
  }

  once<E extends keyof TransportChannelEvents>(event: E, listener: (...args: TransportChannelEvents[E]) => void): this {
    this.raw.once(event, this.adapt(event, listener as Listener));
    return this;
  }

  off<E extends keyof TransportChannelEvents>(event: E, listener: (...args: TransportChannelEvents[E]) => void): this {
    this.raw.off(event, this.errorListeners.get(listener as Listener) ?? (listener as Listener));
    return this;
  }

  /** An `error` listener gets amqplib's error translated (one wrapper per listener, so `off` finds it). */
  private adapt(event: keyof TransportChannelEvents, listener: Listener): Listener {
    if (event !== 'error') return listener;
    let wrapped = this.errorListeners.get(listener);
    if (!wrapped) {
      wrapped = (err: unknown) => listener(translateAmqpError(err, this.url));
      this.errorListeners.set(listener, wrapped);
    }
    return wrapped;
  }

  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw translateAmqpError(err, this.url);
    }
  }

  private sync<T>(run: () => T): T {
    try {
      return run();
    } catch (err) {
      throw translateAmqpError(err, this.url);
    }
  }
}

/** Why a confirm failed: amqplib reports a basic.nack as `message nacked` (lib/channel.js), a closed channel otherwise. */
function confirmError(err: unknown, url: BrokerUrl | undefined): CamqError {
  if (err instanceof Error && err.message === 'message nacked') {
    return new CamqError('broker.nacked', 'the broker refused the message (basic.nack); see its log for why');
  }
  return translateAmqpError(err, url);
}
