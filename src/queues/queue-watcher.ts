import { CamqError } from '../errors/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import type { QueueListing } from './queue-figures.js';
import { QueueDepthHistory } from './queue-depth-history.js';
import { QueueGrowth, STATS_INTERVAL_MS } from './queue-growth.js';
import type { QueueLister } from './queue-lister.js';

/** What a watcher last saw: the latest listing (kept through a failed one), the failure if the last try failed. */
export interface QueueWatchSnapshot {
  readonly listing: QueueListing | null;
  /** Why the last listing failed (the API went away, the broker is unreachable); null after a good one. */
  readonly error: CamqError | null;
  /** How many listings were tried. */
  readonly polls: number;
}

export interface QueueWatcherOptions {
  /** Between the end of one listing and the start of the next. @defaultValue 5000 (the brokers' sampling interval) */
  readonly intervalMs?: number;
  readonly clock?: Clock;
}

/**
 * Lists queues again and again (`camq queues --watch`, the live view's queues pane): one listing at a time, the next
 * `intervalMs` after the previous one ended, so a slow API is never asked twice at once. Listings feed `growth`, so
 * markers see whether queues grow, and `history`, so the live view draws each queue's depth. A failed listing is kept as `error` next to the last good listing, and the
 * next try goes ahead. `subscribe`/`getSnapshot` are the pair React's useSyncExternalStore takes.
 */
export class QueueWatcher {
  readonly growth = new QueueGrowth();
  /** Each queue's depth over the last listings (the live view's sparklines). */
  readonly history = new QueueDepthHistory();
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly listeners = new Set<() => void>();
  private snapshot: QueueWatchSnapshot = { listing: null, error: null, polls: 0 };
  private timer: TimerHandle | undefined;
  private isRunning = false;
  private isPolling = false;

  constructor(
    private readonly lister: Pick<QueueLister, 'list'>,
    options: QueueWatcherOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? STATS_INTERVAL_MS;
    this.clock = options.clock ?? systemClock;
  }

  /** List now, then every interval until stop(). */
  start(): void {
    if (this.isRunning) return;
    this.isRunning = true;
    void this.poll();
  }

  stop(): void {
    this.isRunning = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** List again now instead of at the next interval (after a purge or a move); a listing under way is not doubled. */
  refresh(): void {
    if (!this.isRunning || this.isPolling) return;
    this.timer?.cancel();
    this.timer = undefined;
    void this.poll();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): QueueWatchSnapshot => this.snapshot;

  private async poll(): Promise<void> {
    let listing = this.snapshot.listing;
    let error: CamqError | null = null;
    this.isPolling = true;
    try {
      listing = await this.lister.list();
      this.growth.observe(listing);
      this.history.observe(listing);
    } catch (err) {
      error = err instanceof CamqError ? err : new CamqError('queues.no-figures', err instanceof Error ? err.message : String(err), { cause: err });
    }
    this.isPolling = false;
    if (!this.isRunning) return;
    this.snapshot = { listing, error, polls: this.snapshot.polls + 1 };
    for (const listener of this.listeners) listener();
    if (this.isRunning) this.timer = this.clock.setTimeout(() => void this.poll(), this.intervalMs);
  }
}
