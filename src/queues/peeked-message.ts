import { decodeTaskMessage, type TaskMessage } from '../protocol/task-message.js';
import type { Delivery } from '../transport/index.js';

/**
 * A message as `camq queues peek` (and a selective purge's dry run) shows it: decoded as a Celery task message of
 * either protocol, or raw (content type, size, the first bytes of the body) for anything else. A message that is
 * not a task is never an error: `raw.reason` says why it was not read as one.
 */
export type PeekedMessage = PeekedTask | PeekedRaw;

interface PeekedCommon {
  /** 1-based position in the queue at the time of the peek. */
  readonly position: number;
  readonly size: number;
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  /** Milliseconds since the message was published, when it carries a timestamp; else null (Celery sets none). */
  readonly ageMs: number | null;
  readonly priority: number | null;
  /** A quorum queue's count of earlier deliveries (`x-delivery-count`), when present. */
  readonly deliveryCount: number | null;
  /** The body's bytes, base64 (for --json and for comparing). */
  readonly body: string;
}

export interface PeekedTask extends PeekedCommon {
  readonly kind: 'task';
  readonly protocol: 1 | 2;
  readonly name: string;
  readonly id: string;
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown>;
  /** ISO 8601 or null; a countdown is sent as an ETA. */
  readonly eta: string | null;
  readonly expires: string | null;
  readonly retries: number;
  readonly rootId: string | null;
  readonly parentId: string | null;
  readonly group: string | null;
}

export interface PeekedRaw extends PeekedCommon {
  readonly kind: 'raw';
  readonly contentType: string | null;
  readonly contentEncoding: string | null;
  /** Why it is not shown as a task (not JSON, not a Celery message, invalid fields…). */
  readonly reason: string;
  /** The body as text (UTF-8, invalid bytes replaced), cut at `RAW_PREVIEW_BYTES`. */
  readonly preview: string;
  readonly headers: Readonly<Record<string, unknown>>;
}

/** How much of a raw body is shown. */
export const RAW_PREVIEW_BYTES = 512;

/** Publish time in epoch ms: the `timestamp` property (seconds) or the `timestamp_in_ms` header RabbitMQ's plugin adds. */
export function publishedAt(delivery: Delivery): number | null {
  const inMs = delivery.properties.headers?.['timestamp_in_ms'];
  if (typeof inMs === 'number' && Number.isFinite(inMs)) return inMs;
  const seconds = delivery.properties.timestamp;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? seconds * 1000 : null;
}

/** The task a delivery carries, or null when it is not one. */
export function taskOf(delivery: Delivery): TaskMessage | null {
  const decoded = decodeTaskMessage(delivery);
  return decoded.ok ? decoded.task : null;
}

export function describeMessage(delivery: Delivery, position: number, now: number): PeekedMessage {
  const at = publishedAt(delivery);
  const count = delivery.properties.headers?.['x-delivery-count'];
  const common: PeekedCommon = {
    position,
    size: delivery.content.length,
    redelivered: delivery.fields.redelivered,
    exchange: delivery.fields.exchange,
    routingKey: delivery.fields.routingKey,
    ageMs: at === null ? null : Math.max(0, now - at),
    priority: delivery.properties.priority ?? null,
    deliveryCount: typeof count === 'number' ? count : null,
    body: delivery.content.toString('base64'),
  };
  const decoded = decodeTaskMessage(delivery);
  if (decoded.ok) {
    const task = decoded.task;
    return {
      ...common,
      kind: 'task',
      protocol: task.protocol,
      name: task.name,
      id: task.id,
      args: task.args,
      kwargs: task.kwargs,
      eta: task.eta === null ? null : new Date(task.eta).toISOString(),
      expires: task.expires === null ? null : new Date(task.expires).toISOString(),
      retries: task.retries,
      rootId: task.rootId,
      parentId: task.parentId,
      group: task.group,
    };
  }
  const headers = delivery.properties.headers ?? {};
  return {
    ...common,
    kind: 'raw',
    contentType: delivery.properties.contentType ?? null,
    contentEncoding: delivery.properties.contentEncoding ?? null,
    reason: decoded.error.message,
    preview: delivery.content.subarray(0, RAW_PREVIEW_BYTES).toString('utf8'),
    headers,
  };
}
