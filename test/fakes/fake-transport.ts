/**
 * The one in-memory Transport for unit tests (src/transport): a connection whose channels record what an engine
 * declares, publishes, acks, rejects and asks for (QoS), and let a test deliver messages to its consumers. Engines
 * under test (worker, control client, event receiver, shell session) see exactly the interface they see in
 * production; nothing is cast.
 *
 * Acks and rejects follow RabbitMQ's rules (rabbit_channel:collect_acks): `ack(tag, multiple=true)` settles every
 * unacked tag up to `tag`, open ones included, and acking or rejecting a tag that is not unacked (twice, or never
 * delivered) is a channel error, `406 PRECONDITION_FAILED - unknown delivery tag N`, recorded in `errors` (the
 * channel is closed and settles nothing more), so a test sees what would kill a real channel.
 *
 * Set-up sent without waiting (the *Nowait methods) is recorded in `calls` as the AMQP method and the fields the
 * wire layer would send (src/amqp/nowait.ts), so a test can hold the set-up to Celery's.
 *
 * Queues here hold nothing by themselves: `deliver` hands a message to a consumer, `enqueue` stores one for `get`.
 * A queue counts as existing once declared (or enqueued to); `checkQueue` of another rejects with a 404 as RabbitMQ does.
 */
import { EventEmitter } from 'node:events';
import { nowaitFields, type ExchangeNowaitOptions, type QueueNowaitOptions } from '../../src/amqp/nowait.js';
import { BrokerError, CamqError, ConnectionClosedError, ReplyCode } from '../../src/errors/index.js';
import type { MessageProperties, OutgoingMessage } from '../../src/protocol/index.js';
import { parseBrokerUrl, type BrokerUrl } from '../../src/transport/broker-url.js';
import type {
  ConsumeOptions,
  Delivery,
  DeliveryHandler,
  ExchangeOptions,
  PublishOptions,
  QueueOptions,
  QueueStatus,
  SetupHook,
  Transport,
  TransportChannel,
  TransportChannelEvents,
  TransportEvents,
} from '../../src/transport/index.js';
import { SafeEmitter } from '../../src/util/typed-emitter.js';

export interface Published extends OutgoingMessage {
  /** The body parsed as JSON, or the text when it is not JSON. */
  readonly body: unknown;
  /** Shortcuts into `properties`. */
  readonly headers: Record<string, unknown>;
  readonly deliveryMode: number | undefined;
}

export type NowaitCall = [method: 'exchange.declare' | 'queue.declare' | 'queue.bind' | 'basic.consume', fields: Record<string, unknown>];

interface Consumer {
  readonly queue: string;
  readonly onMessage: DeliveryHandler;
  readonly noAck: boolean;
}

export class FakeChannel implements TransportChannel {
  readonly published: Published[] = [];
  /** Every tag settled by an ack, in the order the broker settled them (a multiple ack expands to its tags). */
  readonly acked: number[] = [];
  /** The basic.ack frames as sent. */
  readonly ackFrames: { tag: number; multiple: boolean }[] = [];
  readonly rejected: { tag: number; requeue: boolean }[] = [];
  /** Channel errors the broker would have raised. */
  readonly errors: string[] = [];
  /** Delivered and not yet acked or rejected. */
  readonly unacked = new Set<number>();
  readonly prefetches: { count: number; global: boolean }[] = [];
  readonly consumers = new Map<string, Consumer>();
  /** `exchange:NAME`, `queue:NAME`, `bind:EXCHANGE->QUEUE:KEY`, `delete-queue:NAME`, … in call order. */
  readonly declared: string[] = [];
  /** Set-up sent without waiting, as the wire would carry it. */
  readonly calls: NowaitCall[] = [];
  /** Opened with publisher confirms (`openChannel({ confirm: true })`). */
  readonly confirm: boolean;
  closed = false;
  private readonly emitter = new EventEmitter();
  private readonly transport: FakeTransport;

  constructor(transport: FakeTransport, options: { readonly confirm?: boolean } = {}) {
    this.transport = transport;
    this.confirm = options.confirm ?? false;
    // The Transport contract: an `error` nobody listens to must not crash the process.
    this.emitter.on('error', () => {});
  }

  async assertExchange(exchange: string, type: string, _options?: ExchangeOptions): Promise<void> {
    this.live();
    this.declared.push(`exchange:${exchange}`);
    this.transport.exchanges.set(exchange, type);
  }
  /** Every exchange exists here unless a test removed it (`transport.missingExchanges`). */
  async checkExchange(exchange: string): Promise<void> {
    this.live();
    if (this.transport.missingExchanges.has(exchange)) throw this.fail(ReplyCode.NOT_FOUND, `NOT_FOUND - no exchange '${exchange}' in vhost '/'`);
  }
  async deleteExchange(exchange: string): Promise<void> {
    this.live();
    this.declared.push(`delete-exchange:${exchange}`);
    this.transport.exchanges.delete(exchange);
  }
  async assertQueue(queue: string, options: QueueOptions = {}): Promise<QueueStatus> {
    this.live();
    if (this.transport.refusedQueues.has(queue)) {
      throw this.fail(ReplyCode.ACCESS_REFUSED, `ACCESS_REFUSED - access to queue '${queue}' in vhost '/' refused for user 'guest'`);
    }
    this.declared.push(`queue:${queue}`);
    this.transport.queueOptions.set(queue, options);
    return this.transport.queueStatus(queue, true);
  }
  async checkQueue(queue: string): Promise<QueueStatus> {
    this.live();
    if (!this.transport.queues.has(queue)) throw this.fail(ReplyCode.NOT_FOUND, `NOT_FOUND - no queue '${queue}' in vhost '/'`);
    return this.transport.queueStatus(queue, false);
  }
  async deleteQueue(queue: string): Promise<{ messageCount: number }> {
    this.live();
    this.declared.push(`delete-queue:${queue}`);
    const messageCount = this.transport.queues.get(queue)?.length ?? 0;
    this.transport.queues.delete(queue);
    return { messageCount };
  }
  async purgeQueue(queue: string): Promise<{ messageCount: number }> {
    this.live();
    const held = this.transport.queues.get(queue) ?? [];
    const messageCount = held.length;
    held.length = 0;
    return { messageCount };
  }
  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    this.live();
    this.declared.push(`bind:${exchange}->${queue}:${routingKey}`);
  }
  async unbindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    this.live();
    this.declared.push(`unbind:${exchange}->${queue}:${routingKey}`);
  }
  async bindExchange(destination: string, source: string, routingKey: string): Promise<void> {
    this.live();
    this.declared.push(`bind-exchange:${source}->${destination}:${routingKey}`);
  }

  declareExchangeNowait(exchange: string, type: string, options: ExchangeNowaitOptions): void {
    this.transport.exchanges.set(exchange, type);
    this.calls.push(['exchange.declare', nowaitFields['exchange.declare'](exchange, type, options)]);
  }
  declareQueueNowait(queue: string, options: QueueNowaitOptions): void {
    this.transport.queueStatus(queue, true);
    this.calls.push(['queue.declare', nowaitFields['queue.declare'](queue, options)]);
  }
  bindQueueNowait(queue: string, exchange: string, routingKey: string): void {
    this.calls.push(['queue.bind', nowaitFields['queue.bind'](queue, exchange, routingKey)]);
  }
  consumeNowait(queue: string, consumerTag: string, onMessage: DeliveryHandler, options: { readonly noAck: boolean }): void {
    this.consumers.set(consumerTag, { queue, onMessage, noAck: options.noAck });
    this.calls.push(['basic.consume', nowaitFields['basic.consume'](queue, consumerTag, options)]);
  }

  async consume(queue: string, onMessage: DeliveryHandler, options: ConsumeOptions = {}): Promise<{ consumerTag: string }> {
    this.live();
    const consumerTag = options.consumerTag ?? `ctag-${queue}-${this.consumers.size}`;
    this.consumers.set(consumerTag, { queue, onMessage, noAck: options.noAck ?? false });
    return { consumerTag };
  }
  async cancel(consumerTag: string): Promise<void> {
    this.live();
    this.consumers.delete(consumerTag);
  }
  async get(queue: string, options: { readonly noAck?: boolean } = {}): Promise<Delivery | false> {
    this.live();
    const held = this.transport.queues.get(queue);
    const message = held?.shift();
    if (!message) return false;
    const delivery = this.delivery(queue, message, this.transport.nextTag++, held!.length);
    if (!options.noAck) this.unacked.add(delivery.fields.deliveryTag);
    return delivery;
  }
  async prefetch(count: number, global = false): Promise<void> {
    this.live();
    this.prefetches.push({ count, global });
  }
  ack(message: Delivery, allUpTo = false): void {
    const tag = message.fields.deliveryTag;
    this.ackFrames.push({ tag, multiple: allUpTo });
    if (!this.settleable(tag)) return;
    const tags = allUpTo ? [...this.unacked].filter((t) => t <= tag).sort((a, b) => a - b) : [tag];
    for (const t of tags) {
      this.unacked.delete(t);
      this.acked.push(t);
    }
  }
  nack(message: Delivery, _allUpTo = false, requeue = true): void {
    this.reject(message, requeue);
  }
  reject(message: Delivery, requeue = true): void {
    const tag = message.fields.deliveryTag;
    if (!this.settleable(tag)) return;
    this.unacked.delete(tag);
    this.rejected.push({ tag, requeue });
  }
  async recover(): Promise<void> {
    this.live();
  }

  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    properties: MessageProperties & PublishOptions = {},
    onConfirm?: (err: CamqError | null) => void,
  ): boolean {
    if (this.closed) throw new ConnectionClosedError();
    let body: unknown;
    try {
      body = JSON.parse(content.toString('utf8'));
    } catch {
      body = content.toString('utf8');
    }
    this.published.push({
      exchange,
      routingKey,
      content,
      properties,
      body,
      headers: { ...properties.headers },
      deliveryMode: properties.deliveryMode,
    });
    if (properties.mandatory && this.transport.unroutable.has(routingKey)) {
      // The broker hands an unroutable mandatory message back (basic.return) before its confirm.
      const { mandatory: _m, ...kept } = properties;
      void _m;
      const fields = { replyCode: 312, replyText: 'NO_ROUTE', exchange, routingKey };
      queueMicrotask(() => this.emitter.emit('return', { content, properties: { headers: {}, ...kept }, fields }));
    }
    if (onConfirm) {
      const nacked = this.transport.nackPublishes;
      queueMicrotask(() =>
        onConfirm(nacked ? new CamqError('broker.nacked', 'the broker refused the message (basic.nack); see its log for why') : null),
      );
    }
    return !this.transport.writeBufferFull;
  }
  async waitForConfirms(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.emitter.emit('close');
  }

  on<E extends keyof TransportChannelEvents>(event: E, listener: (...args: TransportChannelEvents[E]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }
  once<E extends keyof TransportChannelEvents>(event: E, listener: (...args: TransportChannelEvents[E]) => void): this {
    this.emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }
  off<E extends keyof TransportChannelEvents>(event: E, listener: (...args: TransportChannelEvents[E]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }
  /** Emit a channel event as the transport would (`drain`, or `error` then `close` for a broker close). */
  emit<E extends keyof TransportChannelEvents>(event: E, ...args: TransportChannelEvents[E]): void {
    this.emitter.emit(event, ...args);
  }
  /** The broker closes this channel with `code text`: `error`, then `close`. */
  brokerClose(code: number, text: string): void {
    this.closed = true;
    this.emitter.emit('error', new BrokerError({ replyCode: code, replyText: text, isChannelError: true }));
    this.emitter.emit('close');
  }

  /** Deliver a message to the consumer of `queue`; returns its delivery tag. */
  deliver(
    queue: string,
    message: Pick<OutgoingMessage, 'content' | 'properties'> & { exchange?: string; routingKey?: string; redelivered?: boolean },
  ): number {
    const consumer = [...this.consumers.values()].find((c) => c.queue === queue);
    if (!consumer) throw new Error(`nobody consumes ${queue}`);
    const deliveryTag = this.transport.nextTag++;
    if (!consumer.noAck) this.unacked.add(deliveryTag);
    consumer.onMessage(this.delivery(queue, message, deliveryTag));
    return deliveryTag;
  }

  /** The broker cancels the consumers of `queue` (it was deleted): each gets null. */
  cancelConsumers(queue: string): void {
    for (const [tag, consumer] of this.consumers) {
      if (consumer.queue !== queue) continue;
      this.consumers.delete(tag);
      consumer.onMessage(null);
    }
  }

  /** Published messages whose routing key or exchange matches. */
  to(target: { exchange?: string; routingKey?: string }): Published[] {
    return this.published.filter(
      (p) =>
        (target.exchange === undefined || p.exchange === target.exchange) && (target.routingKey === undefined || p.routingKey === target.routingKey),
    );
  }

  private delivery(
    queue: string,
    message: Pick<OutgoingMessage, 'content' | 'properties'> & { exchange?: string; routingKey?: string; redelivered?: boolean },
    deliveryTag: number,
    messageCount?: number,
  ): Delivery {
    return {
      content: message.content,
      properties: { headers: {}, ...message.properties },
      fields: {
        exchange: message.exchange ?? '',
        routingKey: message.routingKey ?? queue,
        redelivered: message.redelivered ?? false,
        deliveryTag,
        consumerTag: 'x',
        ...(messageCount === undefined ? {} : { messageCount }),
      },
    };
  }
  private settleable(tag: number): boolean {
    if (this.closed) return false;
    if (this.unacked.has(tag)) return true;
    this.errors.push(`406 PRECONDITION_FAILED - unknown delivery tag ${tag}`);
    this.closed = true;
    return false;
  }
  private live(): void {
    if (this.closed) throw new ConnectionClosedError();
  }
  private fail(code: number, text: string): BrokerError {
    this.closed = true;
    const error = new BrokerError({ replyCode: code, replyText: text, isChannelError: true });
    queueMicrotask(() => {
      this.emitter.emit('error', error);
      this.emitter.emit('close');
    });
    return error;
  }
}

export class FakeTransport extends SafeEmitter<TransportEvents> implements Transport {
  readonly url: BrokerUrl;
  readonly channels: FakeChannel[] = [];
  /** Queues and the messages `get` takes from them (see `enqueue`). */
  readonly queues = new Map<string, Pick<OutgoingMessage, 'content' | 'properties'>[]>();
  readonly exchanges = new Map<string, string>();
  /** The options of each queue's latest `assertQueue` (durable, exclusive, arguments, …). */
  readonly queueOptions = new Map<string, QueueOptions>();
  /** Exchanges whose passive declare fails with 404. */
  readonly missingExchanges = new Set<string>();
  /** Queues whose (non-passive) declare fails with 403 ACCESS_REFUSED: no configure permission. */
  readonly refusedQueues = new Set<string>();
  serverProperties: Record<string, unknown> = { product: 'FakeTransport' };
  /** Routing keys no queue takes: a mandatory publish to one comes back (`return`) before its confirm. */
  readonly unroutable = new Set<string>();
  /** While true, the broker nacks every confirmed publish. */
  nackPublishes = false;
  /** While true, every publish returns false (a full write buffer); emit `drain` on the channel to continue. */
  writeBufferFull = false;
  /** Delivery tags, unique across the transport's channels. */
  nextTag = 1;
  isOpen = false;
  /** Called with each channel as it is opened, before the engine gets it (to watch a channel from its start). */
  onOpenChannel: ((channel: FakeChannel) => void) | undefined;
  private readonly hooks: SetupHook[] = [];

  constructor(url = 'amqp://guest:guest@fake:5672//') {
    super();
    this.url = parseBrokerUrl(url);
  }

  get masked(): string {
    return this.url.masked;
  }

  async connect(): Promise<this> {
    this.isOpen = true;
    for (const hook of this.hooks) await hook(this);
    this.safeEmit('connected', { attempt: 1, isReconnect: false });
    return this;
  }
  async whenOpen(): Promise<void> {
    if (!this.isOpen) throw new ConnectionClosedError();
  }
  async close(): Promise<void> {
    this.isOpen = false;
    for (const channel of this.channels) await channel.close();
  }
  async openChannel(options: { readonly confirm?: boolean } = {}): Promise<FakeChannel> {
    if (!this.isOpen) throw new ConnectionClosedError();
    const channel = new FakeChannel(this, options);
    this.channels.push(channel);
    this.onOpenChannel?.(channel);
    return channel;
  }
  async addSetup(hook: SetupHook): Promise<void> {
    this.hooks.push(hook);
    if (this.isOpen) await hook(this);
  }
  removeSetup(hook: SetupHook): void {
    const i = this.hooks.indexOf(hook);
    if (i >= 0) this.hooks.splice(i, 1);
  }

  /** A lost connection followed by a reconnect: `disconnected`, channels closed, new ones from the hooks, `connected`. */
  async bounce(): Promise<void> {
    this.isOpen = false;
    this.safeEmit(
      'disconnected',
      new BrokerError({
        replyCode: ReplyCode.CONNECTION_FORCED,
        replyText: 'CONNECTION_FORCED - broker forced connection closure',
        isChannelError: false,
      }),
    );
    for (const channel of this.channels) await channel.close();
    this.isOpen = true;
    for (const hook of this.hooks) await hook(this);
    this.safeEmit('connected', { attempt: 1, isReconnect: true });
  }

  /** Put a message on `queue` for `get` (and make the queue exist). */
  enqueue(queue: string, message: Pick<OutgoingMessage, 'content' | 'properties'>): void {
    this.queueStatus(queue, true);
    this.queues.get(queue)!.push(message);
  }

  /** @internal The status of `queue`, creating it when asked. */
  queueStatus(queue: string, create: boolean): QueueStatus {
    if (create && !this.queues.has(queue)) this.queues.set(queue, []);
    const consumerCount = this.channels.reduce((n, c) => n + [...c.consumers.values()].filter((x) => x.queue === queue).length, 0);
    return { queue, messageCount: this.queues.get(queue)?.length ?? 0, consumerCount };
  }

  /** The channel that consumes `queue` (the latest one). */
  consumerOf(queue: string): FakeChannel {
    const found = [...this.channels].reverse().find((c) => [...c.consumers.values()].some((x) => x.queue === queue));
    if (!found) throw new Error(`no channel consumes ${queue}`);
    return found;
  }

  /** Every message published on any channel. */
  get published(): Published[] {
    return this.channels.flatMap((c) => c.published);
  }
}
