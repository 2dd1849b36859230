import type { ListingTable } from '../../control/reply-text.js';
import type { QueueDepth } from '../../queues/queue-depths.js';

/**
 * `celeryctl inspect active_queues`' table with each queue's depth from the management API: ready, unacked and
 * consumers after Celery's columns (the queue name is the first). A queue the API does not list shows `-`.
 */
export function withQueueDepths(table: ListingTable, depths: ReadonlyMap<string, QueueDepth>): ListingTable {
  return {
    head: [...table.head, 'ready', 'unacked', 'consumers'],
    rows: table.rows.map((row) => {
      const depth = depths.get(row[0] ?? '');
      if (depth === undefined) return [...row, '-', '-', '-'];
      return [...row, String(depth.ready), depth.unacked === null ? '-' : String(depth.unacked), String(depth.consumers)];
    }),
  };
}
