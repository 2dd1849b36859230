/**
 * A double-ended queue on a growable ring buffer: push, shift and unshift in O(1), so a queue of a million
 * messages costs no more per operation than a queue of ten. `insertBefore` moves only the elements in front of
 * the insertion point, which is cheap where the broker uses it (requeued messages go back near the head).
 */
export class Deque<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(capacity = 16) {
    let size = 16;
    while (size < capacity) size *= 2;
    this.items = new Array<T | undefined>(size);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }

  unshift(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1) & (this.items.length - 1);
    this.items[this.head] = item;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return item;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  at(index: number): T | undefined {
    return index < 0 || index >= this.count ? undefined : this.items[(this.head + index) & (this.items.length - 1)];
  }

  /** Insert `item` so that it sits at `index` (0 = the head), moving the elements before it one place forward. */
  insertAt(index: number, item: T): void {
    if (index <= 0) return this.unshift(item);
    if (index >= this.count) return this.push(item);
    if (this.count === this.items.length) this.grow();
    const mask = this.items.length - 1;
    this.head = (this.head - 1) & mask;
    for (let i = 0; i < index; i++) this.items[(this.head + i) & mask] = this.items[(this.head + i + 1) & mask];
    this.items[(this.head + index) & mask] = item;
    this.count++;
  }

  /** Remove everything; returns how many items there were. */
  clear(): number {
    const removed = this.count;
    this.items = new Array<T | undefined>(16);
    this.head = 0;
    this.count = 0;
    return removed;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) yield this.items[(this.head + i) & (this.items.length - 1)] as T;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.items.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) & (this.items.length - 1)];
    this.items = next;
    this.head = 0;
  }
}
