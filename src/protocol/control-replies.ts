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

/** Reply value types by method name, for typed client calls and worker handlers. */
export interface ControlReplies {
  ping: OkReply;
  rate_limit: StatusReply;
  revoke: StatusReply;
  terminate: StatusReply;
  time_limit: StatusReply;
  enable_events: OkReply;
  disable_events: OkReply;
  heartbeat: null;
  stats: StatsReply;
  scheduled: ScheduledEntry[];
  dump_schedule: ScheduledEntry[];
  reserved: TaskInfo[];
  dump_reserved: TaskInfo[];
  active: TaskInfo[];
  dump_active: TaskInfo[];
  revoked: string[];
  dump_revoked: string[];
  registered: string[];
  dump_tasks: string[];
  query_task: QueryTaskReply;
  active_queues: ActiveQueueInfo[];
  add_consumer: StatusReply;
  cancel_consumer: StatusReply;
  pool_grow: StatusReply;
  pool_shrink: StatusReply;
  autoscale: StatusReply;
  pool_restart: StatusReply;
  shutdown: never;
  report: OkReply;
  conf: Record<string, unknown>;
  dump_conf: Record<string, unknown>;
  clock: ClockReply;
  hello: { revoked: Record<string, unknown>; clock: number } | null;
}

/** I: inspect (read-only); C: control (changes the worker). */
export type ControlKind = 'inspect' | 'control';

export interface ControlCommandSpec {
  readonly method: string;
  readonly kind: ControlKind;
  /** Other wire names for the same command. */
  readonly aliases: readonly string[];
}

/** Celery's remote-control commands (PROTOCOL.md §3.6) with their kind and aliases. */
export const CONTROL_COMMANDS: readonly ControlCommandSpec[] = [
  { method: 'ping', kind: 'inspect', aliases: [] },
  { method: 'rate_limit', kind: 'control', aliases: [] },
  { method: 'revoke', kind: 'control', aliases: [] },
  { method: 'terminate', kind: 'control', aliases: [] },
  { method: 'time_limit', kind: 'control', aliases: [] },
  { method: 'enable_events', kind: 'control', aliases: [] },
  { method: 'disable_events', kind: 'control', aliases: [] },
  { method: 'heartbeat', kind: 'control', aliases: [] },
  { method: 'stats', kind: 'inspect', aliases: [] },
  { method: 'scheduled', kind: 'inspect', aliases: ['dump_schedule'] },
  { method: 'reserved', kind: 'inspect', aliases: ['dump_reserved'] },
  { method: 'active', kind: 'inspect', aliases: ['dump_active'] },
  { method: 'revoked', kind: 'inspect', aliases: ['dump_revoked'] },
  { method: 'registered', kind: 'inspect', aliases: ['dump_tasks'] },
  { method: 'query_task', kind: 'inspect', aliases: [] },
  { method: 'active_queues', kind: 'inspect', aliases: [] },
  { method: 'add_consumer', kind: 'control', aliases: [] },
  { method: 'cancel_consumer', kind: 'control', aliases: [] },
  { method: 'pool_grow', kind: 'control', aliases: [] },
  { method: 'pool_shrink', kind: 'control', aliases: [] },
  { method: 'autoscale', kind: 'control', aliases: [] },
  { method: 'pool_restart', kind: 'control', aliases: [] },
  { method: 'shutdown', kind: 'control', aliases: [] },
  { method: 'report', kind: 'inspect', aliases: [] },
  { method: 'conf', kind: 'inspect', aliases: ['dump_conf'] },
  { method: 'clock', kind: 'inspect', aliases: [] },
  { method: 'hello', kind: 'inspect', aliases: [] },
];
