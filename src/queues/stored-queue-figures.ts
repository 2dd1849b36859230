import type { StoredQueues } from '../transport/stored-queues.js';
import type { QueueFigures } from './queue-figures.js';

/**
 * The figures a transport that stores queues as data (Redis, `Transport.storedQueues`) adds to the passive declare's:
 * the ready count of each priority sub-list, and the unacked messages (count, the oldest one's age, and the visibility
 * timeout they face). One depth read per queue and one read of the unacked messages for all of them. Such a broker
 * cannot count consumers; `workers` (queue → the workers consuming it, from `inspect active_queues`) gives them.
 */
export async function withStoredFigures(
  stored: StoredQueues,
  queues: readonly QueueFigures[],
  workers?: ReadonlyMap<string, number>,
): Promise<QueueFigures[]> {
  const [depths, unacked] = await Promise.all([Promise.all(queues.map((q) => stored.depth(q.name))), stored.unacked()]);
  const byQueue = new Map<string, { count: number; oldestMs: number }>();
  for (const u of unacked) {
    const seen = byQueue.get(u.queue);
    byQueue.set(u.queue, { count: (seen?.count ?? 0) + 1, oldestMs: Math.max(seen?.oldestMs ?? 0, u.ageMs) });
  }
  const visibilityTimeoutS = stored.visibilityTimeoutS;
  return queues.map((q, i) => {
    const depth = depths[i]!;
    const held = byQueue.get(q.name);
    return {
      ...q,
      ready: depth.total,
      unacked: held?.count ?? 0,
      consumers: workers?.get(q.name) ?? q.consumers,
      readyByPriority: depth.byPriority.map(({ priority, count }) => ({ priority, count })),
      unackedAge: { oldestMs: held?.oldestMs ?? null, visibilityTimeoutS },
    };
  });
}
