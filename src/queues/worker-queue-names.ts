import type { ControlClient } from '../control/control-client.js';

/**
 * The names of the queues the workers that answer report consuming from (`inspect active_queues`), in reply order,
 * each once. No worker answering gives an empty list, not an error: the listing then shows the other names.
 */
export async function workerQueueNames(client: ControlClient, timeoutSeconds = 1): Promise<string[]> {
  const result = await client.inspect('active_queues', [], { timeout: timeoutSeconds });
  const names = new Set<string>();
  for (const reply of result.order) {
    if (!Array.isArray(reply.value)) continue;
    for (const queue of reply.value as unknown[]) {
      const name = (queue as { name?: unknown } | null)?.name;
      if (typeof name === 'string' && name !== '') names.add(name);
    }
  }
  return [...names];
}
