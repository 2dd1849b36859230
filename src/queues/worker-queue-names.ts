import type { ControlClient } from '../control/control-client.js';

/**
 * The names of the queues the workers that answer report consuming from (`inspect active_queues`), in reply order,
 * each once. No worker answering gives an empty list, not an error: the listing then shows the other names.
 */
export async function workerQueueNames(client: ControlClient, timeoutSeconds = 1): Promise<string[]> {
  return [...(await workerQueueConsumers(client, timeoutSeconds)).keys()];
}

/**
 * Queue name → how many of the workers that answer `inspect active_queues` consume from it, in reply order. A Celery
 * worker has one consumer per queue, so this is the consumer count where the broker cannot tell one (Redis).
 */
export async function workerQueueConsumers(client: ControlClient, timeoutSeconds = 1): Promise<Map<string, number>> {
  const result = await client.inspect('active_queues', [], { timeout: timeoutSeconds });
  const counts = new Map<string, number>();
  for (const reply of result.order) {
    if (!Array.isArray(reply.value)) continue;
    const names = new Set<string>();
    for (const queue of reply.value as unknown[]) {
      const name = (queue as { name?: unknown } | null)?.name;
      if (typeof name === 'string' && name !== '') names.add(name);
    }
    for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}
