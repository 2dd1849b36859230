import type { Clock, TimerHandle } from '../util/clock.js';

/**
 * Holds requests with an ETA until it comes (docs/protocol.md, The worker's semantics): one timer for the earliest
 * entry, entries listed in ETA order for the `scheduled` inspect command. An ETA in the past fires on the next timer
 * turn. Celery gives these timer entries priority 6, which `scheduled` reports.
 */
export interface EtaEntry<T> {
  readonly etaMs: number;
  readonly item: T;
  /** Insertion order, to keep equal ETAs first-in first-out. */
  readonly seq: number;
}

export const ETA_TIMER_PRIORITY = 6;

export class EtaScheduler<T> {
  private entries: EtaEntry<T>[] = [];
  private timer: TimerHandle | undefined;
  private timerDue = Infinity;
  private seq = 0;
  private readonly clock: Clock;
  private readonly fire: (item: T) => void;

  constructor(options: { clock: Clock; fire: (item: T) => void }) {
    this.clock = options.clock;
    this.fire = options.fire;
  }

  schedule(etaMs: number, item: T): void {
    const entry: EtaEntry<T> = { etaMs, item, seq: this.seq++ };
    // Keep the list sorted; ETAs mostly arrive in order, so search from the end.
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1]!.etaMs > etaMs) i--;
    this.entries.splice(i, 0, entry);
    this.arm();
  }

  /** Entries in ETA order. */
  list(): readonly EtaEntry<T>[] {
    return this.entries;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Take every entry out and stop the timer (shutdown, connection loss). */
  drain(): T[] {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerDue = Infinity;
    const items = this.entries.map((e) => e.item);
    this.entries = [];
    return items;
  }

  private arm(): void {
    const first = this.entries[0];
    if (!first) {
      this.timer?.cancel();
      this.timer = undefined;
      this.timerDue = Infinity;
      return;
    }
    if (this.timer && this.timerDue <= first.etaMs) return;
    this.timer?.cancel();
    this.timerDue = first.etaMs;
    this.timer = this.clock.setTimeout(() => this.onTimer(), Math.max(0, first.etaMs - this.clock.now()));
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = this.clock.now();
    while (this.entries.length > 0 && this.entries[0]!.etaMs <= now) this.fire(this.entries.shift()!.item);
    this.arm();
  }
}
