/**
 * The JSON the embedded broker's management API answers, in RabbitMQ 3.10's shapes (same field names, same types;
 * test/unit/broker/management-json.test.ts holds them to answers captured from RabbitMQ 3.10.8): the subset camq
 * reads, so one client (src/queues) serves both brokers.
 */
import type { Queue } from './queue.js';
import type { QueueStats } from './queue-stats.js';

/** The page size RabbitMQ 3.10 refuses beyond. */
export const MAX_PAGE_SIZE = 500;

export interface ListenerJson {
  readonly node: string;
  readonly protocol: string;
  readonly ip_address: string;
  readonly port: number;
  readonly socket_opts: Readonly<Record<string, unknown>>;
}

/** One queue as `GET /api/queues/{vhost}` lists it. */
export function queueJson(queue: Queue, vhost: string, node: string, stats: QueueStats): Record<string, unknown> {
  const json: Record<string, unknown> = {
    arguments: plainArguments(queue.arguments),
    auto_delete: queue.autoDelete,
    consumers: stats.consumers,
    durable: queue.durable,
    exclusive: queue.owner !== null,
    messages: stats.ready + stats.unacked,
    messages_details: { rate: stats.readyRate + stats.unackedRate },
    messages_ready: stats.ready,
    messages_ready_details: { rate: stats.readyRate },
    messages_unacknowledged: stats.unacked,
    messages_unacknowledged_details: { rate: stats.unackedRate },
    name: queue.name,
    node,
    state: 'running',
    type: 'classic',
    vhost,
  };
  // RabbitMQ leaves message_stats out until something was published or delivered, and each counter until it moved.
  const messageStats: Record<string, unknown> = {};
  if (stats.publish > 0) Object.assign(messageStats, { publish: stats.publish, publish_details: { rate: stats.publishRate } });
  if (stats.deliverGet > 0) Object.assign(messageStats, { deliver_get: stats.deliverGet, deliver_get_details: { rate: stats.deliverGetRate } });
  if (Object.keys(messageStats).length > 0) json['message_stats'] = messageStats;
  if (stats.idleSince !== null) json['idle_since'] = isoWithOffset(stats.idleSince);
  return json;
}

/**
 * One binding as `GET /api/exchanges/{vhost}/{name}/bindings/source` lists it. `properties_key` is RabbitMQ's
 * name for the binding in URLs: the routing key (percent-encoded), `~` when it is empty; a binding with arguments
 * gets `~` and a hash of them after the key (RabbitMQ's hash differs: treat it as opaque, as clients must).
 */
export function bindingJson(binding: {
  readonly source: string;
  readonly vhost: string;
  readonly destination: string;
  readonly routingKey: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}): Record<string, unknown> {
  const args = plainArguments(binding.arguments);
  const key = binding.routingKey === '' ? '' : encodeURIComponent(binding.routingKey);
  const hasArgs = Object.keys(args).length > 0;
  const propertiesKey = hasArgs ? `${key}~${argumentsHash(args)}` : key === '' ? '~' : key;
  return {
    source: binding.source,
    vhost: binding.vhost,
    destination: binding.destination,
    destination_type: 'queue',
    routing_key: binding.routingKey,
    arguments: args,
    properties_key: propertiesKey,
  };
}

/** A short stable text for a binding's arguments (FNV-1a of their JSON, base 36). */
function argumentsHash(args: Readonly<Record<string, unknown>>): string {
  let hash = 0x811c9dc5;
  for (const ch of JSON.stringify(args)) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return hash.toString(36);
}

/** `GET /api/overview`: who answers, and the listeners that tell a client which broker this API describes. */
export function overviewJson(fields: {
  readonly node: string;
  readonly version: string;
  readonly listeners: readonly ListenerJson[];
  readonly totals: { readonly queues: number; readonly consumers: number; readonly connections: number; readonly exchanges: number };
  readonly messages: { readonly ready: number; readonly unacked: number };
}): Record<string, unknown> {
  return {
    management_version: fields.version,
    product_name: 'camq embedded broker',
    product_version: fields.version,
    rates_mode: 'basic',
    disable_stats: false,
    enable_queue_totals: false,
    node: fields.node,
    cluster_name: fields.node,
    listeners: fields.listeners,
    object_totals: { ...fields.totals, channels: 0 },
    queue_totals: {
      messages: fields.messages.ready + fields.messages.unacked,
      messages_ready: fields.messages.ready,
      messages_unacknowledged: fields.messages.unacked,
    },
    statistics_db_event_queue: 0,
  };
}

/**
 * `columns=a,b.c`: keep only those fields, nested paths as nested objects, as RabbitMQ does (a field the object
 * lacks stays out).
 */
export function pickColumns(item: Readonly<Record<string, unknown>>, columns: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of columns) {
    const path = column.split('.');
    let from: unknown = item;
    for (const key of path) from = typeof from === 'object' && from !== null ? (from as Record<string, unknown>)[key] : undefined;
    if (from === undefined) continue;
    let to = out;
    for (const key of path.slice(0, -1)) to = (to[key] ??= {}) as Record<string, unknown>;
    to[path[path.length - 1]!] = from;
  }
  return out;
}

/** `disable_stats=true`: the counts without the sampled statistics (rates, message_stats, idle_since). */
export function withoutStats(item: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (key === 'message_stats' || key === 'idle_since' || key === 'consumers' || key.endsWith('_details')) continue;
    out[key] = value;
  }
  return out;
}

/** `page=N&page_size=M`: RabbitMQ's paged answer around the items of page N. */
export function pageOf<T>(items: readonly T[], page: number, pageSize: number): Record<string, unknown> {
  const pageCount = Math.max(1, Math.ceil(items.length / pageSize));
  const slice = items.slice((page - 1) * pageSize, page * pageSize);
  return {
    filtered_count: items.length,
    item_count: slice.length,
    items: slice,
    page,
    page_count: pageCount,
    page_size: pageSize,
    total_count: items.length,
  };
}

/** RabbitMQ 3.10's timestamp form: `2026-12-06T07:11:43.496+00:00`. */
export function isoWithOffset(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '+00:00');
}

/** Declare arguments as JSON: buffers as text, bigints as numbers; everything else as is. */
function plainArguments(args: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const replacer = (_key: string, value: unknown): unknown => {
    if (typeof value === 'bigint') return Number(value);
    // A Buffer has already been through its toJSON here: { type: 'Buffer', data: [...] }.
    const buffer = value as { type?: unknown; data?: unknown } | null;
    if (typeof buffer === 'object' && buffer !== null && buffer.type === 'Buffer' && Array.isArray(buffer.data)) {
      return Buffer.from(buffer.data as number[]).toString('utf8');
    }
    return value;
  };
  return JSON.parse(JSON.stringify(args, replacer)) as Record<string, unknown>;
}
