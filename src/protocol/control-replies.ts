import type { DeliveryInfo } from './task-message.js';

/**
 * Reply values of Celery's remote-control commands (docs/protocol.md, Remote control), exactly as Python workers send
 * them. These are the values under the node name in a reply body.
 */

export interface OkReply {
  ok: string;
}

/** Errors are the Python repr of the exception: `{"error": "KeyError('no_such_cmd')"}`. */
export interface ErrorReply {
  error: string;
}

export type StatusReply = OkReply | ErrorReply;

export function isErrorReply(value: unknown): value is ErrorReply {
  return typeof value === 'object' && value !== null && typeof (value as ErrorReply).error === 'string';
}

export function isOkReply(value: unknown): value is OkReply {
  return typeof value === 'object' && value !== null && typeof (value as OkReply).ok === 'string';
}

/** `Request.info`: what `active`, `reserved`, `scheduled` and `query_task` list per task. */
export interface TaskInfo {
  id: string;
  /** The shadow name when set. */
  name: string;
  /** Real JSON args; the repr string when asked with `safe: true`. */
  args: unknown[] | string;
  kwargs: Record<string, unknown> | string;
  /** The registered task name. */
  type: string;
  hostname: string;
  /** Float Unix seconds, or null when not started. */
  time_start: number | null;
  acknowledged: boolean;
  delivery_info: DeliveryInfo;
  worker_pid: number | null;
}

/** One entry of `scheduled` (`dump_schedule`). `priority` is the worker's timer priority (6), not the message's. */
export interface ScheduledEntry {
  eta: string;
  priority: number;
  request: TaskInfo;
}

/** `query_task`: `{id: [state, info]}`; ETA-held and rate-limited tasks are not found. */
export type QueryTaskReply = Record<string, ['active' | 'reserved' | 'ready', TaskInfo]>;

export interface StatsReply {
  total: Record<string, number>;
  pid: number;
  /** A string, unlike the `clock` command's integer (docs/protocol.md, Interoperability traps). */
  clock: string;
  uptime: number;
  pool: Record<string, unknown> & { 'max-concurrency': number; processes: number[] };
  broker: Record<string, unknown>;
  prefetch_count: number;
  rusage: Record<string, number>;
  [extra: string]: unknown;
}

export interface ActiveQueueInfo {
  name: string;
  exchange: {
    name: string;
    type: string;
    arguments: Record<string, unknown> | null;
    durable: boolean;
    passive: boolean;
    auto_delete: boolean;
    delivery_mode: number | null;
    no_declare: boolean;
  };
  routing_key: string;
  queue_arguments: Record<string, unknown> | null;
  binding_arguments: Record<string, unknown> | null;
  consumer_arguments: Record<string, unknown> | null;
  durable: boolean;
  exclusive: boolean;
  auto_delete: boolean;
  no_ack: boolean;
  alias: string | null;
  bindings: unknown[];
  no_declare: boolean | null;
  expires: number | null;
  message_ttl: number | null;
  max_length: number | null;
  max_length_bytes: number | null;
  max_priority: number | null;
}

export interface ClockReply {
  clock: number;
}
