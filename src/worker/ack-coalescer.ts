import type { Delivery } from '../transport/index.js';
import { immediate } from '../util/clock.js';

/** Where settled deliveries go: the consumer channel (its `ack(msg, allUpTo)` and `reject(msg, requeue)`). */
export interface AckSink {
  ack(msg: Delivery, multiple: boolean): void;
  reject(msg: Delivery, requeue: boolean): void;
}

const OPEN = 0;
const REQUESTED = 1;
const SETTLED = 2;

interface Entry {
  readonly msg: Delivery;
  state: typeof OPEN | typeof REQUESTED | typeof SETTLED;
}

/**
 * Coalesces the acks of one consumer channel. With one `basic.ack` per message, RabbitMQ's per-ack work is what
 * limits a fast worker, so acks asked for during one turn of the event loop are sent together when it ends
 * (`schedule`: the worker passes its Clock's setImmediate; Node's by default):
 *
 * - the longest prefix of the channel's outstanding deliveries (in delivery-tag order) that are all acked goes as
 *   ONE `basic.ack(tag = last of them, multiple = true)`;
 * - acked deliveries behind a still-open one (an ETA-held message, a rate-limited waiter, a running acks-late
 *   task) go one by one (`multiple = false`), because a multiple ack would settle the open one too.
 *
 * Rejects are sent at once. A multiple ack may span tags settled earlier (RabbitMQ skips them), but its own tag
 * must still be outstanding, or the broker closes the channel with `406 PRECONDITION_FAILED - unknown delivery
 * tag`: so a tag is asked for once at most, and acking or rejecting a settled (or unknown) tag does nothing and
 * returns false.
 *
 * The one visible difference from acking synchronously: an ack leaves at the end of the current event-loop turn.
 * If the connection dies in between, the broker redelivers that message (at least once, as for any unacked one).
 *
 * One instance per channel: delivery tags belong to a channel, so a new channel (reconnect) gets a new coalescer
 * and the old one is `reset()`.
 */
export class AckCoalescer {
  /** Tracked deliveries in tag order; `head` is the first one not known to be settled. */
  private entries: Entry[] = [];
  private head = 0;
  /**
   * SETTLED entries at or after `head`: acked or rejected behind a still-open one. They are dropped in bulk by
   * `compact` (a multiple ack may span settled tags), or a delivery held open for long (an ETA a month away) would
   * keep every later delivery, content and all, in memory.
   */
  private settledBehind = 0;
  /** Entries whose ack was asked for since the last flush. */
  private requested: Entry[] = [];
  private scheduled = false;
  private readonly sink: AckSink;
  private readonly schedule: (flush: () => void) => void;
  private readonly flushBound = () => this.flush();

  constructor(sink: AckSink, options: { schedule?: (flush: () => void) => void } = {}) {
    this.sink = sink;
    this.schedule = options.schedule ?? immediate;
  }

  /** A delivery arrived on the channel: it is open until acked or rejected. Call in delivery order. */
  track(msg: Delivery): void {
    this.entries.push({ msg, state: OPEN });
  }

  /** Ask to ack an open delivery; it goes out with the next flush. False when the tag is unknown or settled. */
  ack(msg: Delivery): boolean {
    const entry = this.find(msg.fields.deliveryTag);
    if (!entry || entry.state !== OPEN) return false;
    entry.state = REQUESTED;
    this.requested.push(entry);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(this.flushBound);
    }
    return true;
  }

  /** Reject an open delivery now. False when the tag is unknown or settled (or its ack is already on the way). */
  reject(msg: Delivery, requeue: boolean): boolean {
    const entry = this.find(msg.fields.deliveryTag);
    if (!entry || entry.state !== OPEN) return false;
    entry.state = SETTLED;
    this.settledBehind++;
    this.sink.reject(entry.msg, requeue);
    this.advance();
    return true;
  }

  /** Send the requested acks now (also run at the end of each event-loop turn that asked for any). */
  flush(): void {
    this.scheduled = false;
    if (this.requested.length === 0) return;
    let last: Entry | undefined;
    let count = 0;
    let i = this.head;
    const entries = this.entries;
    for (; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.state === OPEN) break;
      if (entry.state === REQUESTED) {
        entry.state = SETTLED;
        last = entry;
        count++;
      } else this.settledBehind--;
    }
    this.head = i;
    const requested = this.requested;
    this.requested = [];
    if (last) this.sink.ack(last.msg, count > 1);
    for (const entry of requested) {
      if (entry.state !== REQUESTED) continue;
      entry.state = SETTLED;
      this.settledBehind++;
      this.sink.ack(entry.msg, false);
    }
    this.compact();
  }

  /** Deliveries not settled at the broker yet (open, or acked but not flushed). */
  get outstanding(): number {
    let n = 0;
    for (let i = this.head; i < this.entries.length; i++) if (this.entries[i]!.state !== SETTLED) n++;
    return n;
  }

  /** Acks asked for and not flushed yet. */
  get pending(): number {
    return this.requested.length;
  }

  /** The channel is gone: its tags can no longer be settled (the broker gives those messages back). */
  reset(): void {
    this.entries = [];
    this.head = 0;
    this.settledBehind = 0;
    this.requested = [];
  }

  /** Entries kept (open, acked but not flushed, and settled ones not yet dropped): bounded, whatever stays open. */
  get retained(): number {
    return this.entries.length - this.head;
  }

  /** The entry of a tag: tags are consecutive on a consume-only channel, so index arithmetic usually finds it. */
  private find(tag: number): Entry | undefined {
    const entries = this.entries;
    const first = entries[this.head];
    if (!first) return undefined;
    const guess = this.head + (tag - first.msg.fields.deliveryTag);
    if (entries[guess]?.msg.fields.deliveryTag === tag) return entries[guess];
    // Gaps (tags this coalescer never saw): binary search, the entries are in tag order.
    let lo = this.head;
    let hi = entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = entries[mid]!.msg.fields.deliveryTag;
      if (at === tag) return entries[mid];
      if (at < tag) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Drop settled entries from the front (after a reject; a flush does it for acks). */
  private advance(): void {
    while (this.head < this.entries.length && this.entries[this.head]!.state === SETTLED) {
      this.head++;
      this.settledBehind--;
    }
    this.compact();
  }

  private compact(): void {
    if (this.head === this.entries.length) {
      this.entries.length = 0;
      this.head = 0;
      this.settledBehind = 0;
    } else if (this.settledBehind >= 1024 && this.settledBehind * 2 >= this.entries.length - this.head) {
      this.entries = this.entries.slice(this.head).filter((e) => e.state !== SETTLED);
      this.head = 0;
      this.settledBehind = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
