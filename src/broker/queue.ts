/**
 * A queue: ready messages in publish order, consumers served round-robin, and the lifetime rules RabbitMQ applies
 * (exclusive owner, auto-delete after the last consumer, `x-expires` when unused, `x-message-ttl` and per-message
 * `expiration`, both dropped when they reach the head as RabbitMQ does).
 *
 * Every message carries a sequence number, and requeued messages go back in sequence order, so messages a
 * channel held unacked return in their original order, ahead of the ones never delivered.
 */
import type { FieldTable } from './amqp-codec.js';
import type { TypedArguments } from './declare-arguments.js';
import type { Binding, RouteTarget } from './exchange.js';
import type { Consumer, ConsumerQueue } from './consumer.js';
import type { MemoryMonitor } from './memory-monitor.js';
import { QueuedMessage, type Message } from './message.js';
import { readyMessages, type ReadyMessages } from './ready-messages.js';
import type { Clock, TimerHandle } from '../util/clock.js';

/** setTimeout's limit; longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface QueueInit {
  readonly name: string;
  /** `queue 'q' in vhost '/'`, for reply texts. */
  readonly resource: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  /** The connection that declared it exclusive, or null. */
  readonly owner: object | null;
  readonly arguments: FieldTable;
  readonly typedArguments: TypedArguments;
  readonly messageTtl: number | undefined;
  readonly expires: number | undefined;
  /** `x-max-priority`: ready messages are served highest priority first (see ReadyMessages). */
  readonly maxPriority: number | undefined;
  readonly clock: Clock;
  /** Counts the bytes of the messages this queue holds, ready or unacked. */
  readonly memory: MemoryMonitor;
  /** Called when the queue should go away on its own: last consumer gone (auto-delete) or unused (x-expires). */
  readonly onUnused: (queue: Queue) => void;
}

/** A Queue carries its declaration's fields (declaration merging: the constructor assigns them all). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface Queue extends QueueInit {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Queue implements ConsumerQueue, RouteTarget {
  readonly consumers: Consumer[] = [];
  readonly bindings = new Set<Binding<Queue>>();
  /** Routing scratch: the publish that last picked this queue, so one message lands here once. */
  routeMark = 0;
  /** Messages delivered from this queue and not yet settled (channels keep the count). */
  unacked = 0;
  deleted = false;
  /** Messages routed into this queue since it was declared (the management API's `message_stats.publish`). */
  publishCount = 0;
  /** Messages delivered to consumers or taken by basic.get (`message_stats.deliver_get`). */
  deliverCount = 0;
  /** When a message last came in or went out (ms since the epoch): what `idle_since` reports once it is quiet. */
  lastActiveAt: number;

  private readonly ready: ReadyMessages;
  private nextSeq = 1;
  private nextConsumer = 0;
  private hasExclusiveConsumer = false;
  private dispatching = false;
  private ttlTimer: TimerHandle | undefined;
  private ttlTimerAt = 0;
  private expiresTimer: TimerHandle | undefined;

  constructor(init: QueueInit) {
    Object.assign(this, init);
    this.ready = readyMessages(init.maxPriority);
    this.lastActiveAt = init.clock.now();
    this.touch();
  }

  /** Ready messages (not counting those delivered and unacked), as queue.declare-ok reports them. */
  get messageCount(): number {
    this.dropExpired();
    return this.ready.length;
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  get exclusivelyConsumed(): boolean {
    return this.hasExclusiveConsumer;
  }

  /** Add a routed message; `ttl` is its own `expiration` in ms, if any. */
  enqueue(message: Message, ttl: number | undefined): void {
    const limit = this.messageTtl === undefined ? ttl : ttl === undefined ? this.messageTtl : Math.min(ttl, this.messageTtl);
    const entry = new QueuedMessage(message, this, this.nextSeq++, limit === undefined ? 0 : this.clock.now() + limit);
    this.memory.hold(message);
    this.publishCount++;
    this.lastActiveAt = this.clock.now();
    if (this.ready.length === 0 && this.consumers.length > 0) {
      // Nothing ahead of it: straight to a consumer that has room. (A TTL of 0 means exactly this or never.)
      const consumer = this.nextReadyConsumer();
      if (consumer !== undefined) {
        this.deliverCount++;
        return consumer.channel.deliver(consumer, entry);
      }
    }
    this.ready.push(entry);
    if (this.consumers.length > 0) this.dispatch();
    if (limit !== undefined) this.dropExpired();
  }

  /** basic.get: the next live message, or undefined. */
  get(): QueuedMessage | undefined {
    this.touch();
    const entry = this.takeHead();
    if (entry !== undefined) this.countDelivery();
    return entry;
  }

  /** Put messages that were delivered back in their places, marked redelivered. `entries` ascend by seq. */
  requeue(entries: readonly QueuedMessage[]): void {
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i]!;
      entry.redelivered = true;
      entry.consumer = null;
      entry.deliveryTag = 0;
      if (this.deleted) {
        this.discard(entry);
        continue;
      }
      this.ready.requeue(entry);
    }
    if (this.deleted) return;
    this.dropExpired();
    this.dispatch();
  }

  /** Drop every ready message; returns how many. */
  purge(): number {
    this.dropExpired();
    this.cancelTtlTimer();
    return this.clearReady();
  }

  /** An entry leaves the broker (acked, delivered without ack, dropped): its message may stop counting. */
  discard(entry: QueuedMessage): void {
    this.memory.release(entry.message);
  }

  addConsumer(consumer: Consumer): void {
    this.consumers.push(consumer);
    if (consumer.exclusive) this.hasExclusiveConsumer = true;
    this.expiresTimer?.cancel();
    this.expiresTimer = undefined;
    this.dispatch();
  }

  /** Remove a consumer; an auto-delete queue that loses its last one goes away. */
  removeConsumer(consumer: Consumer): void {
    const index = this.consumers.indexOf(consumer);
    if (index < 0) return;
    this.consumers.splice(index, 1);
    if (consumer.exclusive) this.hasExclusiveConsumer = false;
    if (this.nextConsumer > index) this.nextConsumer--;
    if (this.consumers.length > 0) return;
    if (this.autoDelete) this.onUnused(this);
    else this.touch();
  }

  /**
   * Hand ready messages to consumers that can take them, round-robin. Called whenever that may have changed: a
   * publish, a new consumer, an ack that frees prefetch room, a requeue, a socket that drained.
   */
  dispatch(): void {
    if (this.dispatching || this.deleted) return;
    this.dispatching = true;
    try {
      while (this.ready.length > 0) {
        const consumer = this.nextReadyConsumer();
        if (consumer === undefined) break;
        const entry = this.takeHead();
        if (entry === undefined) break;
        this.countDelivery();
        consumer.channel.deliver(consumer, entry);
      }
    } finally {
      this.dispatching = false;
    }
  }

  /** Mark deleted, drop the messages, tell consumers; returns how many ready messages it held. */
  delete(): number {
    const count = this.messageCount;
    this.deleted = true;
    this.cancelTtlTimer();
    this.expiresTimer?.cancel();
    this.expiresTimer = undefined;
    this.clearReady();
    const consumers = this.consumers.splice(0);
    for (const consumer of consumers) consumer.channel.cancelledByServer(consumer);
    return count;
  }

  /** Restart the `x-expires` countdown (declare, basic.get, last consumer gone). */
  touch(): void {
    if (this.expires === undefined || this.consumers.length > 0 || this.deleted) return;
    this.expiresTimer?.cancel();
    this.expiresTimer = this.armTimer(this.expires, () => {
      this.expiresTimer = undefined;
      if (this.consumers.length === 0 && !this.deleted) this.onUnused(this);
    });
  }

  private countDelivery(): void {
    this.deliverCount++;
    this.lastActiveAt = this.clock.now();
  }

  private nextReadyConsumer(): Consumer | undefined {
    const consumers = this.consumers;
    const n = consumers.length;
    for (let i = 0; i < n; i++) {
      const index = (this.nextConsumer + i) % n;
      const consumer = consumers[index]!;
      if (consumer.channel.canDeliver(consumer)) {
        this.nextConsumer = (index + 1) % n;
        return consumer;
      }
    }
    return undefined;
  }

  private takeHead(): QueuedMessage | undefined {
    let entry = this.ready.shift();
    while (entry !== undefined && entry.expiresAt !== 0 && entry.expiresAt <= this.clock.now()) {
      this.discard(entry);
      entry = this.ready.shift();
    }
    return entry;
  }

  private clearReady(): number {
    for (const entry of this.ready) this.discard(entry);
    return this.ready.clear();
  }

  /** Drop expired messages at the head and keep a timer for the next head that will expire. */
  private dropExpired(): void {
    let head = this.ready.peek();
    if (head === undefined || head.expiresAt === 0) return;
    const now = this.clock.now();
    while (head !== undefined && head.expiresAt !== 0 && head.expiresAt <= now) {
      this.discard(this.ready.shift()!);
      head = this.ready.peek();
    }
    if (head === undefined || head.expiresAt === 0) return;
    if (this.ttlTimer !== undefined && this.ttlTimerAt <= head.expiresAt) return;
    this.cancelTtlTimer();
    this.ttlTimerAt = head.expiresAt;
    this.ttlTimer = this.armTimer(head.expiresAt - now, () => {
      this.ttlTimer = undefined;
      this.dropExpired();
    });
  }

  private cancelTtlTimer(): void {
    this.ttlTimer?.cancel();
    this.ttlTimer = undefined;
  }

  private armTimer(ms: number, fire: () => void): TimerHandle {
    const due = this.clock.now() + ms;
    const wait = (delay: number): TimerHandle =>
      this.clock
        .setTimeout(
          () => {
            const left = due - this.clock.now();
            if (left > 0) handle = wait(left);
            else fire();
          },
          Math.min(delay, MAX_TIMER_MS),
        )
        .unref();
    let handle = wait(ms);
    return { cancel: () => handle.cancel(), unref: () => handle };
  }
}
