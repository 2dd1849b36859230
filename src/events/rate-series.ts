/**
 * A count per whole second over a sliding window, for rates and sparklines. Pure: time is passed in (epoch ms),
 * never read. Adding is O(1); seconds that went by without counts are zeroed lazily.
 */
export class RateSeries {
  private readonly buckets: Uint32Array;
  /** The whole second the newest bucket stands for; -1 before the first count. */
  private head = -1;
  private sum = 0;

  constructor(readonly windowSeconds = 60) {
    this.buckets = new Uint32Array(windowSeconds);
  }

  add(nowMs: number, count = 1): void {
    const second = Math.floor(nowMs / 1000);
    if (second > this.head) this.roll(second);
    else if (second <= this.head - this.windowSeconds) return; // older than the window
    this.buckets[second % this.windowSeconds]! += count;
    this.sum += count;
  }

  /** Counts per second, oldest first, for the `seconds` whole seconds before the current one (which is partial). */
  values(nowMs: number, seconds = this.windowSeconds - 1): number[] {
    const current = Math.floor(nowMs / 1000);
    const n = Math.min(seconds, this.windowSeconds - 1);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.at(current - n + i);
    return out;
  }

  /** Average per second over the last `seconds` complete seconds. */
  perSecond(nowMs: number, seconds = 10): number {
    const values = this.values(nowMs, seconds);
    let total = 0;
    for (const v of values) total += v;
    return values.length === 0 ? 0 : total / values.length;
  }

  /** Everything still in the window. */
  get total(): number {
    return this.sum;
  }

  private at(second: number): number {
    if (second > this.head || second <= this.head - this.windowSeconds || second < 0) return 0;
    return this.buckets[second % this.windowSeconds]!;
  }

  private roll(second: number): void {
    const w = this.windowSeconds;
    if (this.head < 0 || second - this.head >= w) {
      this.buckets.fill(0);
      this.sum = 0;
    } else {
      for (let s = this.head + 1; s <= second; s++) {
        const slot = s % w;
        this.sum -= this.buckets[slot]!;
        this.buckets[slot] = 0;
      }
    }
    this.head = second;
  }
}
