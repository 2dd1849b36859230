import type { CamqError } from '../errors/index.js';
import type { IncomingMessage, MessageProperties } from '../protocol/amqp-message.js';

/**
 * A channel as camq's engines use it: AMQP 0-9-1's model (exchanges, queues, bindings, consumers, acks), which is
 * also the model kombu's virtual transports emulate on Redis and in memory (exchanges and bindings kept in the
 * broker's own structures, acks by delivery tag). So an engine written against this interface runs on any transport
 * that can offer these methods; src/amqp/amqp-channel.ts implements it on amqplib.
 *
 * Every rejection is a CamqError (a BrokerError carrying the broker's reply code where the broker refused), never a
 * library's own error type. A channel the broker closes emits `close` (and `error` first, with the reason); an
 * implementation must not let an unobserved `error` crash the process.
 */
export interface TransportChannel {
  // Exchanges
  assertExchange(exchange: string, type: string, options?: ExchangeOptions): Promise<void>;
  /** Passive declare: rejects (and the channel closes, 404) when the exchange does not exist. */
  checkExchange(exchange: string): Promise<void>;
  deleteExchange(exchange: string, options?: { readonly ifUnused?: boolean }): Promise<void>;

  // Queues
  assertQueue(queue: string, options?: QueueOptions): Promise<QueueStatus>;
  /** Passive declare: the queue's counts; rejects (and the channel closes, 404) when it does not exist. */
  checkQueue(queue: string): Promise<QueueStatus>;
  deleteQueue(queue: string, options?: { readonly ifUnused?: boolean; readonly ifEmpty?: boolean }): Promise<{ readonly messageCount: number }>;
  purgeQueue(queue: string): Promise<{ readonly messageCount: number }>;
  bindQueue(queue: string, exchange: string, routingKey: string, args?: Readonly<Record<string, unknown>>): Promise<void>;
  unbindQueue(queue: string, exchange: string, routingKey: string, args?: Readonly<Record<string, unknown>>): Promise<void>;
  /** Exchange-to-exchange binding (RabbitMQ's extension): messages `source` routes with this key go to `destination`. */
  bindExchange(destination: string, source: string, routingKey: string): Promise<void>;

  // Set-up without waiting for the broker's answers (AMQP's nowait bit), for steps that do not depend on each
  // other's replies. A failure closes the channel: watch `error`/`close`, there is no promise to reject.
  declareExchangeNowait(exchange: string, type: string, options: Required<Pick<ExchangeOptions, 'durable' | 'autoDelete'>>): void;
  declareQueueNowait(
    queue: string,
    options: Required<Pick<QueueOptions, 'durable' | 'exclusive' | 'autoDelete'>> & Pick<QueueOptions, 'arguments'>,
  ): void;
  bindQueueNowait(queue: string, exchange: string, routingKey: string): void;
  /** `consumerTag` must be unique on the channel (there is no ConsumeOk to learn a broker-made one from). */
  consumeNowait(queue: string, consumerTag: string, onMessage: DeliveryHandler, options: { readonly noAck: boolean }): void;

  // Consuming
  /** `onMessage` gets null when the broker cancels the consumer (its queue was deleted). */
  consume(queue: string, onMessage: DeliveryHandler, options?: ConsumeOptions): Promise<{ readonly consumerTag: string }>;
  cancel(consumerTag: string): Promise<void>;
  /** One message, or false when the queue is empty (basic.get). */
  get(queue: string, options?: { readonly noAck?: boolean }): Promise<Delivery | false>;
  /** Messages unacknowledged at once on this channel; `global` applies it to the channel instead of each consumer. */
  prefetch(count: number, global?: boolean): Promise<void>;
  ack(message: Delivery, allUpTo?: boolean): void;
  nack(message: Delivery, allUpTo?: boolean, requeue?: boolean): void;
  reject(message: Delivery, requeue?: boolean): void;
  /** Redeliver every unacked message of this channel (basic.recover with requeue). */
  recover(): Promise<void>;

  // Publishing
  /**
   * Queue a message for sending. False when the channel's write buffer is full: wait for `drain` before the next
   * (publishMessage does). Properties are protocol-layer ones; the transport encodes them for its peers. `mandatory`
   * asks the broker to hand an unroutable message back (event `return`). On a confirm channel, `onConfirm` is called
   * once with null (the broker has it) or a CamqError: `broker.nacked` when the broker refused it, another when the
   * channel closed first. A transport that learns more about a confirmed publish passes it as `outcome`.
   */
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    properties?: MessageProperties & PublishOptions,
    onConfirm?: (err: CamqError | null, outcome?: PublishOutcome) => void,
  ): boolean;
  /** On a confirm channel: resolves when every message published so far is confirmed, rejects when one was nacked. */
  waitForConfirms(): Promise<void>;

  close(): Promise<void>;

  on<E extends keyof TransportChannelEvents>(event: E, listener: (...args: TransportChannelEvents[E]) => void): this;
  once<E extends keyof TransportChannelEvents>(event: E, listener: (...args: TransportChannelEvents[E]) => void): this;
  off<E extends keyof TransportChannelEvents>(event: E, listener: (...args: TransportChannelEvents[E]) => void): this;
}

export interface TransportChannelEvents {
  /** The channel closed (by us, by the broker, or with its connection). */
  close: [];
  /** The broker closed the channel; the argument says why. Emitted before `close`. */
  error: [CamqError];
  /** The write buffer has room again after `publish` returned false. */
  drain: [];
  /** A mandatory message came back unroutable. */
  return: [ReturnedDelivery];
}

export interface PublishOptions {
  /** Return the message (event `return`) when no queue takes it, instead of dropping it. */
  readonly mandatory?: boolean;
}

/** What a transport learned about a publish it confirmed, beyond "the broker has it". */
export interface PublishOutcome {
  /**
   * For a publish to a fanout exchange on a transport where fanout is pub/sub (Redis: PUBLISH's reply), how many
   * subscriptions received it: for the `celery.pidbox` broadcast, the live workers' mailboxes. Absent where the
   * transport does not know (AMQP).
   */
  readonly receivers?: number;
}

/** A mandatory message the broker handed back (basic.return): why, and where it had been sent. */
export interface ReturnedDelivery {
  readonly content: Buffer;
  readonly properties: Delivery['properties'];
  readonly fields: { readonly replyCode: number; readonly replyText: string; readonly exchange: string; readonly routingKey: string };
}

/** A delivered message: body, properties as the protocol layer reads them, and delivery fields. */
export type Delivery = IncomingMessage;
export type DeliveryHandler = (message: Delivery | null) => void;

export interface ExchangeOptions {
  readonly durable?: boolean;
  readonly autoDelete?: boolean;
  readonly internal?: boolean;
  readonly arguments?: Readonly<Record<string, unknown>>;
}

export interface QueueOptions {
  readonly durable?: boolean;
  readonly exclusive?: boolean;
  readonly autoDelete?: boolean;
  /** `x-message-ttl`, `x-expires`, `x-queue-type`, `x-max-priority`, … as the broker reads them. */
  readonly arguments?: Readonly<Record<string, unknown>>;
}

export interface QueueStatus {
  readonly queue: string;
  readonly messageCount: number;
  readonly consumerCount: number;
}

export interface ConsumeOptions {
  readonly noAck?: boolean;
  readonly exclusive?: boolean;
  readonly consumerTag?: string;
  readonly priority?: number;
  readonly arguments?: Readonly<Record<string, unknown>>;
}

/**
 * The header a delivery carries instead of its own header table when that table could not be decoded (nested so
 * deep that a wire library's recursive field-table decoder overflows the stack). Its value says why. Consumers that see it
 * reject the delivery without requeue: redelivering it would fail the same way forever.
 */
export const UNDECODABLE_HEADERS = 'x-camq-undecodable-headers';
