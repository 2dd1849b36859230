import { encodeJson, jsonProperties, type OutgoingMessage } from './amqp-message.js';
import { EVENT_EXCHANGE, eventRoutingKey, TASK_MULTI_ROUTING_KEY } from './topology.js';

/**
 * Celery monitoring events on the `celeryev` topic exchange (docs/protocol.md, Events). Worker events are single JSON
 * objects; Python workers send task events batched as JSON arrays on `task.multi` (§4.2), and put Python repr
 * strings in `args`, `kwargs`, `result` and `exception` (§7 trap 9).
 */

/** Fields the dispatcher adds to every event (docs/protocol.md, Events). */
export interface EventEnvelope {
  type: string;
  hostname: string;
  /** The sender's `time.time()`: float Unix seconds. */
  timestamp: number;
  /** Hours, sign inverted, floor-divided (`time.timezone // 3600`): UTC-5 is 5 (§7 trap 10). */
  utcoffset: number;
  pid: number;
  /** The sender's Lamport clock. */
  clock: number;
  /** Added by receivers: local receipt time, float Unix seconds. Never on the wire. */
  local_received?: number;
}

/** The fields of worker-online, worker-heartbeat and worker-offline (§4.4). */
export interface WorkerEventFields {
  /** Heartbeat interval in seconds. */
  freq: number;
  active: number;
  processed: number;
  loadavg: [number, number, number];
  sw_ident: string;
  sw_ver: string;
  sw_sys: string;
}

export interface WorkerOnlineEvent extends EventEnvelope, WorkerEventFields {
  type: 'worker-online';
}

/** A control-triggered heartbeat carries only `freq: 5` and the `sw_*` fields. */
export interface WorkerHeartbeatEvent extends EventEnvelope, Partial<WorkerEventFields> {
  type: 'worker-heartbeat';
  freq: number;
}

export interface WorkerOfflineEvent extends EventEnvelope, Partial<WorkerEventFields> {
  type: 'worker-offline';
}

interface TaskEventBase extends EventEnvelope {
  uuid: string;
}

export interface TaskSentEvent extends TaskEventBase {
  type: 'task-sent';
  root_id: string | null;
  parent_id: string | null;
  name: string;
  args: string;
  kwargs: string;
  retries: number;
  eta: string | null;
  expires: string | null;
  queue: string;
  exchange: string;
  routing_key: string;
}

export interface TaskReceivedEvent extends TaskEventBase {
  type: 'task-received';
  name: string;
  /** argsrepr: a repr string; `""` or null when the sender had none. */
  args: string | null;
  kwargs: string | null;
  root_id: string | null;
  parent_id: string | null;
  retries: number;
  eta: string | null;
  expires: string | null;
}

export interface TaskStartedEvent extends TaskEventBase {
  type: 'task-started';
}

export interface TaskSucceededEvent extends TaskEventBase {
  type: 'task-succeeded';
  /** A Python repr string, at most 1024 characters. */
  result: string;
  /** Seconds. */
  runtime: number;
}

export interface TaskFailedEvent extends TaskEventBase {
  type: 'task-failed';
  /** A Python repr: `TypeError('...')`. */
  exception: string;
  traceback?: string;
}

export interface TaskRetriedEvent extends TaskEventBase {
  type: 'task-retried';
  exception: string;
  traceback?: string;
}

export interface TaskRejectedEvent extends TaskEventBase {
  type: 'task-rejected';
  requeue: boolean;
}

export interface TaskRevokedEvent extends TaskEventBase {
  type: 'task-revoked';
  terminated: boolean;
  signum: number | string | null;
  expired: boolean;
}

export type WorkerEvent = WorkerOnlineEvent | WorkerHeartbeatEvent | WorkerOfflineEvent;
export type TaskEvent =
  | TaskSentEvent
  | TaskReceivedEvent
  | TaskStartedEvent
  | TaskSucceededEvent
  | TaskFailedEvent
  | TaskRetriedEvent
  | TaskRejectedEvent
  | TaskRevokedEvent;

/** Any event with a type we do not model (custom events, `worker-elect`, ...). */
export interface OtherEvent extends EventEnvelope {
  [field: string]: unknown;
}

export type CeleryEvent = WorkerEvent | TaskEvent;
export type KnownEventType = CeleryEvent['type'];

export function isTaskEvent(event: EventEnvelope): event is TaskEvent {
  return event.type.startsWith('task-') && typeof (event as TaskEventBase).uuid === 'string';
}

export function isWorkerEvent(event: EventEnvelope): event is WorkerEvent {
  return event.type.startsWith('worker-');
}

/** The group of an event type: the part before the first `-` (`task`, `worker`). */
export function eventGroup(type: string): string {
  const dash = type.indexOf('-');
  return dash < 0 ? type : type.slice(0, dash);
}

/** `time.timezone // 3600` for a given instant, from JavaScript's minutes-west offset. */
export function pythonUtcOffset(at: Date = new Date()): number {
  return Math.floor(at.getTimezoneOffset() / 60);
}

/** Who sends: the fields every event gets from its dispatcher. */
export interface EventSource {
  readonly hostname: string;
  readonly pid: number;
  /** Called once per event: the sender's Lamport clock after forward(). */
  readonly clock: () => number;
  /** Epoch milliseconds. @defaultValue Date.now */
  readonly now?: () => number;
  /** @defaultValue pythonUtcOffset() */
  readonly utcoffset?: number;
}

type FieldsOf<E extends EventEnvelope> = Omit<E, keyof EventEnvelope>;

/** Stamp an event with the envelope fields, as Celery's dispatcher does. */
export function buildEvent<E extends CeleryEvent>(type: E['type'], fields: FieldsOf<E>, source: EventSource): E {
  return stampEvent<E>(type, fields, source);
}

/** The envelope stamping for any event type, Celery's or camq's own (beat-event.ts). */
export function stampEvent<E extends EventEnvelope>(type: E['type'], fields: FieldsOf<E>, source: EventSource): E {
  const now = (source.now ?? Date.now)();
  return {
    hostname: source.hostname,
    utcoffset: source.utcoffset ?? pythonUtcOffset(new Date(now)),
    pid: source.pid,
    clock: source.clock(),
    ...fields,
    timestamp: now / 1000,
    type,
  } as E;
}

/**
 * One event as its own message (routing key from its type), or several task events batched as a JSON array on
 * `task.multi`, as Python workers send them. Events are transient (delivery mode 1).
 */
export function buildEventMessage(events: EventEnvelope | readonly EventEnvelope[]): OutgoingMessage {
  // Array.isArray narrows a readonly array to any[]: keep the element type.
  const batched = Array.isArray(events);
  const list: readonly EventEnvelope[] = batched ? (events as readonly EventEnvelope[]) : [events as EventEnvelope];
  const first = list[0];
  if (!first) throw new RangeError('buildEventMessage needs at least one event');
  return {
    exchange: EVENT_EXCHANGE.name,
    routingKey: batched ? TASK_MULTI_ROUTING_KEY : eventRoutingKey(first.type),
    content: encodeJson(batched ? list : first),
    properties: jsonProperties({ deliveryMode: 1, headers: { hostname: first.hostname } }),
  };
}

export type EventDecodeResult = { readonly ok: true; readonly events: EventEnvelope[] } | { readonly ok: false; readonly error: string };

/**
 * Decode an event message body: a single object or an array of them (any routing key). Elements without a string
 * `type` are dropped; a body that is neither is an error.
 */
export function decodeEventMessage(content: Buffer): EventDecodeResult {
  let body: unknown;
  try {
    body = JSON.parse(content.toString('utf8'));
  } catch (err) {
    return { ok: false, error: `event body is not JSON: ${(err as Error).message}` };
  }
  const items = Array.isArray(body) ? body : [body];
  const events: EventEnvelope[] = [];
  for (const item of items) {
    if (typeof item === 'object' && item !== null && !Array.isArray(item) && typeof (item as EventEnvelope).type === 'string') {
      events.push(item as EventEnvelope);
    }
  }
  if (events.length === 0 && !Array.isArray(body)) return { ok: false, error: 'event body is not an event object' };
  return { ok: true, events };
}

/**
 * Record the local receipt time (float Unix seconds) that liveness is judged by (docs/protocol.md, Liveness and state).
 *
 * Celery's receiver also rewrites `timestamp` by `(utcoffset − local_utcoffset) × 3600` (§4.8). camq does not:
 * `timestamp` is the sender's `time.time()`, which is already zone-free, so the shift would only move it away
 * from the truth when sender and receiver sit in different zones.
 */
export function stampReceived<E extends EventEnvelope>(event: E, receivedMs: number): E & { local_received: number } {
  return { ...event, local_received: receivedMs / 1000 };
}
