import type { Channel, ConsumeMessage } from 'amqplib';
import { hasChannelInternals, type AmqplibChannelInternals } from './amqplib-internals.js';

/**
 * Declares, binds and consumes sent without waiting for the broker's answers (AMQP's `nowait` bit), for set-up whose
 * steps do not depend on each other's replies: four round trips become none. The broker runs a channel's methods in
 * order, so a bind finds the queue declared before it and a consume finds it bound. If one of them fails, the
 * broker closes the channel and drops what came after it; the channel's 'error' and 'close' events then carry the
 * reason (`404 NOT_FOUND ...`), so watch those rather than a returned promise.
 *
 * amqplib's API has no `nowait`: each declare is an RPC, and a channel holds back its next RPC until the previous
 * one is answered, so even calls made without awaiting cost a round trip each. These send the frames through
 * amqplib's own BaseChannel.sendImmediately, and register the consumer with registerConsumer as amqplib's consume()
 * does once ConsumeOk arrives. Both are internals (absent from amqplib's type declarations), declared at the one
 * boundary amqplib-internals.ts, whose test fails if an amqplib upgrade removes them; amqplib is pinned for that
 * reason. test/unit/amqp/nowait.test.ts checks the frames encode and test/integration runs them against RabbitMQ.
 *
 * Use them on a channel with no RPC under way: they go out at once, ahead of any RPC amqplib still holds back.
 */

/** The AMQP 0-9-1 methods sent here: class id in the high 16 bits, method id in the low (amqplib's defs.js ids). */
const EXCHANGE_DECLARE = (40 << 16) | 10;
const QUEUE_DECLARE = (50 << 16) | 10;
const QUEUE_BIND = (50 << 16) | 20;
const BASIC_CONSUME = (60 << 16) | 20;

/** The amqplib BaseChannel methods used here (lib/channel.js). */
interface ChannelInternals {
  sendImmediately: AmqplibChannelInternals['sendImmediately'];
  registerConsumer(consumerTag: string, callback: (message: ConsumeMessage | null) => void): void;
}

export interface ExchangeNowaitOptions {
  readonly durable: boolean;
  readonly autoDelete: boolean;
}

export interface QueueNowaitOptions {
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly arguments?: Readonly<Record<string, unknown>>;
}

/**
 * The fields of each method as sent here, by AMQP method name: pure, so the in-memory fake transport records the same
 * frames a test can hold to Celery's set-up.
 */
export const nowaitFields = {
  'exchange.declare': (exchange: string, type: string, options: ExchangeNowaitOptions) => ({
    ticket: 0,
    exchange,
    type,
    passive: false,
    durable: options.durable,
    autoDelete: options.autoDelete,
    internal: false,
    nowait: true,
    arguments: {},
  }),
  'queue.declare': (queue: string, options: QueueNowaitOptions) => ({
    ticket: 0,
    queue,
    passive: false,
    durable: options.durable,
    exclusive: options.exclusive,
    autoDelete: options.autoDelete,
    nowait: true,
    arguments: { ...options.arguments },
  }),
  'queue.bind': (queue: string, exchange: string, routingKey: string) => ({ ticket: 0, queue, exchange, routingKey, nowait: true, arguments: {} }),
  'basic.consume': (queue: string, consumerTag: string, options: { readonly noAck: boolean }) => ({
    ticket: 0,
    queue,
    consumerTag,
    noLocal: false,
    noAck: options.noAck,
    exclusive: false,
    nowait: true,
    arguments: {},
  }),
};

export function declareExchangeNowait(channel: Channel, exchange: string, type: string, options: ExchangeNowaitOptions): void {
  internals(channel).sendImmediately(EXCHANGE_DECLARE, nowaitFields['exchange.declare'](exchange, type, options));
}

export function declareQueueNowait(channel: Channel, queue: string, options: QueueNowaitOptions): void {
  internals(channel).sendImmediately(QUEUE_DECLARE, nowaitFields['queue.declare'](queue, options));
}

export function bindQueueNowait(channel: Channel, queue: string, exchange: string, routingKey: string): void {
  internals(channel).sendImmediately(QUEUE_BIND, nowaitFields['queue.bind'](queue, exchange, routingKey));
}

/**
 * Consume `queue` under `consumerTag` (which must be unique on the channel, since there is no ConsumeOk to learn a
 * broker-made one from). `onMessage` gets null if the broker cancels the consumer, as with amqplib's consume().
 */
export function consumeNowait(
  channel: Channel,
  queue: string,
  consumerTag: string,
  onMessage: (message: ConsumeMessage | null) => void,
  options: { readonly noAck: boolean },
): void {
  const channelInternals = internals(channel);
  channelInternals.registerConsumer(consumerTag, onMessage);
  channelInternals.sendImmediately(BASIC_CONSUME, nowaitFields['basic.consume'](queue, consumerTag, options));
}

function internals(channel: Channel): ChannelInternals {
  if (!hasChannelInternals(channel, ['sendImmediately', 'registerConsumer'])) {
    throw new TypeError('this amqplib channel has no sendImmediately/registerConsumer: the nowait helpers need amqplib 2.3 (see package.json)');
  }
  return channel as unknown as ChannelInternals;
}
