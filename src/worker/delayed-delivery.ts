import { asCamqError, BrokerError, CamqError, ReplyCode } from '../errors/index.js';
import type { MessageProperties } from '../protocol/amqp-message.js';
import type { Delivery, ReturnedDelivery, Transport, TransportChannel } from '../transport/index.js';
import type { Logger } from '../util/logger.js';

/**
 * Long ETAs in the broker (docs/worker.md, Long ETAs): a task due further away than a threshold is published again,
 * with confirms, into RabbitMQ's delay queues and then acked, so it holds no prefetch slot and no unacked delivery
 * that `consumer_timeout` would close the channel for. It comes back to its queue when due and the worker that
 * receives it runs it (or discards it, revoked or expired, on receipt as any task).
 *
 * The delay structure is kombu's native delayed delivery, name for name and argument for argument (Celery 5.5's
 * `celery_delayed_0` … `celery_delayed_27` and `celery_delayed_delivery`), so a Celery 5.5 worker and camq workers on
 * one broker share it instead of refusing each other's declares: 28 topic exchanges and queues, queue n holding a
 * message 2ⁿ s (`x-message-ttl`) and dead-lettering it to level n-1, the routing key's 28 leading words the delay in
 * binary, and level 0 dead-lettering to `celery_delayed_delivery`. Celery 5.5 routes that last hop only through topic
 * exchanges it binds to `celery_delayed_delivery` (never direct ones, which most Celery 5.2 queues are, nor the
 * default exchange, which every Python 5.2 ETA task comes through); camq binds the task queue itself there with a
 * key of 28 words, its name and `camq` (`*.*.….*.<queue>.camq`), which only camq's own delayed copies carry: a
 * Celery 5.5 binding (`#.<routing key>`) never matches them, and a queue name that is a suffix of another's does not
 * catch its messages.
 */
export const DELAY_BITS = 28;
export const DELIVERY_EXCHANGE = 'celery_delayed_delivery';
/** The longest delay the ladder holds: 2²⁸ - 1 s (8.5 years). */
export const MAX_DELAY_SECONDS = 2 ** DELAY_BITS - 1;
/** The marker word that ends the routing key of camq's delayed copies. */
const MARKER = 'camq';

export function delayLevelName(level: number): string {
  return `celery_delayed_${level}`;
}

/** Where a delayed copy is published: the top of the ladder. */
export const DELAY_ENTRY_EXCHANGE = delayLevelName(DELAY_BITS - 1);

/** The routing key of a copy delayed `seconds` (whole, 1 … MAX_DELAY_SECONDS) that returns to `queue`. */
export function delayRoutingKey(seconds: number, queue: string): string {
  const s = Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.floor(seconds)));
  return `${[...s.toString(2).padStart(DELAY_BITS, '0')].join('.')}.${queue}.${MARKER}`;
}

/** The binding of `queue` to `celery_delayed_delivery` that takes its copies back, and only its. */
export function returnBindingKey(queue: string): string {
  return `${'*.'.repeat(DELAY_BITS)}${queue}.${MARKER}`;
}

export type DelayQueueType = 'quorum' | 'classic';

/** kombu's `declare_native_delayed_delivery_exchanges_and_queues`, step for step (the same names, arguments, keys). */
export async function declareDelayTopology(channel: TransportChannel, queueType: DelayQueueType): Promise<void> {
  let key = '1.#';
  for (let level = DELAY_BITS - 1; level >= 0; level--) {
    const name = delayLevelName(level);
    await channel.assertExchange(name, 'topic', { durable: true, autoDelete: false });
    const args: Record<string, unknown> = {
      'x-queue-type': queueType,
      'x-overflow': 'reject-publish',
      'x-message-ttl': 2 ** level * 1000,
      'x-dead-letter-exchange': level > 0 ? delayLevelName(level - 1) : DELIVERY_EXCHANGE,
    };
    if (queueType === 'quorum') args['x-dead-letter-strategy'] = 'at-least-once';
    await channel.assertQueue(name, { durable: true, autoDelete: false, arguments: args });
    await channel.bindQueue(name, name, key);
    key = `*.${key}`;
  }
  key = '0.#';
  for (let level = DELAY_BITS - 1; level > 0; level--) {
    await channel.bindExchange(delayLevelName(level - 1), delayLevelName(level), key);
    key = `*.${key}`;
  }
  await channel.assertExchange(DELIVERY_EXCHANGE, 'topic', { durable: true, autoDelete: false });
  await channel.bindExchange(DELIVERY_EXCHANGE, delayLevelName(0), key);
}

export interface DelayedDeliveryOptions {
  readonly transport: Pick<Transport, 'openChannel' | 'deadLetteringUnavailable'>;
  readonly logger: Logger;
  /**
   * Delay in the broker a task whose ETA is further away than this (ms); null: never (hold every ETA in memory, as
   * Celery 5.2 does). Lowered to half the broker's `consumer_timeout` once a channel is closed for it (not turned on).
   */
  readonly thresholdMs: number | null;
}

/** The default threshold: 5 minutes, well inside RabbitMQ's default `consumer_timeout` (30 min). */
export const DEFAULT_ETA_DELAY_AFTER_MS = 300_000;

export class DelayedDelivery {
  private thresholdMs: number | null;
  private readonly transport: DelayedDeliveryOptions['transport'];
  private readonly logger: Logger;
  /** The topology, declared once per connection (or again after the broker closed the channel). */
  private topology: Promise<TransportChannel> | undefined;
  private readonly bound = new Map<string, Promise<void>>();
  /** Why the broker cannot hold delayed copies (the embedded broker, a refused declare): ETAs stay in memory. */
  private unsupported: string | undefined;
  /** Copies the broker handed back unroutable, by correlation id, until their confirm comes. */
  private readonly returned = new Set<string>();

  constructor(options: DelayedDeliveryOptions) {
    this.transport = options.transport;
    this.logger = options.logger;
    this.thresholdMs = options.thresholdMs;
  }

  get threshold(): number | null {
    return this.thresholdMs;
  }

  /** True when a task due at `etaMs` should wait in the broker rather than in memory. */
  wants(etaMs: number, nowMs: number): boolean {
    if (this.thresholdMs === null || this.unsupported !== undefined) return false;
    const wait = etaMs - nowMs;
    return wait > this.thresholdMs && wait >= 1000;
  }

  /** The broker closed a channel for `consumer_timeout` (ms): hold nothing for more than half of it from now on. */
  lowerThreshold(consumerTimeoutMs: number): void {
    const half = Math.floor(consumerTimeoutMs / 2);
    if (this.thresholdMs !== null && this.thresholdMs > half) this.thresholdMs = half;
  }

  /** The connection is gone: declare and bind again on the next delay. */
  reset(): void {
    this.topology = undefined;
    this.bound.clear();
  }

  /**
   * Publish a copy of `delivery` (body and properties as they came) into the ladder, to come back to `queue` at
   * `etaMs`; resolves when the broker confirmed it (the caller acks the original then), rejects when it could not.
   * The delay is rounded down to whole seconds: the copy comes back up to a second early and waits that in memory.
   */
  async delay(delivery: Delivery, queue: string, etaMs: number, nowMs: number): Promise<void> {
    if (this.unsupported !== undefined) throw new CamqError('worker.delay-unavailable', this.unsupported);
    const channel = await this.ready(queue);
    const { expiration: _dropped, ...properties } = delivery.properties as MessageProperties;
    void _dropped; // a per-message TTL would dead-letter the copy down the ladder early
    const key = delivery.properties.correlationId ?? delivery.properties.messageId ?? '';
    await new Promise<void>((resolve, reject) => {
      channel.publish(
        DELAY_ENTRY_EXCHANGE,
        delayRoutingKey((etaMs - nowMs) / 1000, queue),
        delivery.content,
        { ...properties, mandatory: true },
        (err) => {
          const wasReturned = key !== '' && this.returned.delete(key);
          if (err) reject(err);
          else if (wasReturned) {
            this.reset();
            reject(new CamqError('worker.delay-unavailable', `no delay queue took it (was ${DELAY_ENTRY_EXCHANGE} unbound?)`));
          } else resolve();
        },
      );
    });
  }

  private ready(queue: string): Promise<TransportChannel> {
    this.topology ??= this.declare().catch((err: unknown) => {
      this.topology = undefined;
      throw err;
    });
    return this.topology.then(async (channel) => {
      let binding = this.bound.get(queue);
      if (!binding) {
        binding = channel.bindQueue(queue, DELIVERY_EXCHANGE, returnBindingKey(queue));
        this.bound.set(queue, binding);
        binding.catch(() => this.bound.delete(queue));
      }
      await binding;
      return channel;
    });
  }

  /** Declare the ladder (quorum queues, as Celery 5.5 by default; classic where they were declared so) on a confirm channel. */
  private async declare(): Promise<TransportChannel> {
    const unavailable = this.transport.deadLetteringUnavailable;
    if (unavailable !== undefined) this.refuse(unavailable);
    let lastError: CamqError | undefined;
    for (const type of ['quorum', 'classic'] as const) {
      const channel = await this.transport.openChannel({ confirm: true });
      try {
        await declareDelayTopology(channel, type);
      } catch (err) {
        lastError = asCamqError(err);
        await channel.close().catch(() => {});
        // Declared before as the other type (Celery 5.5's broker_native_delayed_delivery_queue_type), or a broker
        // whose quorum queues take no TTL (before 3.10): try classic.
        if (lastError instanceof BrokerError && lastError.replyCode === ReplyCode.PRECONDITION_FAILED) continue;
        break;
      }
      channel.on('return', (returned: ReturnedDelivery) => {
        const key = returned.properties.correlationId ?? returned.properties.messageId;
        if (key) this.returned.add(key);
      });
      channel.on('close', () => {
        if (this.topology) this.reset();
      });
      return channel;
    }
    const why = lastError?.message ?? 'the declare failed';
    if (lastError instanceof BrokerError && !lastError.isChannelError) throw lastError; // the connection went: try again later
    if (lastError instanceof BrokerError) this.refuse(`the broker refused the delay queues (${why})`);
    throw lastError ?? new CamqError('worker.delay-unavailable', why);
  }

  private refuse(why: string): never {
    if (this.unsupported === undefined) {
      this.logger.warning(`long ETAs stay in memory (unacked, each holding a prefetch slot on a quorum queue): ${why}`);
    }
    this.unsupported = why;
    throw new CamqError('worker.delay-unavailable', why);
  }
}

/**
 * Delete the ladder and `celery_delayed_delivery` (and whatever copies wait in it): for tests and for taking the
 * structure off a broker no worker uses it on any more. Celery 5.5 workers declare it again at their start.
 */
export async function deleteDelayTopology(channel: TransportChannel): Promise<void> {
  for (let level = 0; level < DELAY_BITS; level++) {
    await channel.deleteQueue(delayLevelName(level));
    await channel.deleteExchange(delayLevelName(level));
  }
  await channel.deleteExchange(DELIVERY_EXCHANGE);
}
