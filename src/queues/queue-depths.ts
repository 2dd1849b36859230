import type { BrokerUrl } from '../transport/broker-url.js';
import { parseQueueList, queueListPath } from './api-queue-figures.js';
import { discoverManagementApi } from './api-discovery.js';

/** How long celeryctl waits for each answer of the management API: its replies wait 1 s already. */
export const DEPTH_TIMEOUT_MS = 1000;

/** How deep a queue is, as the management API last sampled it. */
export interface QueueDepth {
  readonly ready: number;
  readonly unacked: number | null;
  readonly consumers: number;
}

export interface QueueDepthOptions {
  readonly broker: BrokerUrl;
  /** `CAMQ_API_URL`: this API and no other. */
  readonly apiUrl?: string | undefined;
  /** Per API request. @defaultValue DEPTH_TIMEOUT_MS */
  readonly timeoutMs?: number | undefined;
  readonly fetch?: typeof fetch | undefined;
}

/**
 * The depth of every queue of the broker's vhost, by name, from the management API found as `camq queues` finds it
 * (api-discovery.ts); null when no API answers for this broker in time, refuses, or answers something else. Never
 * throws: `celeryctl inspect active_queues` adds the depths when it has them and prints Celery's output otherwise.
 */
export async function queueDepths(options: QueueDepthOptions): Promise<Map<string, QueueDepth> | null> {
  try {
    const { api } = await discoverManagementApi({
      broker: options.broker,
      apiUrl: options.apiUrl,
      timeoutMs: options.timeoutMs ?? DEPTH_TIMEOUT_MS,
      fetch: options.fetch,
    });
    if (api === null) return null;
    const queues = parseQueueList(await api.get(queueListPath(options.broker.vhost)), options.broker.vhost);
    if (queues === null) return null;
    return new Map(queues.map((q) => [q.name, { ready: q.ready, unacked: q.unacked, consumers: q.consumers }]));
  } catch {
    return null;
  }
}
