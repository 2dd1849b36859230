/**
 * A Map that holds at most `budgetBytes` of entries by an estimate of their size, dropping the oldest first: a cache
 * whose keys are lines of text, where a count of lines says nothing about memory (a 160-column line of styled
 * characters weighs ~20 KB, an 8-character width key a few dozen bytes). With `refreshOnRead` a read moves its entry
 * to the back of the queue (least recently used goes first), so the lines of a screen that barely changes stay while
 * one-off lines (task rows streaming by) come and go; that costs a delete and a set per hit, too much for a cache
 * read once per character of the screen (Ink's widths), which goes by insertion order instead. It is a Map to its
 * users (Ink's output stage calls get/set/has), nothing more is promised.
 */
export class BoundedCache<V> extends Map<string, V> {
  /** Estimated bytes held now. */
  bytes = 0;
  private readonly budgetBytes: number;
  private readonly costOf: (key: string, value: V) => number;
  private readonly refreshOnRead: boolean;

  constructor(budgetBytes: number, costOf: (key: string, value: V) => number, options: { readonly refreshOnRead?: boolean } = {}) {
    super();
    this.budgetBytes = budgetBytes;
    this.costOf = costOf;
    this.refreshOnRead = options.refreshOnRead ?? true;
  }

  override get(key: string): V | undefined {
    const value = super.get(key);
    if (value !== undefined && this.refreshOnRead) {
      // Most recently used goes to the back; Map iterates in insertion order, so the front is the oldest.
      super.delete(key);
      super.set(key, value);
    }
    return value;
  }

  override set(key: string, value: V): this {
    const old = super.get(key);
    if (old !== undefined) {
      this.bytes -= this.costOf(key, old);
      super.delete(key);
    }
    super.set(key, value);
    this.bytes += this.costOf(key, value);
    if (this.bytes > this.budgetBytes) this.evict();
    return this;
  }

  override delete(key: string): boolean {
    const old = super.get(key);
    if (old === undefined) return super.delete(key);
    this.bytes -= this.costOf(key, old);
    return super.delete(key);
  }

  override clear(): void {
    super.clear();
    this.bytes = 0;
  }

  /** Drop the oldest entries down to three quarters of the budget, so eviction is not paid on every set. */
  private evict(): void {
    const target = this.budgetBytes * 0.75;
    for (const [key, value] of super.entries()) {
      if (this.bytes <= target) break;
      this.bytes -= this.costOf(key, value);
      super.delete(key);
    }
  }
}
