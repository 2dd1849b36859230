import { UsageError } from '../errors/index.js';
import { parseRate } from '../protocol/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';

/**
 * Per-task-type rate limits as Celery's worker applies them (docs/protocol.md, The worker's semantics): one token
 * bucket per task name, capacity 1, filled at the rate's tokens per second. A request that finds no token waits in that
 * bucket's FIFO queue; one timer per bucket is armed for the time the next token is due and re-armed after each
 * release.
 *
 * Waiting requests hold unacked messages but are not "reserved": the worker lists them nowhere, as Celery does.
 *
 * One deliberate difference from Celery 5.2.6: when the limit changes (the `rate_limit` command), requests waiting
 * in the old bucket move to the new one, in order, instead of being released by the old bucket's timers at the
 * old rate (or never, when the limit was removed); see README.
 */
export class TokenBucket {
  /** Tokens per second. */
  readonly rate: number;
  readonly capacity = 1;
  private tokens = 1;
  private lastFill: number;
  private readonly clock: Clock;

  constructor(rate: number, clock: Clock) {
    this.rate = rate;
    this.clock = clock;
    this.lastFill = clock.monotonic();
  }

  /** Take one token if there is one. */
  tryConsume(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until one token is available (0 when one is). */
  expectedWaitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.rate) * 1000;
  }

  private refill(): void {
    const now = this.clock.monotonic();
    const elapsed = (now - this.lastFill) / 1000;
    this.lastFill = now;
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.rate);
  }
}

interface BucketState<T> {
  bucket: TokenBucket;
  waiting: T[];
  timer: TimerHandle | undefined;
}

export class RateLimiter<T> {
  private readonly buckets = new Map<string, BucketState<T>>();
  private readonly clock: Clock;
  private readonly release: (item: T) => void;

  /** `release` is called, in order, for every item once its bucket gives it a token. */
  constructor(options: { clock: Clock; release: (item: T) => void }) {
    this.clock = options.clock;
    this.release = options.release;
  }

  /**
   * Set or clear the limit of one task type. `rate` is anything `parseRate` reads; falsy removes the limit.
   * Waiting items move to the new bucket (or are released now when the limit is gone).
   */
  setRate(name: string, rate: string | number | null | undefined): void {
    const parsed = parseRate(rate ?? null);
    // A task's `rateLimit` option is the only unchecked source (the CLI and control commands parse theirs first).
    if (!parsed.ok) throw new UsageError(parsed.error, 'usage.bad-rate');
    const old = this.buckets.get(name);
    old?.timer?.cancel();
    this.buckets.delete(name);
    if (parsed.perSecond > 0) this.buckets.set(name, { bucket: new TokenBucket(parsed.perSecond, this.clock), waiting: [], timer: undefined });
    for (const item of old?.waiting ?? []) this.submit(name, item);
  }

  isLimited(name: string): boolean {
    return this.buckets.has(name);
  }

  /** Pass `item` on now if its type has a token (or no limit); otherwise queue it behind the others. */
  submit(name: string, item: T): void {
    const state = this.buckets.get(name);
    if (!state) return this.release(item);
    if (state.waiting.length === 0 && state.bucket.tryConsume()) return this.release(item);
    state.waiting.push(item);
    this.arm(state);
  }

  /** How many items wait in all buckets. */
  get waitingCount(): number {
    let n = 0;
    for (const s of this.buckets.values()) n += s.waiting.length;
    return n;
  }

  /** Take every waiting item out (shutdown, connection loss) and stop the timers. */
  drain(): T[] {
    const out: T[] = [];
    for (const s of this.buckets.values()) {
      s.timer?.cancel();
      s.timer = undefined;
      out.push(...s.waiting.splice(0));
    }
    return out;
  }

  /** Remove waiting items that match (e.g. a revoked id); returns them. */
  remove(match: (item: T) => boolean): T[] {
    const out: T[] = [];
    for (const s of this.buckets.values()) {
      const keep: T[] = [];
      for (const item of s.waiting) (match(item) ? out : keep).push(item);
      s.waiting = keep;
    }
    return out;
  }

  private arm(state: BucketState<T>): void {
    if (state.timer || state.waiting.length === 0) return;
    state.timer = this.clock.setTimeout(() => {
      state.timer = undefined;
      while (state.waiting.length > 0 && state.bucket.tryConsume()) this.release(state.waiting.shift()!);
      this.arm(state);
    }, Math.ceil(state.bucket.expectedWaitMs()));
  }
}
