import type { QueueListing } from './queue-figures.js';

/** Depths kept per queue: a minute of listings at the brokers' 5 s sampling interval, and some. */
export const DEPTH_HISTORY_LENGTH = 24;

/**
 * Each queue's depth (ready + unacked) over its last listings, oldest first: what the live view's queues pane draws as
 * a sparkline. One sample per listing, so the history moves at the watcher's pace and never per frame; queues no
 * longer listed are forgotten.
 */
export class QueueDepthHistory {
  private readonly depths = new Map<string, number[]>();

  constructor(private readonly length = DEPTH_HISTORY_LENGTH) {}

  observe(listing: QueueListing): void {
    const seen = new Set<string>();
    for (const q of listing.queues) {
      const key = `${q.vhost}\u0000${q.name}`;
      seen.add(key);
      const list = this.depths.get(key) ?? [];
      list.push(q.ready + (q.unacked ?? 0));
      if (list.length > this.length) list.shift();
      this.depths.set(key, list);
    }
    for (const key of this.depths.keys()) if (!seen.has(key)) this.depths.delete(key);
  }

  /** The queue's depths, oldest first (empty when never listed). */
  of(vhost: string, name: string): readonly number[] {
    return this.depths.get(`${vhost}\u0000${name}`) ?? [];
  }
}
