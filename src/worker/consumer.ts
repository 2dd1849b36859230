import { asCamqError } from '../errors/index.js';
import type { ActiveQueueInfo } from '../protocol/index.js';
import { UNDECODABLE_HEADERS, type Delivery, type TransportChannel } from '../transport/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { AckCoalescer } from './ack-coalescer.js';
import { queueTypeArguments, type QueueType, type TaskQueue } from './task-queue.js';

/** kombu's limit: a prefetch above 65535 is sent as 0 (unlimited). */
const QOS_MAX = 65_535;

/**
 * The task consumer (docs/protocol.md, The worker's semantics): one channel with `basic.qos(prefetch, global=true)`,
 * the task queues declared and consumed with acks, and the QoS raised by one for every ETA task held in memory. QoS
 * changes are coalesced and sent once per turn of the event loop, only when the value changed.
 *
 * Quorum queues (docs/worker.md, Quorum queues) refuse global QoS: RabbitMQ closes the whole connection (540) on a
 * consume from one on a channel with it. So every queue is declared before the first consume, its type learned
 * (asked for, or named in the broker's refusal of a declare without it), and when one is not classic the channel
 * uses per-consumer prefetch (`global=false`), as Celery 5.5 does with `worker_detect_quorum_queues`. That prefetch is
 * static: RabbitMQ applies a new `basic.qos` only to consumers started after it, so held ETA tasks do not raise it
 * (long ones leave for the broker's delay structure instead: delayed-delivery.ts).
 *
 * Acks and rejects go on the channel the delivery came from: after a reconnect, deliveries of the dead channel
 * are skipped (the broker already gave them back). Acks are coalesced per event-loop turn (see AckCoalescer):
 * an ack asked for now leaves at the end of the current turn, mostly as one `basic.ack(multiple=true)` for many
 * deliveries; rejects leave at once.
 */
export class TaskConsumer {
  private channel: TransportChannel | undefined;
  private acks: AckCoalescer | undefined;
  private readonly queues: TaskQueue[];
  private readonly consumerTags = new Map<string, string>();
  private readonly onMessage: (msg: Delivery, queue: string) => void;
  /** What each queue turned out to be (declared with the type asked for, or named by the broker's refusal). */
  private readonly types = new Map<string, QueueType>();
  /** basic.qos global=true (Celery 5.2's choice) until a queue that refuses it is seen. */
  private globalQos = true;
  /** Consume again on a new channel (the worker's, see Worker.reconsume): when add_consumer brings a quorum queue. */
  private readonly reopen: (() => Promise<void>) | undefined;
  private readonly onChannelClosed: (reason: string) => void;
  private readonly logger: Logger;
  private readonly clock: Clock;
  /** Bumped on every attach; a delivery is acked only on the generation it arrived on. */
  generation = 0;
  private base: number;
  private held = 0;
  private sent = -1;
  private qosScheduled = false;
  /** Acks and rejects that could not be sent since the last report (their channel was gone). */
  private unsent = 0;
  private reportScheduled = false;

  private readonly scheduleFlush = (flush: () => void): void => void this.clock.setImmediate(flush);

  /** Declares a queue, its exchange and binding before it is consumed (on a channel of its own: see prepareTaskQueue). */
  private readonly prepare: (queue: TaskQueue) => Promise<QueueType | undefined | void>;

  constructor(options: {
    queues: readonly TaskQueue[];
    prefetch: number;
    onMessage: (msg: Delivery, queue: string) => void;
    /** Declares the queue; resolves with its type when known (prepareTaskQueue). */
    prepare: (queue: TaskQueue) => Promise<QueueType | undefined | void>;
    /** Consume every queue again on a new channel (needed when the QoS mode must change). */
    reopen?: () => Promise<void>;
    /** The channel closed while attached, the connection still up (the broker closed it): re-attach or stop. */
    onChannelClosed?: (reason: string) => void;
    logger: Logger;
    /** Coalesced work (acks, QoS, the unsent-acks line) runs at the end of the turn, on this clock. */
    clock: Clock;
  }) {
    this.queues = [...options.queues];
    this.onChannelClosed = options.onChannelClosed ?? (() => {});
    this.prepare = options.prepare;
    this.reopen = options.reopen;
    this.base = options.prefetch;
    this.onMessage = options.onMessage;
    this.logger = options.logger;
    this.clock = options.clock;
  }

  /** The prefetch count in force: base + held ETA tasks, 0 (unlimited) when the base is 0 or above 65535. */
  get prefetchCount(): number {
    if (this.base === 0) return 0;
    const value = this.base + this.held;
    return value > QOS_MAX ? 0 : value;
  }

  /** False once a queue that refuses global QoS (quorum, stream) is consumed: prefetch is per consumer then. */
  get isGlobalQos(): boolean {
    return this.globalQos;
  }

  /** The type of a consumed queue, when known. */
  queueType(name: string): QueueType | undefined {
    return this.types.get(name);
  }

  /** A queue's type known before it is declared (the management API): declared with it, unless one was asked for. */
  presetType(name: string, type: QueueType): void {
    const i = this.queues.findIndex((q) => q.name === name);
    const queue = this.queues[i];
    if (queue && queue.type === undefined && type !== 'classic') this.queues[i] = { ...queue, type };
  }

  /**
   * Record a queue's type; a quorum or stream queue turns global QoS off for good (next attach). True when that
   * changed the mode. Also called with what a 540 refusal of global QoS named (Worker.onDisconnected).
   */
  noteQueueType(name: string, type: QueueType | undefined): boolean {
    if (type === undefined) return false;
    this.types.set(name, type);
    if (type === 'classic' || !this.globalQos) return false;
    this.globalQos = false;
    this.logger.info(
      `queue ${name} is a ${type} queue, which refuses global QoS: prefetch is per consumer (basic.qos global=false) and static, as in Celery 5.5`,
    );
    return true;
  }

  get isAttached(): boolean {
    return this.channel !== undefined;
  }

  /** Set up on a new channel: QoS, queues, consumers. */
  async attach(channel: TransportChannel): Promise<void> {
    this.reportUnsent();
    this.generation++;
    this.channel = channel;
    this.watch(channel);
    this.acks?.reset();
    this.acks = new AckCoalescer(
      {
        ack: (msg, multiple) => this.settle(() => channel.ack(msg, multiple)),
        reject: (msg, requeue) => this.settle(() => channel.reject(msg, requeue)),
      },
      { schedule: this.scheduleFlush },
    );
    this.held = 0;
    // Declared first: their types decide the QoS mode, and a consume of a quorum queue under global QoS costs the connection.
    for (const queue of this.queues) this.noteQueueType(queue.name, (await this.prepare(queue)) ?? queue.type);
    this.sent = this.prefetchCount;
    await channel.prefetch(this.sent, this.globalQos);
    this.consumerTags.clear();
    for (const queue of this.queues) await this.consume(queue);
  }

  /** The channel died (connection lost): forget it; deliveries of this generation can no longer be acked. */
  detach(): void {
    this.channel = undefined;
    this.unsent += this.acks?.pending ?? 0;
    if (this.unsent > 0) this.scheduleReport();
    this.acks?.reset();
    this.acks = undefined;
    this.consumerTags.clear();
  }

  /** One more (or one fewer) ETA task held unacked in memory. */
  holdEta(delta: 1 | -1): void {
    this.held = Math.max(0, this.held + delta);
    if (this.globalQos) this.scheduleQos();
  }

  /** pool_grow / pool_shrink change the base by n × multiplier. */
  changeBase(delta: number): void {
    if (this.base === 0) return;
    this.base = Math.max(1, this.base + delta);
    this.scheduleQos();
  }

  /** Ack at the end of this event-loop turn (coalesced). False when the delivery's channel is gone or it was settled. */
  ack(msg: Delivery, generation: number): boolean {
    if (generation !== this.generation || !this.acks) return this.cannotSettle();
    return this.acks.ack(msg);
  }

  /** Reject now. False when the delivery's channel is gone or it was settled. */
  reject(msg: Delivery, generation: number, requeue: boolean): boolean {
    if (generation !== this.generation || !this.acks) return this.cannotSettle();
    return this.acks.reject(msg, requeue);
  }

  /** Send the acks waiting for the end of this turn now (before the connection closes). */
  flushAcks(): void {
    this.acks?.flush();
    this.reportUnsent();
  }

  /** A delivery of a channel that is gone: count it, for one line at the end of this turn. */
  private cannotSettle(): false {
    this.unsent++;
    this.scheduleReport();
    return false;
  }

  private scheduleReport(): void {
    if (this.reportScheduled) return;
    this.reportScheduled = true;
    this.clock.setImmediate(() => {
      this.reportScheduled = false;
      this.reportUnsent();
    });
  }

  /** Like kombu's "Couldn't ack": once for all the settles a lost connection swallowed. */
  private reportUnsent(): void {
    if (this.unsent === 0) return;
    this.logger.warning(`couldn't ack ${this.unsent} message(s): the connection is gone; the broker redelivers them`);
    this.unsent = 0;
  }

  /**
   * Declare, then consume. The queue joins the list (declared again after every reconnect) only once its declare
   * succeeded: a queue the broker refuses must not be declared on every reconnect, forever.
   */
  async addQueue(queue: TaskQueue): Promise<void> {
    if (this.queues.some((q) => q.name === queue.name)) return;
    const type = (await this.prepare(queue)) ?? queue.type;
    if (this.queues.some((q) => q.name === queue.name)) return;
    this.queues.push(queue);
    const switched = this.noteQueueType(queue.name, type);
    if (switched && this.channel && this.reopen) {
      // The channel's global QoS would cost the connection on this consume: consume everything again on a new one.
      const old = this.channel;
      this.detach();
      await old.close().catch(() => {});
      await this.reopen();
      return;
    }
    if (this.channel) await this.consume(queue);
  }

  async cancelQueue(name: string): Promise<void> {
    const i = this.queues.findIndex((q) => q.name === name);
    if (i >= 0) this.queues.splice(i, 1);
    const tag = this.consumerTags.get(name);
    this.consumerTags.delete(name);
    if (tag && this.channel) await this.channel.cancel(tag);
  }

  /** Stop consuming every queue (warm shutdown); unacked deliveries stay ours until acked or rejected. */
  async stopConsuming(): Promise<void> {
    const channel = this.channel;
    const tags = [...this.consumerTags.values()];
    this.consumerTags.clear();
    if (!channel) return;
    await Promise.all(tags.map((tag) => channel.cancel(tag).catch(() => {})));
  }

  queueNames(): string[] {
    return this.queues.map((q) => q.name);
  }

  /** What `active_queues` reports, in kombu's `Queue.as_dict` shape. */
  activeQueues(): ActiveQueueInfo[] {
    return this.queues.map((q) => {
      const type = this.types.get(q.name);
      return {
        name: q.name,
        exchange: {
          name: q.exchange,
          type: q.exchangeType,
          arguments: null,
          durable: true,
          passive: false,
          auto_delete: false,
          delivery_mode: null,
          no_declare: false,
        },
        routing_key: q.routingKey,
        queue_arguments: queueTypeArguments(type === 'classic' ? q.type : (type ?? q.type)) ?? null,
        binding_arguments: null,
        consumer_arguments: null,
        durable: true,
        exclusive: false,
        auto_delete: false,
        no_ack: false,
        alias: null,
        bindings: [],
        no_declare: null,
        expires: null,
        message_ttl: null,
        max_length: null,
        max_length_bytes: null,
        max_priority: null,
      };
    });
  }

  /**
   * A channel the broker closes (a 406 for a bad ack, a 541 when a consumer callback threw) leaves the worker with no
   * consumer while it still answers ping: say so and let the worker re-attach. A connection loss closes the channel
   * too, and is told apart by waiting a turn: the worker's disconnect handling detaches first.
   */
  private watch(channel: TransportChannel): void {
    let reason = 'closed by the broker';
    channel.on('error', (err: unknown) => (reason = asCamqError(err).message));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.clock.setImmediate(() => {
        if (this.channel !== channel) return;
        this.detach();
        this.onChannelClosed(reason);
      });
    });
  }

  /**
   * Hand one delivery to the worker. Nothing it throws may reach the transport (amqplib), which would close the channel (541) and
   * stop consuming: the delivery is rejected without requeue (it would throw again on every redelivery) and the
   * error is one line.
   */
  private deliver(msg: Delivery, generation: number, queue: string): void {
    try {
      this.onMessage(msg, queue);
    } catch (err) {
      this.logger.error(`internal error while handling a task message (rejected, not requeued): ${(err as Error)?.message ?? String(err)}`);
      this.reject(msg, generation, false);
    }
  }

  private async consume(queue: TaskQueue): Promise<void> {
    const channel = this.channel!;
    const acks = this.acks!;
    const generation = this.generation;
    const { consumerTag } = await channel.consume(
      queue.name,
      (msg) => {
        if (msg) {
          acks.track(msg);
          const undecodable = msg.properties.headers?.[UNDECODABLE_HEADERS] as string | undefined;
          if (undecodable === undefined) return this.deliver(msg, generation, queue.name);
          // Its headers are lost (see guardFrameDecoding), and a requeue would fail the same way forever.
          const id = msg.properties.correlationId ?? msg.properties.messageId;
          this.logger.error(`rejected a message of queue ${queue.name}${id ? ` (correlation id ${id})` : ''} without requeue: ${undecodable}`);
          acks.reject(msg, false);
        } else this.logger.warning(`the broker cancelled the consumer of queue ${queue.name} (was it deleted?)`);
      },
      { noAck: false },
    );
    this.consumerTags.set(queue.name, consumerTag);
  }

  /**
   * A channel that closed under us throws on ack/reject (before the connection's loss is known): the broker gives
   * the delivery back. Counted, and reported once with the others (reportUnsent), not one line each.
   */
  private settle(send: () => void): void {
    try {
      send();
    } catch {
      this.cannotSettle();
    }
  }

  private scheduleQos(): void {
    if (this.qosScheduled) return;
    this.qosScheduled = true;
    this.clock.setImmediate(() => {
      this.qosScheduled = false;
      const value = this.prefetchCount;
      if (value === this.sent || !this.channel) return;
      this.sent = value;
      this.logger.debug(`basic.qos: prefetch_count->${value}`);
      this.channel.prefetch(value, this.globalQos).catch((err: Error) => this.logger.warning(`basic.qos failed: ${err.message}`));
    });
  }
}
