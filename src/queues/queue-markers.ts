import { isHousekeepingQueue } from './housekeeping.js';
import type { QueueFigures } from './queue-figures.js';
import type { QueueGrowth } from './queue-growth.js';

/**
 * What `camq queues` flags on a queue:
 * - `no-consumer`: messages wait (ready or unacked) and nobody consumes: nothing will take them;
 * - `growing`: more messages are ready than a sampling interval ago (QueueGrowth), or the broker's own rate says so;
 * - `housekeeping`: camq's or Celery's own queue (housekeeping.ts), hidden unless `--all`.
 */
export type QueueMarker = 'no-consumer' | 'growing' | 'housekeeping';

export function queueMarkers(q: QueueFigures, growth?: QueueGrowth): QueueMarker[] {
  const markers: QueueMarker[] = [];
  if (q.ready + (q.unacked ?? 0) > 0 && q.consumers === 0) markers.push('no-consumer');
  if (growth ? growth.isGrowing(q) : (q.readyRate ?? 0) > 0) markers.push('growing');
  if (isHousekeepingQueue(q.name)) markers.push('housekeeping');
  return markers;
}
