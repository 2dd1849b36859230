import { PIDBOX_EXCHANGE } from '../protocol/topology.js';
import type { ManagementApi } from './management-api.js';

/**
 * The workers that can hear a broadcast right now: the queues bound to the `celery.pidbox` fanout that have a
 * consumer, by node name (`w1@host.celery.pidbox` → `w1@host`). Asked of the management API (RabbitMQ's, or the
 * embedded broker's, which serves the same two paths): a killed worker's mailbox is auto-delete, so it is gone
 * from the list at once; a hung one (SIGSTOP) keeps its binding and its consumer, so it is listed and waited for.
 * A remote-control broadcast waits for these (ControlClient's `expected`) instead of its whole timeout.
 */
export async function liveMailboxes(api: ManagementApi, vhost: string, exchange = PIDBOX_EXCHANGE.name): Promise<string[]> {
  const [bindings, queues] = await Promise.all([api.get(pidboxBindingsPath(vhost, exchange)), api.get(queueConsumersPath(vhost))]);
  return liveNodenames(bindings, queues, exchange);
}

/** `GET /api/exchanges/{vhost}/{exchange}/bindings/source`: the exchange's bindings (RabbitMQ answers [] when it does not exist). */
export function pidboxBindingsPath(vhost: string, exchange = PIDBOX_EXCHANGE.name): string {
  return `exchanges/${encodeURIComponent(vhost)}/${encodeURIComponent(exchange)}/bindings/source`;
}

/** `GET /api/queues/{vhost}?columns=name,consumers`: every queue's consumer count, and nothing else. */
export function queueConsumersPath(vhost: string): string {
  return `queues/${encodeURIComponent(vhost)}?columns=name,consumers`;
}

/**
 * Pure: the node names of the mailboxes in `bindings` (the exchange's `bindings/source` answer) whose queue has at
 * least one consumer in `queues` (a `queues?columns=name,consumers` answer), sorted, each once. Entries of another
 * shape are skipped; a queue missing from `queues` (deleted between the two answers) counts as without a consumer.
 */
export function liveNodenames(bindings: unknown, queues: unknown, exchange = PIDBOX_EXCHANGE.name): string[] {
  const consumers = new Map<string, number>();
  for (const queue of Array.isArray(queues) ? (queues as unknown[]) : []) {
    const { name, consumers: count } = (queue ?? {}) as { name?: unknown; consumers?: unknown };
    if (typeof name === 'string' && typeof count === 'number') consumers.set(name, count);
  }
  const suffix = `.${exchange}`;
  const nodes = new Set<string>();
  for (const binding of Array.isArray(bindings) ? (bindings as unknown[]) : []) {
    const { destination, destination_type: type } = (binding ?? {}) as { destination?: unknown; destination_type?: unknown };
    if (type !== 'queue' || typeof destination !== 'string' || !destination.endsWith(suffix)) continue;
    const nodename = destination.slice(0, -suffix.length);
    if (nodename !== '' && (consumers.get(destination) ?? 0) > 0) nodes.add(nodename);
  }
  return [...nodes].sort();
}
