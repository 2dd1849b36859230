import type { QueueDepthHistory } from './queue-depth-history.js';
import { isClusteredListing, type FiguresSource } from './queue-figures.js';
import type { QueueGrowth } from './queue-growth.js';
import { queueMarkers, type QueueMarker } from './queue-markers.js';
import { selectQueues } from './queue-selection.js';
import type { QueueWatchSnapshot } from './queue-watcher.js';

/** One row of the live view's queues pane: the figures it shows, the markers, and the depth over the last listings. */
export interface QueuePaneRow {
  readonly name: string;
  /** `quorum`, `classic`, `stream`; null when the source does not tell. */
  readonly type: string | null;
  /** The node serving it (a quorum queue's leader), and how many nodes hold it; null when unknown. */
  readonly leader: string | null;
  readonly members: number | null;
  readonly ready: number;
  readonly unacked: number | null;
  readonly consumers: number;
  readonly publishRate: number | null;
  readonly deliverRate: number | null;
  /** `no-consumer` and `growing` (housekeeping queues are not rows). */
  readonly markers: readonly QueueMarker[];
  /** Depth (ready + unacked) per listing, oldest first. */
  readonly depths: readonly number[];
}

/** What the queues pane draws, made once per listing. */
export interface QueuePaneView {
  /** Null until the first listing answered. */
  readonly source: FiguresSource | null;
  /** The queues, the deepest first (then by name); housekeeping queues left out. */
  readonly rows: readonly QueuePaneRow[];
  /** Ready messages over the listed queues: the header's backlog. */
  readonly backlog: number;
  readonly hiddenHousekeeping: number;
  /** The queues live on several nodes or are replicated: the pane shows type, leader and members (isClusteredListing). */
  readonly clustered: boolean;
  /** With the AMQP fallback: what is missing and how to enable the API. */
  readonly missing: string | null;
  /** Why the last listing failed (the rows are then the last good listing's). */
  readonly error: string | null;
  /** When the listing was taken (ms since the epoch), or null. */
  readonly takenAt: number | null;
}

export const EMPTY_QUEUE_PANE: QueuePaneView = {
  source: null,
  rows: [],
  backlog: 0,
  hiddenHousekeeping: 0,
  clustered: false,
  missing: null,
  error: null,
  takenAt: null,
};

/** The queues pane's rows from a watcher's snapshot, growth and depth history (pure: tested without a broker). */
export function queuePaneView(snapshot: QueueWatchSnapshot, growth: QueueGrowth, history: QueueDepthHistory): QueuePaneView {
  const { listing, error } = snapshot;
  if (listing === null) return { ...EMPTY_QUEUE_PANE, error: error?.message ?? null };
  const { queues, housekeeping } = selectQueues(listing.queues, { sort: 'ready' });
  const rows = queues.map((q): QueuePaneRow => ({
    name: q.name,
    type: q.type,
    leader: q.leader ?? null,
    members: q.members ?? null,
    ready: q.ready,
    unacked: q.unacked,
    consumers: q.consumers,
    publishRate: q.publishRate,
    deliverRate: q.deliverRate,
    markers: queueMarkers(q, growth).filter((m) => m !== 'housekeeping'),
    depths: history.of(q.vhost, q.name),
  }));
  return {
    source: listing.source,
    rows,
    backlog: queues.reduce((sum, q) => sum + q.ready, 0),
    hiddenHousekeeping: housekeeping.length,
    clustered: isClusteredListing(listing.queues),
    missing: listing.missing,
    error: error?.message ?? null,
    takenAt: listing.takenAt,
  };
}

/**
 * Whether two views draw the same pane (`takenAt` aside, which the pane does not show): the live view keeps the
 * previous view then, so a listing that changed nothing (201 idle queues every 5 s) redraws nothing.
 */
export function isSameQueuePaneView(a: QueuePaneView, b: QueuePaneView): boolean {
  if (a.source !== b.source || a.backlog !== b.backlog || a.hiddenHousekeeping !== b.hiddenHousekeeping) return false;
  if (a.missing !== b.missing || a.error !== b.error || a.rows.length !== b.rows.length) return false;
  return a.rows.every((r, i) => isSameRow(r, b.rows[i]!));
}

function isSameRow(a: QueuePaneRow, b: QueuePaneRow): boolean {
  return (
    a.name === b.name &&
    a.ready === b.ready &&
    a.unacked === b.unacked &&
    a.consumers === b.consumers &&
    a.publishRate === b.publishRate &&
    a.deliverRate === b.deliverRate &&
    a.markers.length === b.markers.length &&
    a.markers.every((m, i) => m === b.markers[i]) &&
    isSameDepths(a.depths, b.depths)
  );
}

/** Equal depths, or none above 0 in either: the sparkline is blank then however many listings it holds. */
function isSameDepths(a: readonly number[], b: readonly number[]): boolean {
  if (a.length === b.length && a.every((d, i) => d === b[i])) return true;
  return a.every((d) => d <= 0) && b.every((d) => d <= 0);
}
