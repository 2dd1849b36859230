/** The label value a value past the bound is folded into. */
export const OVERFLOW_LABEL = '__overflow__';

/** Longest label value kept; longer ones are cut (a task name is an identifier, not a paragraph). */
export const MAX_LABEL_LENGTH = 200;

/**
 * Bounds the distinct values one label takes, so a flood of bogus task names or hostnames (a buggy producer, a
 * fuzzer, a worker named after a random id) cannot grow the registry, and every scrape, without end: the first
 * `limit` distinct values are kept as they are; every later new value is reported as `__overflow__`. Values are cut to
 * MAX_LABEL_LENGTH characters. A value once admitted stays admitted until `forget` (an offline worker purged).
 */
export class LabelGuard {
  private readonly seen = new Set<string>();
  /** How many times a value was folded into OVERFLOW_LABEL. */
  overflowed = 0;

  constructor(readonly limit: number) {}

  admit(raw: string): string {
    const value = raw.length > MAX_LABEL_LENGTH ? raw.slice(0, MAX_LABEL_LENGTH) : raw;
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.limit) {
      this.overflowed++;
      return OVERFLOW_LABEL;
    }
    this.seen.add(value);
    return value;
  }

  forget(value: string): void {
    this.seen.delete(value);
  }

  values(): IterableIterator<string> {
    return this.seen.values();
  }

  get size(): number {
    return this.seen.size;
  }
}
