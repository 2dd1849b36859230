/**
 * A queue's ready messages: one FIFO for a plain queue, or, for a queue declared with `x-max-priority` N (1–255),
 * one FIFO per priority 0..N served highest first, as RabbitMQ's classic priority queues do (checked on 3.10: a
 * message without a priority counts as 0, one above N as N, and equal priorities keep publish order). Requeued
 * messages go back in seq order within their level, ahead of the ones never delivered.
 */
import { Deque } from './deque.js';
import type { QueuedMessage } from './message.js';

/** RabbitMQ's largest `x-max-priority` (rabbit_priority_queue: ?MAX_SUPPORTED_PRIORITY). */
export const MAX_SUPPORTED_PRIORITY = 255;

export interface ReadyMessages extends Iterable<QueuedMessage> {
  readonly length: number;
  push(entry: QueuedMessage): void;
  peek(): QueuedMessage | undefined;
  shift(): QueuedMessage | undefined;
  /** Put a delivered message back in its place (seq order). */
  requeue(entry: QueuedMessage): void;
  /** Remove everything; returns how many there were. */
  clear(): number;
}

/** Insert by seq into a FIFO whose entries ascend by seq (requeues come back near the head, so this is cheap). */
function insertBySeq(fifo: Deque<QueuedMessage>, entry: QueuedMessage): void {
  const head = fifo.peek();
  if (head === undefined || entry.seq < head.seq) return fifo.unshift(entry);
  let index = 1;
  while (index < fifo.length && fifo.at(index)!.seq < entry.seq) index++;
  fifo.insertAt(index, entry);
}

/** A plain queue: the Deque itself, plus seq-ordered requeue. */
export class FifoReady extends Deque<QueuedMessage> implements ReadyMessages {
  requeue(entry: QueuedMessage): void {
    insertBySeq(this, entry);
  }
}

export class PriorityReady implements ReadyMessages {
  /** levels[p]: the messages of priority p; served from the top. */
  private readonly levels: Deque<QueuedMessage>[];
  private count = 0;

  constructor(readonly maxPriority: number) {
    this.levels = Array.from({ length: maxPriority + 1 }, () => new Deque<QueuedMessage>());
  }

  get length(): number {
    return this.count;
  }

  push(entry: QueuedMessage): void {
    this.levelOf(entry).push(entry);
    this.count++;
  }

  requeue(entry: QueuedMessage): void {
    insertBySeq(this.levelOf(entry), entry);
    this.count++;
  }

  peek(): QueuedMessage | undefined {
    return this.top()?.peek();
  }

  shift(): QueuedMessage | undefined {
    const entry = this.top()?.shift();
    if (entry !== undefined) this.count--;
    return entry;
  }

  clear(): number {
    const removed = this.count;
    for (const level of this.levels) level.clear();
    this.count = 0;
    return removed;
  }

  *[Symbol.iterator](): IterableIterator<QueuedMessage> {
    for (let p = this.levels.length - 1; p >= 0; p--) yield* this.levels[p]!;
  }

  private top(): Deque<QueuedMessage> | undefined {
    if (this.count === 0) return undefined;
    for (let p = this.levels.length - 1; p >= 0; p--) if (this.levels[p]!.length > 0) return this.levels[p];
    return undefined;
  }

  private levelOf(entry: QueuedMessage): Deque<QueuedMessage> {
    const priority = entry.message.properties.priority ?? 0;
    return this.levels[Math.min(priority, this.maxPriority)]!;
  }
}

/** The ready list for a queue declared with this `x-max-priority` (none or 0: a plain FIFO, as RabbitMQ). */
export function readyMessages(maxPriority: number | undefined): ReadyMessages {
  return maxPriority === undefined || maxPriority === 0 ? new FifoReady() : new PriorityReady(maxPriority);
}
