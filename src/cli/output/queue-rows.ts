import type { ChalkInstance } from 'chalk';
import type { ListingTable } from '../../control/reply-text.js';
import { renderAlignedTable } from './aligned-table.js';
// The modules themselves, not the barrel: `camq` loads this file at start-up for every command.
import { isClusteredListing, type QueueFigures, type QueueListing } from '../../queues/queue-figures.js';
import type { QueueGrowth } from '../../queues/queue-growth.js';
import { queueMarkers, type QueueMarker } from '../../queues/queue-markers.js';
import type { QueueSelection } from '../../queues/queue-selection.js';

/** The table's columns, in order (docs/queues.md says what each means). */
export const QUEUE_TABLE_HEAD = [
  'vhost',
  'name',
  'type',
  'ready',
  'unacked',
  'consumers',
  'publish/s',
  'deliver/s',
  'idle since',
  'markers',
] as const;

const MARKER_TEXT: Readonly<Record<QueueMarker, string>> = {
  'no-consumer': 'no consumer',
  growing: 'growing',
  housekeeping: 'housekeeping',
};

/** On a cluster (isClusteredListing), after `type`: the node serving each queue and how many nodes hold it. */
export const QUEUE_CLUSTER_HEAD = ['leader', 'members'] as const;

/**
 * Where queues are stored as data (Redis), after `unacked`: the oldest unacked message's age and the visibility
 * timeout after which it is restored (`4m of 1h`).
 */
export const QUEUE_UNACKED_AGE_HEAD = 'oldest unacked';

/** The columns holding numbers, right-aligned, by name. */
const NUMBER_COLUMNS: ReadonlySet<string> = new Set(['ready', 'unacked', QUEUE_UNACKED_AGE_HEAD, 'consumers', 'publish/s', 'deliver/s', 'members']);

/**
 * Rows of `camq queues`' table (plain text); figures a source cannot give show as `-`. On a cluster the leader and
 * member count follow the type; on a single node they are left out (every row would name the same node). Where queues
 * are stored as data (Redis), `ready` says how many wait in each priority sub-list and the oldest unacked message's
 * age follows `unacked`.
 */
export function queueTable(queues: readonly QueueFigures[], now: number, growth?: QueueGrowth): ListingTable {
  const clustered = isClusteredListing(queues);
  const stored = queues.some((q) => q.unackedAge !== undefined);
  const head: string[] = [...QUEUE_TABLE_HEAD];
  if (stored) head.splice(head.indexOf('unacked') + 1, 0, QUEUE_UNACKED_AGE_HEAD);
  if (clustered) head.splice(3, 0, ...QUEUE_CLUSTER_HEAD);
  return {
    head,
    rows: queues.map((q) => [
      q.vhost,
      q.name,
      q.type ?? '-',
      ...(clustered ? [q.leader ?? '-', q.members === undefined || q.members === null ? '-' : String(q.members)] : []),
      formatReady(q),
      q.unacked === null ? '-' : String(q.unacked),
      ...(stored ? [formatUnackedAge(q)] : []),
      String(q.consumers),
      formatRate(q.publishRate),
      formatRate(q.deliverRate),
      q.idleSince === null ? '-' : formatAge(now - q.idleSince),
      queueMarkers(q, growth)
        .filter((m) => m !== 'housekeeping')
        .map((m) => MARKER_TEXT[m])
        .join(', '),
    ]),
  };
}

/** A rate per second: `-` when unknown, one decimal below 10, whole numbers above. */
export function formatRate(rate: number | null): string {
  if (rate === null) return '-';
  if (rate === 0) return '0';
  return Math.abs(rate) < 10 ? rate.toFixed(1) : String(Math.round(rate));
}

/** How long ago, in the largest unit that fits: `12s ago`, `4m ago`, `3h ago`, `2d ago`. */
export function formatAge(ms: number): string {
  return `${formatSpan(ms)} ago`;
}

/** A duration in the largest unit that fits, rounded down: `12s`, `4m`, `3h`, `2d`. */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/**
 * The ready count; with priority sub-lists (Redis) and messages in any but the first, the count of each non-empty one
 * in serving order after it: `12 (0:10 3:2)`.
 */
export function formatReady(q: QueueFigures): string {
  const lists = q.readyByPriority ?? [];
  const used = lists.filter((p) => p.count > 0);
  if (used.length === 0 || (used.length === 1 && used[0] === lists[0])) return String(q.ready);
  return `${q.ready} (${used.map((p) => `${p.priority}:${p.count}`).join(' ')})`;
}

/** The oldest unacked message's age of the visibility timeout it faces (`4m of 1h`); `-` when none or unknown. */
export function formatUnackedAge(q: QueueFigures): string {
  if (q.unackedAge === undefined || q.unackedAge.oldestMs === null) return '-';
  return `${formatSpan(q.unackedAge.oldestMs)} of ${formatSpan(q.unackedAge.visibilityTimeoutS * 1000)}`;
}

/** `camq queues`' table as text: aligned columns, numbers to the right, markers in colour on a terminal. */
export function renderQueueTable(table: ListingTable, style: ChalkInstance): string {
  const markerColumn = table.head.length - 1;
  return renderAlignedTable(table, style, {
    rightAligned: new Set(table.head.flatMap((h, i) => (NUMBER_COLUMNS.has(h) ? [i] : []))),
    styleCell: (column, text) =>
      column !== markerColumn || text === ''
        ? text
        : text
            .split(', ')
            .map((m) => (m === MARKER_TEXT['no-consumer'] ? style.red(m) : style.yellow(m)))
            .join(', '),
  });
}

/** One queue as `--json` prints it: the figures, `idleSince` as an ISO date, and the markers. */
export function queueJson(q: QueueFigures, growth?: QueueGrowth): Record<string, unknown> {
  return {
    vhost: q.vhost,
    name: q.name,
    type: q.type,
    leader: q.leader ?? null,
    members: q.members ?? null,
    ready: q.ready,
    unacked: q.unacked,
    consumers: q.consumers,
    publishRate: q.publishRate,
    deliverRate: q.deliverRate,
    idleSince: q.idleSince === null ? null : new Date(q.idleSince).toISOString(),
    markers: queueMarkers(q, growth),
    // Only where the broker tells them (Redis): RabbitMQ's documents stay as they were.
    ...(q.readyByPriority === undefined ? {} : { readyByPriority: q.readyByPriority }),
    ...(q.unackedAge === undefined
      ? {}
      : {
          oldestUnackedMs: q.unackedAge.oldestMs === null ? null : Math.round(q.unackedAge.oldestMs),
          visibilityTimeoutS: q.unackedAge.visibilityTimeoutS,
        }),
  };
}

/**
 * A listing as `--json` prints it: where the figures came from, what is missing, the queues (housekeeping ones
 * apart, with `--all`; otherwise only counted).
 */
export function listingJson(listing: QueueListing, selection: QueueSelection, showAll: boolean, growth?: QueueGrowth): Record<string, unknown> {
  return {
    source: listing.source,
    api: listing.api,
    takenAt: new Date(listing.takenAt).toISOString(),
    missing: listing.missing,
    queues: selection.queues.map((q) => queueJson(q, growth)),
    ...(showAll ? { housekeeping: selection.housekeeping.map((q) => queueJson(q, growth)) } : { hiddenHousekeeping: selection.housekeeping.length }),
  };
}
