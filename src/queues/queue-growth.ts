import type { QueueFigures, QueueListing } from './queue-figures.js';

/**
 * RabbitMQ's management API samples queue counts every 5 s (`collect_statistics_interval`), and the embedded broker
 * does the same: two listings less apart than this may show the same counts for a queue that grows.
 */
export const STATS_INTERVAL_MS = 5000;

/** Samples older than this are forgotten. */
const WINDOW_MS = 60_000;

interface Sample {
  readonly at: number;
  readonly ready: number;
}

/**
 * Whether queues grow, from successive listings (`camq queues --watch`, the live view): a queue grows when its
 * ready count is above the one of a listing at least STATS_INTERVAL_MS older, so two looks within one sampling
 * interval never decide. A broker's own rate (`messages_ready_details.rate`, QueueFigures.readyRate) decides as
 * well, so a single listing from the API already shows growth.
 */
export class QueueGrowth {
  private readonly samples = new Map<string, Sample[]>();

  /** Record a listing; queues no longer listed are forgotten. */
  observe(listing: QueueListing): void {
    const seen = new Set<string>();
    for (const q of listing.queues) {
      const key = keyOf(q);
      seen.add(key);
      const list = this.samples.get(key) ?? [];
      list.push({ at: listing.takenAt, ready: q.ready });
      while (list.length > 1 && list[0]!.at < listing.takenAt - WINDOW_MS) list.shift();
      this.samples.set(key, list);
    }
    for (const key of this.samples.keys()) if (!seen.has(key)) this.samples.delete(key);
  }

  /** True when the last observed ready count of `q` exceeds one observed at least STATS_INTERVAL_MS before it. */
  isGrowing(q: QueueFigures): boolean {
    if ((q.readyRate ?? 0) > 0) return true;
    const list = this.samples.get(keyOf(q));
    if (list === undefined || list.length < 2) return false;
    const last = list[list.length - 1]!;
    let reference: Sample | undefined;
    for (const sample of list) {
      if (sample.at <= last.at - STATS_INTERVAL_MS) reference = sample;
      else break;
    }
    return reference !== undefined && last.ready > reference.ready;
  }
}

function keyOf(q: QueueFigures): string {
  return `${q.vhost}\u0000${q.name}`;
}
