import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { BrokerError, CamqError, ConnectionClosedError, ReplyCode } from '../errors/index.js';
import type { MessageProperties } from '../protocol/amqp-message.js';
import type { TimerHandle } from '../util/clock.js';
import type {
  ConsumeOptions,
  Delivery,
  DeliveryHandler,
  ExchangeOptions,
  PublishOptions,
  PublishOutcome,
  QueueOptions,
  QueueStatus,
  TransportChannel,
  TransportChannelEvents,
} from '../transport/transport-channel.js';
import { encodeEnvelope, envelopeToDelivery, markRedelivered, parseEnvelope, type Envelope } from './envelope.js';
import { brokenList } from './broken-message.js';
import { notFound } from './redis-error.js';
import {
  SEP,
  UNACKED_INDEX_KEY,
  UNACKED_KEY,
  UNACKED_MUTEX_EXPIRE_S,
  UNACKED_MUTEX_KEY,
  bindingMember,
  bindingSet,
  fanoutSubscription,
  fanoutTopic,
  parseBindingMember,
  priorityList,
  priorityStep,
  queueLists,
  queueOfList,
  topicMatches,
  topicPattern,
} from './redis-keys.js';
import type { KnownBinding, RedisLink, ScriptedRedis } from './redis-link.js';

type Listener = (...args: unknown[]) => void;

interface Consumer {
  readonly tag: string;
  readonly queue: string;
  readonly onMessage: DeliveryHandler;
  readonly noAck: boolean;
  /** The PSUBSCRIBE pattern, for a queue bound to a fanout exchange. */
  readonly pattern?: string;
  readonly listener?: (channel: string, payload: Buffer) => void;
}

/** The most messages one `RPOP list count` takes (takeMore). */
const MAX_TAKE = 100;

interface Held {
  /** kombu's delivery tag (a UUID), the field in `unacked`. */
  readonly uuid: string;
  readonly raw: string;
  readonly exchange: string;
  readonly routingKey: string;
}

/**
 * A TransportChannel on Redis: kombu's virtual channel (docs/redis-protocol.md). Exchanges and bindings follow
 * kombu's tables, publishes go to lists (LPUSH) or pub/sub (PUBLISH), consumers BRPOP on a connection of their own
 * or PSUBSCRIBE, and acks are kombu's emulation (`unacked`, `unacked_index`), with the entries of the messages this
 * channel holds kept fresh so that no restorer hands them to someone else while we are alive.
 */
export class RedisChannel implements TransportChannel {
  private readonly transport: RedisLink;
  private readonly emitter = new EventEmitter();
  private readonly consumers = new Map<string, Consumer>();
  /** Queues this channel consumes from with BRPOP, in kombu's fair-cycle order (the one just served goes last). */
  private cycle: string[] = [];
  private readonly held = new Map<number, Held>();
  private readonly autoDelete = new Set<string>();
  private nextTag = 1;
  private nextConsumer = 1;
  private prefetchCount = 0;
  private closed = false;
  private blocking: Redis | undefined;
  private blockingId: number | undefined;
  private polling: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  /** Whether the server takes `RPOP list count` (Redis 6.2+): see takeMore. */
  private batchTake = true;
  private readonly pending = new Set<Promise<unknown>>();
  private refreshTimer: TimerHandle | undefined;
  private restoreTimer: TimerHandle | undefined;

  /** Every publish is confirmed (its `onConfirm` called when Redis answered), so `confirm` changes nothing here. */
  constructor(transport: RedisLink, _options: { readonly confirm?: boolean } = {}) {
    this.transport = transport;
    this.emitter.on('error', () => {});
  }

  // Exchanges ------------------------------------------------------------------------------------------------------

  assertExchange(exchange: string, type: string, _options?: ExchangeOptions): Promise<void> {
    this.live();
    this.transport.exchangeTypes.set(exchange, exchangeType(exchange, type));
    return Promise.resolve();
  }

  async checkExchange(exchange: string): Promise<void> {
    this.live();
    if (exchange === '' || this.transport.exchangeTypes.has(exchange)) return;
    const exists = await this.run((c) => c.exists(this.key(bindingSet(exchange))));
    if (!exists) throw notFound('exchange', exchange, this.transport.settings.db);
  }

  deleteExchange(exchange: string): Promise<void> {
    this.live();
    this.transport.exchangeTypes.delete(exchange);
    return Promise.resolve();
  }

  // Queues ---------------------------------------------------------------------------------------------------------

  async assertQueue(queue: string, options: QueueOptions = {}): Promise<QueueStatus> {
    this.live();
    if (options.autoDelete || options.exclusive) this.autoDelete.add(queue);
    return { queue, messageCount: await this.size(queue), consumerCount: 0 };
  }

  async checkQueue(queue: string): Promise<QueueStatus> {
    this.live();
    const lists = queueLists(queue).map((l) => this.key(l));
    const c = this.client();
    const [exists, size, members] = await this.run(() =>
      Promise.all([c.exists(...lists), this.size(queue), c.smembers(this.key(bindingSet(queue)))]),
    );
    const bound = this.transport.queueBindings.has(queue) || members.some((m) => parseBindingMember(m)?.queue === queue);
    if (!exists && !bound) throw notFound('queue', queue, this.transport.settings.db);
    return { queue, messageCount: size, consumerCount: 0 };
  }

  async deleteQueue(
    queue: string,
    options: { readonly ifUnused?: boolean; readonly ifEmpty?: boolean } = {},
  ): Promise<{ readonly messageCount: number }> {
    this.live();
    const messageCount = await this.size(queue);
    if (options.ifEmpty && messageCount > 0) return { messageCount: 0 };
    await this.removeQueue(queue);
    return { messageCount };
  }

  async purgeQueue(queue: string): Promise<{ readonly messageCount: number }> {
    this.live();
    const pipe = this.client().multi();
    for (const list of queueLists(queue)) pipe.llen(this.key(list)).del(this.key(list));
    const results = (await this.run(() => pipe.exec())) ?? [];
    let messageCount = 0;
    for (let i = 0; i < results.length; i += 2) messageCount += Number(results[i]?.[1] ?? 0);
    return { messageCount };
  }

  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    this.live();
    await this.run((c) => this.bind(c, queue, exchange, routingKey));
  }

  /** RabbitMQ's exchange-to-exchange bindings: kombu's Redis transport has none. */
  bindExchange(destination: string, source: string): Promise<void> {
    this.live();
    return Promise.reject(
      new BrokerError({
        replyCode: ReplyCode.NOT_IMPLEMENTED,
        replyText: `NOT_IMPLEMENTED - exchange-to-exchange bindings (${source} → ${destination}) are RabbitMQ's; Redis has none`,
        isChannelError: true,
      }),
    );
  }

  async unbindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    this.live();
    const member = bindingMember({ routingKey, pattern: this.patternFor(exchange, routingKey), queue });
    this.transport.queueBindings.get(queue)?.delete(`${exchange}\0${routingKey}`);
    await this.run((c) => c.srem(this.key(bindingSet(exchange)), member));
  }

  // Set-up without waiting: the same calls, their failure reported as a channel error.
  declareExchangeNowait(exchange: string, type: string): void {
    this.transport.exchangeTypes.set(exchange, exchangeType(exchange, type));
  }

  declareQueueNowait(queue: string, options: { readonly exclusive: boolean; readonly autoDelete: boolean }): void {
    if (options.autoDelete || options.exclusive) this.autoDelete.add(queue);
  }

  bindQueueNowait(queue: string, exchange: string, routingKey: string): void {
    this.background(this.bind(this.client(), queue, exchange, routingKey));
  }

  consumeNowait(queue: string, consumerTag: string, onMessage: DeliveryHandler, options: { readonly noAck: boolean }): void {
    this.background(this.startConsumer(queue, consumerTag, onMessage, options.noAck));
  }

  // Consuming ------------------------------------------------------------------------------------------------------

  async consume(queue: string, onMessage: DeliveryHandler, options: ConsumeOptions = {}): Promise<{ readonly consumerTag: string }> {
    this.live();
    const consumerTag = options.consumerTag ?? `camq.redis-${this.nextConsumer++}`;
    await this.startConsumer(queue, consumerTag, onMessage, options.noAck ?? false);
    return { consumerTag };
  }

  async cancel(consumerTag: string): Promise<void> {
    const consumer = this.consumers.get(consumerTag);
    if (!consumer) return;
    this.consumers.delete(consumerTag);
    if (consumer.pattern !== undefined && consumer.listener) {
      await this.transport.unsubscribe(consumer.pattern, consumer.listener);
      return;
    }
    this.cycle = this.cycle.filter((q) => q !== consumer.queue || this.hasListConsumer(q));
    await this.interrupt();
  }

  async get(queue: string, options: { readonly noAck?: boolean } = {}): Promise<Delivery | false> {
    this.live();
    for (const list of queueLists(queue)) {
      for (;;) {
        const raw = await this.run((c) => c.rpop(this.key(list)));
        if (raw === null) break;
        const delivery = this.accept(raw, undefined, options.noAck ?? false);
        if (!(delivery instanceof Error)) return delivery;
        // Set aside; the same list may hold a good one next.
        await this.setAside(queue, raw, delivery);
      }
    }
    return false;
  }

  prefetch(count: number): Promise<void> {
    this.prefetchCount = Math.max(0, count);
    this.wakeUp?.();
    return Promise.resolve();
  }

  ack(message: Delivery, allUpTo = false): void {
    const tags = this.tagsFor(message.fields.deliveryTag, allUpTo);
    if (tags.length === 0) return;
    const pipe = this.client().pipeline();
    for (const tag of tags) {
      const held = this.held.get(tag)!;
      this.held.delete(tag);
      pipe.zrem(this.key(UNACKED_INDEX_KEY), held.uuid).hdel(this.key(UNACKED_KEY), held.uuid);
    }
    this.background(pipe.exec());
    this.wakeUp?.();
  }

  nack(message: Delivery, allUpTo = false, requeue = true): void {
    for (const tag of this.tagsFor(message.fields.deliveryTag, allUpTo)) this.settle(tag, requeue);
  }

  reject(message: Delivery, requeue = true): void {
    for (const tag of this.tagsFor(message.fields.deliveryTag, false)) this.settle(tag, requeue);
  }

  async recover(): Promise<void> {
    const tags = [...this.held.keys()];
    await Promise.all(tags.map((tag) => this.restore(tag, 'R')));
  }

  // Publishing -----------------------------------------------------------------------------------------------------

  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    properties: MessageProperties & PublishOptions = {},
    onConfirm?: (err: CamqError | null, outcome?: PublishOutcome) => void,
  ): boolean {
    const { mandatory, ...props } = properties;
    const envelope = encodeEnvelope(content, props, { exchange, routingKey, deliveryTag: randomUUID() });
    const sent = this.route(exchange, routingKey, envelope).then(
      ({ queues, receivers }) => {
        if (queues === 0 && mandatory) {
          this.emitter.emit('return', {
            content,
            properties: envelopeToDelivery(envelope, { deliveryTag: 0 }).properties,
            fields: { replyCode: 312, replyText: 'NO_ROUTE', exchange, routingKey },
          });
        }
        onConfirm?.(null, receivers === undefined ? {} : { receivers });
      },
      (err: unknown) => {
        const error = this.transport.translate(err);
        if (onConfirm) onConfirm(error);
        else if (error.code !== 'broker.lost' && error.code !== 'broker.closed') this.emitter.emit('error', error);
      },
    );
    this.track(sent);
    return true;
  }

  async waitForConfirms(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const tag of [...this.consumers.keys()]) await this.cancel(tag).catch(() => {});
    await this.waitForConfirms();
    // kombu's restore_at_shutdown: what this channel still holds goes back to its queues.
    await this.recover().catch(() => {});
    for (const queue of this.autoDelete) await this.removeQueue(queue).catch(() => {});
    this.finish();
  }

  /** The transport lost its connection: nothing can be settled any more (the server keeps `unacked` for a restorer). */
  lost(error: CamqError): void {
    if (this.closed) return;
    this.emitter.emit('error', error);
    this.held.clear();
    this.finish();
  }

  on<E extends keyof TransportChannelEvents>(event: E, listener: (...args: TransportChannelEvents[E]) => void): this {
    this.emitter.on(event, listener as Listener);
    return this;
  }

  once<E extends keyof TransportChannelEvents>(event: E, listener: (...args: TransportChannelEvents[E]) => void): this {
    this.emitter.once(event, listener as Listener);
    return this;
  }

  off<E extends keyof TransportChannelEvents>(event: E, listener: (...args: TransportChannelEvents[E]) => void): this {
    this.emitter.off(event, listener as Listener);
    return this;
  }

  // Internals ------------------------------------------------------------------------------------------------------

  private finish(): void {
    this.closed = true;
    this.consumers.clear();
    this.cycle = [];
    this.refreshTimer?.cancel();
    this.restoreTimer?.cancel();
    this.wakeUp?.();
    const blocking = this.blocking;
    this.blocking = undefined;
    blocking?.disconnect();
    this.emitter.emit('close');
  }

  private key(name: string): string {
    return this.transport.key(name);
  }

  private client() {
    return this.transport.requireClient();
  }

  private live(): void {
    if (this.closed) throw new ConnectionClosedError('the channel is closed');
  }

  private async run<T>(call: (client: ScriptedRedis) => Promise<T>): Promise<T> {
    try {
      return await call(this.client());
    } catch (err) {
      throw this.transport.translate(err);
    }
  }

  private track(promise: Promise<unknown>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }

  /** A call nobody awaits: its failure is the channel's `error`. */
  private background(promise: Promise<unknown>): void {
    const tracked = promise.catch((err: unknown) => {
      const error = this.transport.translate(err);
      if (!this.closed) this.emitter.emit('error', error);
    });
    this.track(tracked);
  }

  private typeOf(exchange: string): string {
    return this.transport.exchangeTypes.get(exchange) ?? 'direct';
  }

  private patternFor(exchange: string, routingKey: string): string {
    return this.typeOf(exchange) === 'topic' ? topicPattern(routingKey) : '';
  }

  private async bind(c: ScriptedRedis, queue: string, exchange: string, routingKey: string): Promise<void> {
    const member = bindingMember({ routingKey, pattern: this.patternFor(exchange, routingKey), queue });
    let bindings = this.transport.queueBindings.get(queue);
    if (!bindings) this.transport.queueBindings.set(queue, (bindings = new Map<string, KnownBinding>()));
    bindings.set(`${exchange}\0${routingKey}`, { exchange, routingKey, member });
    await c.sadd(this.key(bindingSet(exchange)), member);
  }

  /** kombu's queue_delete: its binding-set members (those made here) and its lists. */
  private async removeQueue(queue: string): Promise<void> {
    const pipe = this.client().multi();
    for (const binding of this.transport.queueBindings.get(queue)?.values() ?? []) pipe.srem(this.key(bindingSet(binding.exchange)), binding.member);
    for (const list of queueLists(queue)) pipe.del(this.key(list));
    this.transport.queueBindings.delete(queue);
    this.autoDelete.delete(queue);
    await this.run(() => pipe.exec());
  }

  private async size(queue: string): Promise<number> {
    const pipe = this.client().pipeline();
    for (const list of queueLists(queue)) pipe.llen(this.key(list));
    const results = (await this.run(() => pipe.exec())) ?? [];
    return results.reduce((sum, [, n]) => sum + Number(n ?? 0), 0);
  }

  /** The queues a message to (exchange, routing key) goes to, for a topic exchange or a restore. */
  private async lookup(exchange: string, routingKey: string): Promise<string[]> {
    if (exchange === '') return [routingKey];
    const members = await this.run((c) => c.smembers(this.key(bindingSet(exchange))));
    const type = this.typeOf(exchange);
    const queues = new Set<string>();
    for (const text of members) {
      const m = parseBindingMember(text);
      if (!m) continue;
      if (type === 'fanout' || (type === 'topic' ? topicMatches(m.pattern, routingKey) : m.routingKey === routingKey)) queues.add(m.queue);
    }
    return [...queues];
  }

  /**
   * Deliver a publish; resolves to how many queues took it (1 for fanout, which has no queues) and, for fanout,
   * PUBLISH's reply: how many subscriptions received it.
   */
  private async route(exchange: string, routingKey: string, envelope: Envelope): Promise<{ queues: number; receivers?: number }> {
    const payload = JSON.stringify(envelope);
    const step = priorityStep(envelope.properties.priority);
    const c = this.client();
    if (exchange === '') {
      await c.lpush(this.key(priorityList(routingKey, step)), payload);
      return { queues: 1 };
    }
    const type = this.typeOf(exchange);
    if (type === 'fanout') {
      const topic = fanoutTopic(exchange, routingKey, this.transport.settings);
      const receivers = await c.publish(this.key(topic), payload);
      return { queues: 1, receivers };
    }
    if (type === 'direct') {
      const suffix = step === 0 ? '' : `${SEP}${step}`;
      return { queues: await c.routeDirect(this.key(bindingSet(exchange)), routingKey, SEP, this.transport.settings.keyPrefix, suffix, payload) };
    }
    const queues = await this.lookup(exchange, routingKey);
    if (queues.length > 0) {
      const pipe = c.pipeline();
      for (const queue of queues) pipe.lpush(this.key(priorityList(queue, step)), payload);
      await pipe.exec();
    }
    return { queues: queues.length };
  }

  private hasListConsumer(queue: string): boolean {
    for (const c of this.consumers.values()) if (c.queue === queue && c.pattern === undefined) return true;
    return false;
  }

  private fanoutBinding(queue: string): { exchange: string; routingKey: string } | undefined {
    for (const b of this.transport.queueBindings.get(queue)?.values() ?? []) if (this.typeOf(b.exchange) === 'fanout') return b;
    return undefined;
  }

  private async startConsumer(queue: string, tag: string, onMessage: DeliveryHandler, noAck: boolean): Promise<void> {
    this.live();
    const fanout = this.fanoutBinding(queue);
    if (fanout) {
      // kombu: a queue bound to a fanout exchange is consumed by PSUBSCRIBE, its messages never stored.
      const pattern = this.key(fanoutSubscription(fanout.exchange, fanout.routingKey, this.transport.settings));
      const listener = (_channel: string, payload: Buffer) => {
        if (this.closed || !this.consumers.has(tag)) return;
        const env = parseEnvelope(payload.toString('utf8'));
        if (env instanceof Error) {
          this.transport.brokenLog.report(queue, env.message, 'pub/sub keeps nothing, so it is dropped');
          return;
        }
        onMessage(envelopeToDelivery(env, { deliveryTag: this.nextTag++, consumerTag: tag }));
      };
      this.consumers.set(tag, { tag, queue, onMessage, noAck: true, pattern, listener });
      await this.transport.subscribe(pattern, listener);
      return;
    }
    this.consumers.set(tag, { tag, queue, onMessage, noAck });
    if (!this.cycle.includes(queue)) this.cycle.push(queue);
    if (!this.blocking) {
      this.blocking = await this.transport.blockingClient();
      this.blockingId = Number(await this.blocking.client('ID'));
      this.startTimers();
    } else {
      await this.interrupt();
    }
    this.polling ??= this.poll().finally(() => (this.polling = undefined));
  }

  /** Unblock a BRPOP in flight (CLIENT UNBLOCK: it returns nil, no message is lost) so the loop sees the change. */
  private async interrupt(): Promise<void> {
    if (this.blockingId === undefined || this.closed) return;
    await this.client()
      .client('UNBLOCK', this.blockingId)
      .catch(() => {});
  }

  /**
   * kombu's BRPOP loop: all queues' step-0 lists first, then step 3, …; one message per BRPOP, within prefetch, and
   * more per round trip from a single queue's step-0 list (takeMore).
   */
  private async poll(): Promise<void> {
    while (!this.closed && this.cycle.length > 0) {
      if (this.prefetchCount > 0 && this.held.size >= this.prefetchCount) {
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
        this.wakeUp = undefined;
        continue;
      }
      const blocking = this.blocking;
      if (!blocking) return;
      const queues = [...this.cycle];
      const keys: string[] = [];
      for (const step of [0, 3, 6, 9]) for (const q of queues) keys.push(this.key(priorityList(q, step)));
      let popped: [string, string] | null;
      try {
        popped = await blocking.brpop(...keys, 1);
      } catch (err) {
        if (this.closed) return;
        this.emitter.emit('error', this.transport.translate(err));
        return;
      }
      if (!popped) continue;
      const [list, raw] = popped;
      const queue = queueOfList(list.slice(this.transport.settings.keyPrefix.length));
      const consumer = [...this.consumers.values()].find((c) => c.queue === queue && c.pattern === undefined);
      if (!consumer || this.closed) {
        // Taken after its consumer went away: back to the end it was taken from, so it is served next.
        await this.client()
          .rpush(list, raw)
          .catch(() => {});
        continue;
      }
      this.cycle = [...this.cycle.filter((q) => q !== queue), queue];
      const delivery = this.accept(raw, consumer.tag, consumer.noAck);
      if (delivery instanceof Error) await this.setAside(queue, raw, delivery);
      else consumer.onMessage(delivery);
      // Tracked, so that a close waits for what an RPOP in flight takes (and puts it back) before it ends.
      const more = this.takeMore(list, queue).catch((err: unknown) => {
        if (!this.closed) this.emitter.emit('error', this.transport.translate(err));
      });
      this.track(more);
      await more;
    }
  }

  /**
   * After BRPOP served a message from a queue's step-0 list (the first served on Redis) while this channel consumes
   * that one queue by BRPOP: take up to the prefetch's room more from the same list in one round trip, instead of one
   * BRPOP each. One script (TAKE_AND_HOLD) pops them and records them in `unacked`, so a worker killed at any moment
   * leaves each either on its list or in `unacked` for a restorer (kombu's BRPOP loses one in that window; this, none
   * of these). Nothing of a lower priority or of another queue is taken ahead of its turn. On a Redis older than 6.2
   * (RPOP takes no count) it is not tried again. Taken after its consumer went away: put back where it was, in order.
   */
  private async takeMore(list: string, queue: string): Promise<void> {
    if (!this.batchTake || this.cycle.length !== 1 || this.closed) return;
    if (list !== this.key(priorityList(queue, 0))) return;
    const room = this.prefetchCount > 0 ? this.prefetchCount - this.held.size : MAX_TAKE;
    const count = Math.min(room, MAX_TAKE);
    if (count <= 0) return;
    const consumer = [...this.consumers.values()].find((c) => c.queue === queue && c.pattern === undefined);
    if (!consumer) return;
    let taken: string[];
    let recorded: number[];
    try {
      const client = this.client();
      [taken, recorded] = await client.takeAndHold(
        list,
        this.key(UNACKED_KEY),
        this.key(UNACKED_INDEX_KEY),
        count,
        this.now(),
        consumer.noAck ? '0' : '1',
      );
    } catch (err) {
      if (this.closed) return;
      if (/wrong number of arguments/i.test((err as Error).message)) this.batchTake = false;
      else this.emitter.emit('error', this.transport.translate(err));
      return;
    }
    if (taken.length === 0) return;
    const pipe = this.client().pipeline();
    const deliveries: Delivery[] = [];
    const broken: [string, Error][] = [];
    for (let i = 0; i < taken.length; i++) {
      const delivery = this.accept(taken[i]!, consumer.tag, consumer.noAck, recorded[i] === 1 ? 'recorded' : pipe);
      if (delivery instanceof Error) broken.push([taken[i]!, delivery]);
      else deliveries.push(delivery);
    }
    if (pipe.length > 0) this.background(pipe.exec());
    if (this.closed || !this.consumers.has(consumer.tag)) {
      // The consumer went away while the script ran: what it took is held, so give it back as a close does.
      for (const delivery of deliveries) this.background(this.restore(delivery.fields.deliveryTag, 'R'));
    } else {
      for (const delivery of deliveries) consumer.onMessage(delivery);
    }
    for (const [raw, reason] of broken) await this.setAside(queue, raw, reason);
  }

  /**
   * A taken element that is not an envelope: kept in `_camq.broken.<queue>` (not lost, as kombu's loop loses it,
   * and not pushed back, where it would be taken again at once), with a rate-limited log line.
   */
  private async setAside(queue: string, raw: string, reason: Error): Promise<void> {
    const aside = this.key(brokenList(queue));
    try {
      await this.client().lpush(aside, raw);
      this.transport.brokenLog.report(queue, reason.message, `kept in the list '${aside}'`);
    } catch (err) {
      this.transport.brokenLog.report(queue, reason.message, `and keeping it aside failed: ${this.transport.translate(err).message}`);
    }
  }

  /**
   * A taken message: decoded, numbered, and (unless noAck) recorded in `unacked` as kombu's QoS.append does, into
   * `pipe` when given, or not at all when the script that took it has ('recorded').
   */
  private accept(raw: string, consumerTag: string | undefined, noAck: boolean, pipe?: ReturnType<Redis['pipeline']> | 'recorded'): Delivery | Error {
    const env = parseEnvelope(raw);
    if (env instanceof Error) return env;
    const tag = this.nextTag++;
    if (!noAck) {
      const { exchange, routing_key: routingKey } = env.properties.delivery_info;
      const uuid = typeof env.properties.delivery_tag === 'string' ? env.properties.delivery_tag : randomUUID();
      this.held.set(tag, { uuid, raw, exchange, routingKey });
      if (pipe === 'recorded') return envelopeToDelivery(env, { deliveryTag: tag, consumerTag });
      const record = `[${raw}, ${JSON.stringify(exchange)}, ${JSON.stringify(routingKey)}]`;
      const into = pipe ?? this.client().pipeline();
      into.zadd(this.key(UNACKED_INDEX_KEY), this.now(), uuid).hset(this.key(UNACKED_KEY), uuid, record);
      if (!pipe) this.background(into.exec());
    }
    return envelopeToDelivery(env, { deliveryTag: tag, consumerTag });
  }

  private now(): number {
    return this.transport.clock.now() / 1000;
  }

  private tagsFor(tag: number, allUpTo: boolean): number[] {
    if (!allUpTo) return this.held.has(tag) ? [tag] : [];
    return [...this.held.keys()].filter((t) => t <= tag);
  }

  private settle(tag: number, requeue: boolean): void {
    if (!requeue) {
      const held = this.held.get(tag)!;
      this.held.delete(tag);
      this.background(this.client().pipeline().zrem(this.key(UNACKED_INDEX_KEY), held.uuid).hdel(this.key(UNACKED_KEY), held.uuid).exec());
    } else {
      // kombu's reject(requeue=True): restore_by_tag(leftmost=True), an LPUSH.
      this.background(this.restore(tag, 'L'));
    }
    this.wakeUp?.();
  }

  /** Put a held message back (kombu's restore_by_tag), unless someone settled it first. */
  private async restore(tag: number, end: 'L' | 'R'): Promise<void> {
    const held = this.held.get(tag);
    if (!held) return;
    this.held.delete(tag);
    await restoreMessage(this, held.uuid, held.raw, held.exchange, held.routingKey, end);
  }

  /** @internal Used by restoreMessage. */
  async restoreTargets(exchange: string, routingKey: string): Promise<string[]> {
    return this.lookup(exchange, routingKey);
  }

  /** @internal */
  get transportOf(): RedisLink {
    return this.transport;
  }

  private startTimers(): void {
    const vt = this.transport.settings.visibilityTimeoutS;
    const clock = this.transport.clock;
    // Keep what we hold fresh: a restorer only takes entries older than the visibility timeout.
    this.refreshTimer = clock.setInterval(() => this.refresh(), Math.max(200, (vt * 1000) / 3));
    this.refreshTimer.unref();
    // kombu's restore_visible, which its consumers run every tenth poll (about every 10 s when idle).
    this.restoreTimer = clock.setInterval(() => void restoreVisible(this).catch(() => {}), Math.max(500, Math.min(10_000, (vt * 1000) / 2)));
    this.restoreTimer.unref();
  }

  private refresh(): void {
    if (this.closed || this.held.size === 0 || !this.transport.isOpen) return;
    const pipe = this.client().pipeline();
    const now = this.now();
    for (const held of this.held.values()) pipe.zadd(this.key(UNACKED_INDEX_KEY), 'XX', now, held.uuid);
    this.background(pipe.exec());
  }
}

/** On Redis Celery makes its event exchange fanout (celery/events/event.py get_exchange); kombu keeps the rest. */
function exchangeType(exchange: string, type: string): string {
  if (exchange === 'celeryev') return 'fanout';
  return type === '' ? 'direct' : type;
}

/** Restore one unacked message by its kombu tag: marked redelivered, pushed to where its exchange routes it. */
async function restoreMessage(
  channel: RedisChannel,
  uuid: string,
  raw: string,
  exchange: string,
  routingKey: string,
  end: 'L' | 'R',
): Promise<boolean> {
  const transport = channel.transportOf;
  const env = parseEnvelope(raw);
  const client = transport.requireClient();
  if (env instanceof Error) {
    await client.pipeline().zrem(transport.key(UNACKED_INDEX_KEY), uuid).hdel(transport.key(UNACKED_KEY), uuid).exec();
    return false;
  }
  const payload = JSON.stringify(markRedelivered(env));
  const step = priorityStep(env.properties.priority);
  const lists = (await channel.restoreTargets(exchange, routingKey)).map((q) => transport.key(priorityList(q, step)));
  const keys = [transport.key(UNACKED_KEY), transport.key(UNACKED_INDEX_KEY), ...lists];
  const done = await client.restoreTag(keys.length, ...keys, uuid, end, payload);
  return done === 1;
}

/** kombu's QoS.restore_visible: under `unacked_mutex`, restore every entry older than the visibility timeout. */
export async function restoreVisible(channel: RedisChannel): Promise<number> {
  const transport = channel.transportOf;
  if (!transport.isOpen) return 0;
  const client = transport.requireClient();
  const token = randomUUID();
  const mutex = transport.key(UNACKED_MUTEX_KEY);
  const got = await client.set(mutex, token, 'EX', UNACKED_MUTEX_EXPIRE_S, 'NX');
  if (got !== 'OK') return 0;
  let restored = 0;
  try {
    const ceil = transport.clock.now() / 1000 - transport.settings.visibilityTimeoutS;
    const tags = await client.zrevrangebyscore(transport.key(UNACKED_INDEX_KEY), ceil, 0);
    for (const uuid of tags) {
      const record = await client.hget(transport.key(UNACKED_KEY), uuid);
      if (record === null) {
        await client.zrem(transport.key(UNACKED_INDEX_KEY), uuid);
        continue;
      }
      const parsed = parseRecord(record);
      if (!parsed) continue;
      if (await restoreMessage(channel, uuid, parsed.raw, parsed.exchange, parsed.routingKey, 'R')) restored++;
    }
  } finally {
    await client.releaseMutex(mutex, token).catch(() => 0);
  }
  return restored;
}

/** An `unacked` hash value: JSON `[envelope, exchange, routing_key]`. */
function parseRecord(record: string): { raw: string; exchange: string; routingKey: string } | undefined {
  try {
    const value = JSON.parse(record) as unknown;
    if (!Array.isArray(value) || value.length < 3) return undefined;
    return { raw: JSON.stringify(value[0]), exchange: String(value[1] ?? ''), routingKey: String(value[2] ?? '') };
  } catch {
    return undefined;
  }
}
