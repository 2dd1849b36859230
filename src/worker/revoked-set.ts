/**
 * Revoked task ids, kept like Celery's `LimitedSet` (docs/protocol.md, The worker's semantics): at most `maxSize`
 * entries (the oldest go first) and entries older than `expiresMs` (3 h) are dropped. Ids are listed oldest first.
 * Times are epoch milliseconds from the injected clock, so the set survives a restart through the state db with its
 * ages intact.
 */
export interface RevokedSetOptions {
  /** @defaultValue 50_000 */
  readonly maxSize?: number;
  /** @defaultValue 10_800_000 (3 hours) */
  readonly expiresMs?: number;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

export class RevokedSet {
  /** id → insert time; a Map iterates in insertion order, and re-adding moves an id to the end. */
  private readonly entries = new Map<string, number>();
  readonly maxSize: number;
  readonly expiresMs: number;
  private readonly now: () => number;

  constructor(options: RevokedSetOptions = {}) {
    this.maxSize = options.maxSize ?? 50_000;
    this.expiresMs = options.expiresMs ?? 10_800_000;
    this.now = options.now ?? Date.now;
  }

  add(id: string, at = this.now()): void {
    this.entries.delete(id);
    this.entries.set(id, at);
    this.purge();
  }

  has(id: string): boolean {
    const at = this.entries.get(id);
    if (at === undefined) return false;
    if (this.now() - at >= this.expiresMs) {
      this.entries.delete(id);
      return false;
    }
    return true;
  }

  /** Drop expired entries, then the oldest ones beyond maxSize. */
  purge(): void {
    const cutoff = this.now() - this.expiresMs;
    for (const [id, at] of this.entries) {
      if (at > cutoff && this.entries.size <= this.maxSize) break;
      this.entries.delete(id);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Ids, oldest first (what the `revoked` inspect command lists). */
  ids(): string[] {
    this.purge();
    return [...this.entries.keys()];
  }

  /** `[id, insertedAtMs]` pairs, oldest first: the state db's contents. */
  toJSON(): [string, number][] {
    this.purge();
    return [...this.entries];
  }

  /** Merge pairs (from the state db or a peer), keeping the newest time per id and the time order. */
  load(pairs: Iterable<readonly [string, number]>): void {
    const merged = [...this.entries];
    for (const [id, at] of pairs) {
      if (typeof id !== 'string' || typeof at !== 'number' || !Number.isFinite(at)) continue;
      merged.push([id, at]);
    }
    merged.sort((a, b) => a[1] - b[1]);
    this.entries.clear();
    for (const [id, at] of merged) {
      this.entries.delete(id);
      this.entries.set(id, at);
    }
    this.purge();
  }
}
