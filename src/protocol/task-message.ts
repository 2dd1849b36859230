import { randomUUID } from 'node:crypto';
import {
  encodeJson,
  JSON_CONTENT_TYPE,
  jsonProperties,
  MAX_EXPIRATION_MS,
  PICKLE_CONTENT_TYPE,
  type HeaderTable,
  type IncomingMessage,
  type OutgoingMessage,
} from './amqp-message.js';
import { formatIsoDate, parseIsoDate } from './iso-date.js';
import { pyRepr, pyTupleRepr, truncateRepr } from './python-repr.js';
import { DEFAULT_QUEUE } from './topology.js';

/**
 * Celery task messages, protocol v2 (default since Celery 4) and v1 (PROTOCOL.md §1). Pure: build the bytes and
 * properties Python's `apply_async` sends, and decode what a worker receives into one normalized `TaskMessage`,
 * or a `TaskDecodeError` that says what to do with a message that cannot run (PROTOCOL.md §5.12).
 */

/** `[hard, soft]`, hard first (PROTOCOL.md §7 trap 2); seconds or null. */
export type TimeLimitHeader = [hard: number | null, soft: number | null];

/** A canvas signature as it travels inside `embed` (callbacks, errbacks, chain, chord). */
export interface Signature {
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: Record<string, unknown>;
  subtask_type: string | null;
  immutable: boolean;
  chord_size?: number | null;
}

export interface TaskEmbed {
  callbacks: Signature[] | null;
  errbacks: Signature[] | null;
  /** Stored in reverse: the last element runs next. */
  chain: Signature[] | null;
  chord: Signature | null;
}

/** The third item of a v2 body. `{}` is accepted on receipt. */
export type TaskBodyV2 = [args: unknown[], kwargs: Record<string, unknown>, embed: Partial<TaskEmbed>];

/** Task headers, protocol v2, with Celery's exact wire names (PROTOCOL.md §1.3). */
export interface TaskHeadersV2 {
  lang: string;
  task: string;
  id: string;
  shadow: string | null;
  eta: string | null;
  expires: string | null;
  group: string | null;
  group_index: number | null;
  retries: number;
  timelimit: TimeLimitHeader;
  root_id: string;
  parent_id: string | null;
  argsrepr: string;
  kwargsrepr: string;
  origin: string;
  ignore_result: boolean;
  [extra: string]: unknown;
}

/** A protocol v1 body: everything in a JSON object, no headers (PROTOCOL.md §1.7). */
export interface TaskBodyV1 {
  task: string;
  id: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  group?: string | null;
  group_index?: number | null;
  retries?: number;
  eta?: string | null;
  expires?: string | null;
  utc?: boolean;
  callbacks?: Signature[] | null;
  errbacks?: Signature[] | null;
  timelimit?: TimeLimitHeader;
  taskset?: string | null;
  chord?: Signature | null;
}

/** Where a message came from, as Celery records it in `request.delivery_info`. */
export interface DeliveryInfo {
  exchange: string;
  routing_key: string;
  priority: number;
  redelivered: boolean;
}

/** A task message decoded and normalized from either protocol. */
export interface TaskMessage {
  readonly protocol: 1 | 2;
  readonly id: string;
  /** The registered task name (`headers.task`): the registry key. */
  readonly name: string;
  /** Display name when set (`headers.shadow`). */
  readonly shadow: string | null;
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown>;
  readonly embed: TaskEmbed;
  /** Epoch milliseconds, or null. */
  readonly eta: number | null;
  readonly expires: number | null;
  readonly retries: number;
  readonly timeLimit: { readonly hard: number | null; readonly soft: number | null };
  readonly rootId: string | null;
  readonly parentId: string | null;
  readonly group: string | null;
  readonly groupIndex: number | null;
  readonly origin: string | null;
  /** null for real v1 messages (events then show `args: null`). */
  readonly argsrepr: string | null;
  readonly kwargsrepr: string | null;
  readonly ignoreResult: boolean;
  readonly correlationId: string;
  readonly replyTo: string | null;
  readonly priority: number;
  /** Every header as received; Celery exposes them all as `task.request.*`. */
  readonly headers: Readonly<Record<string, unknown>>;
  readonly deliveryInfo: DeliveryInfo;
}

/**
 * What to do with a message that cannot become a task, as Celery 5.2.6 does (PROTOCOL.md §5.12), except that the
 * two poison cases that crash a Python worker (missing `id`, missing `content_type`) are rejected here instead.
 */
export interface TaskDecodeError {
  readonly kind: 'decode-error' | 'unknown-message' | 'content-disallowed' | 'invalid';
  /** `ack` drops an undecodable body (as Celery does); `reject` is reject with requeue=false. */
  readonly action: 'ack' | 'reject';
  /** One line for the log, in Celery's words where Celery has them. */
  readonly message: string;
  readonly id?: string | undefined;
  readonly name?: string | undefined;
}

export type TaskDecodeResult = { readonly ok: true; readonly task: TaskMessage } | { readonly ok: false; readonly error: TaskDecodeError };

const EMPTY_EMBED: TaskEmbed = { callbacks: null, errbacks: null, chain: null, chord: null };

function fail(kind: TaskDecodeError['kind'], message: string, extra: { id?: unknown; name?: unknown } = {}): TaskDecodeResult {
  const action = kind === 'decode-error' ? 'ack' : 'reject';
  return {
    ok: false,
    error: {
      kind,
      action,
      message,
      ...(typeof extra.id === 'string' ? { id: extra.id } : {}),
      ...(typeof extra.name === 'string' ? { name: extra.name } : {}),
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function optionalNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function readTimeLimit(value: unknown): { hard: number | null; soft: number | null } {
  if (!Array.isArray(value)) return { hard: null, soft: null };
  return { hard: optionalNumber(value[0]), soft: optionalNumber(value[1]) };
}

function readEmbed(value: unknown): TaskEmbed {
  if (!isObject(value)) return EMPTY_EMBED;
  const list = (v: unknown) => (Array.isArray(v) ? (v as Signature[]) : null);
  return {
    callbacks: list(value['callbacks']),
    errbacks: list(value['errbacks']),
    chain: list(value['chain']),
    chord: isObject(value['chord']) ? (value['chord'] as unknown as Signature) : null,
  };
}

/** Read an `eta`/`expires` value; a naive date is UTC (Celery's default timezone). */
function readDate(field: 'ETA' | 'expires', value: unknown): { ok: true; ms: number | null } | { ok: false; message: string } {
  if (value === null || value === undefined) return { ok: true, ms: null };
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, ms: value * 1000 };
  if (typeof value === 'string') {
    const ms = parseIsoDate(value);
    if (ms !== undefined) return { ok: true, ms };
  }
  const shown = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  return {
    ok: false,
    message: `Received invalid task message: invalid ${field} value ${shown}: unable to parse date string ${shown}`,
  };
}

function decodeBody(msg: IncomingMessage): { ok: true; body: unknown } | { ok: false; message: string } {
  const encoding = (msg.properties.contentEncoding ?? 'utf-8').toLowerCase();
  const text = msg.content.toString(encoding === 'binary' || encoding === 'utf-8' || encoding === 'utf8' ? 'utf8' : 'latin1');
  try {
    return { ok: true, body: JSON.parse(text) };
  } catch (err) {
    const headers = msg.properties.headers ?? {};
    return {
      ok: false,
      message:
        `Can't decode message body: DecodeError(${JSON.stringify((err as Error).message)}) ` +
        `[type:'${msg.properties.contentType ?? ''}' encoding:'${msg.properties.contentEncoding ?? ''}' headers:${JSON.stringify(headers)}]`,
    };
  }
}

/** Decode a delivered task message of either protocol into a TaskMessage, or say why it cannot run. */
export function decodeTaskMessage(msg: IncomingMessage): TaskDecodeResult {
  const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const contentType = msg.properties.contentType;
  const taskName = headers['task'];

  if (contentType === undefined || contentType === '') {
    return fail('invalid', 'Received invalid task message: the message has no content_type property (send application/json)', {
      id: headers['id'],
      name: taskName,
    });
  }
  if (contentType !== JSON_CONTENT_TYPE) {
    const label = contentType === PICKLE_CONTENT_TYPE ? 'pickle' : contentType;
    return fail(
      'content-disallowed',
      `Received invalid task message: Refusing to deserialize untrusted content of type ${label} (${contentType})`,
      { id: headers['id'], name: taskName },
    );
  }

  const decoded = decodeBody(msg);
  if (!decoded.ok) return fail('decode-error', decoded.message, { id: headers['id'], name: taskName });
  const body = decoded.body;

  const deliveryInfo: DeliveryInfo = {
    exchange: msg.fields.exchange,
    routing_key: msg.fields.routingKey,
    priority: msg.properties.priority ?? 0,
    redelivered: msg.fields.redelivered,
  };
  const correlation = msg.properties.correlationId;
  const replyTo = msg.properties.replyTo ?? null;
  const priority = msg.properties.priority ?? 0;

  if (typeof taskName === 'string') {
    // Protocol v2: routing data in headers, [args, kwargs, embed] in the body.
    const id = headers['id'];
    if (typeof id !== 'string' || id === '') {
      return fail('invalid', `Received invalid task message: task '${taskName}' has no 'id' header`, { name: taskName });
    }
    if (!Array.isArray(body) || body.length < 2) {
      // A hybrid body (v1 object) carried with v2 headers: header values win (PROTOCOL.md §1.7).
      if (isObject(body) && 'args' in body) return fromV1({ ...body, ...headers, chain: null } as never, headers, 2);
      return fail('invalid', `Received invalid task message: body of task ${taskName}[${id}] is not [args, kwargs, embed]`, {
        id,
        name: taskName,
      });
    }
    const [args, kwargs, embed] = body as unknown[];
    if (!Array.isArray(args) || !isObject(kwargs)) {
      return fail('invalid', `Received invalid task message: task ${taskName}[${id}] has args that are not a list or kwargs that are not a dict`, {
        id,
        name: taskName,
      });
    }
    const eta = readDate('ETA', headers['eta']);
    if (!eta.ok) return fail('invalid', eta.message, { id, name: taskName });
    const expires = readDate('expires', headers['expires']);
    if (!expires.ok) return fail('invalid', expires.message, { id, name: taskName });
    return {
      ok: true,
      task: {
        protocol: 2,
        id,
        name: taskName,
        shadow: optionalString(headers['shadow']),
        args,
        kwargs,
        embed: readEmbed(embed),
        eta: eta.ms,
        expires: expires.ms,
        retries: optionalNumber(headers['retries']) ?? 0,
        timeLimit: readTimeLimit(headers['timelimit']),
        rootId: optionalString(headers['root_id']),
        parentId: optionalString(headers['parent_id']),
        group: optionalString(headers['group']),
        groupIndex: optionalNumber(headers['group_index']),
        origin: optionalString(headers['origin']),
        argsrepr: optionalString(headers['argsrepr']),
        kwargsrepr: optionalString(headers['kwargsrepr']),
        ignoreResult: headers['ignore_result'] === true,
        correlationId: correlation ?? id,
        replyTo,
        priority,
        headers,
        deliveryInfo,
      },
    };
  }

  // Protocol v1: no task header; the body is an object that names the task.
  if (!isObject(body) || typeof body['task'] !== 'string') {
    return fail('unknown-message', 'Received and deleted unknown message.  Wrong destination?!?');
  }
  return fromV1(body as unknown as TaskBodyV1, headers, 1);

  function fromV1(v1: TaskBodyV1, hdrs: Record<string, unknown>, protocol: 1 | 2): TaskDecodeResult {
    const id = v1.id;
    if (typeof id !== 'string' || id === '') {
      return fail('invalid', `Received invalid task message: task '${v1.task}' has no id`, { name: v1.task });
    }
    const args = v1.args ?? [];
    const kwargs = v1.kwargs ?? {};
    if (!Array.isArray(args) || !isObject(kwargs)) {
      return fail('invalid', `Received invalid task message: task ${v1.task}[${id}] has args that are not a list or kwargs that are not a dict`, {
        id,
        name: v1.task,
      });
    }
    const eta = readDate('ETA', v1.eta);
    if (!eta.ok) return fail('invalid', eta.message, { id, name: v1.task });
    const expires = readDate('expires', v1.expires);
    if (!expires.ok) return fail('invalid', expires.message, { id, name: v1.task });
    const record = v1 as unknown as Record<string, unknown>;
    return {
      ok: true,
      task: {
        protocol,
        id,
        name: v1.task,
        shadow: optionalString(record['shadow']),
        args,
        kwargs,
        embed: { callbacks: v1.callbacks ?? null, errbacks: v1.errbacks ?? null, chain: null, chord: v1.chord ?? null },
        eta: eta.ms,
        expires: expires.ms,
        retries: optionalNumber(v1.retries) ?? 0,
        timeLimit: readTimeLimit(v1.timelimit),
        rootId: optionalString(record['root_id']),
        parentId: optionalString(record['parent_id']),
        group: optionalString(v1.group ?? v1.taskset ?? null),
        groupIndex: optionalNumber(v1.group_index),
        origin: optionalString(record['origin']),
        argsrepr: optionalString(record['argsrepr']),
        kwargsrepr: optionalString(record['kwargsrepr']),
        ignoreResult: record['ignore_result'] === true,
        correlationId: correlation ?? id,
        replyTo,
        priority,
        headers: { ...hdrs, ...record },
        deliveryInfo,
      },
    };
  }
}

/** Everything `apply_async` accepts that changes the wire message. Times are seconds, like Celery's. */
export interface TaskSendOptions {
  readonly name: string;
  readonly args?: readonly unknown[];
  readonly kwargs?: Readonly<Record<string, unknown>>;
  /** @defaultValue a random UUID4 */
  readonly id?: string;
  /** Seconds from now; ignored when `eta` is given. */
  readonly countdown?: number;
  /** A Date, epoch milliseconds, or an ISO string. */
  readonly eta?: Date | number | string;
  /** Seconds from now (number), or an absolute Date / ISO string. */
  readonly expires?: Date | number | string;
  /** @defaultValue 'celery' */
  readonly queue?: string;
  /** Publish to this exchange instead of the default exchange (routing key = `routingKey ?? queue`). */
  readonly exchange?: string;
  readonly routingKey?: string;
  readonly priority?: number;
  readonly retries?: number;
  /** Hard time limit in seconds. */
  readonly timeLimit?: number | null;
  readonly softTimeLimit?: number | null;
  readonly rootId?: string;
  readonly parentId?: string | null;
  readonly group?: string | null;
  readonly groupIndex?: number | null;
  readonly shadow?: string | null;
  /** The sender's node name (`gen<pid>@host`). */
  readonly origin?: string;
  /** The rpc:// result queue; Celery always sets one. */
  readonly replyTo?: string;
  readonly ignoreResult?: boolean;
  /** Merged into the top level of the header table, as Celery does with `headers=`. */
  readonly headers?: Readonly<Record<string, unknown>>;
  readonly link?: readonly Signature[] | null;
  readonly linkError?: readonly Signature[] | null;
  readonly chain?: readonly Signature[] | null;
  readonly chord?: Signature | null;
  /** Epoch milliseconds to compute countdown/expires from. @defaultValue Date.now() */
  readonly now?: number;
  /** Minutes east of UTC for the written ISO dates. @defaultValue 0 (UTC, Celery's default timezone) */
  readonly utcOffsetMinutes?: number;
}

function toEpochMs(value: Date | number | string): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  const ms = parseIsoDate(value);
  if (ms === undefined) throw new TypeError(`invalid date '${value}'`);
  return ms;
}

/** Python's datetime.min and datetime.max (years 1 and 9999), the dates a Celery peer can read. */
const PY_DATETIME_MIN_MS = Date.parse('0001-01-01T00:00:00Z');
const PY_DATETIME_MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * The `expiration` property of a task that expires at `expiresMs`: its TTL in whole milliseconds, as RabbitMQ
 * wants it. None past RabbitMQ's maximum (10 years: it would close the channel); the `expires` header still makes
 * a worker discard the task when it is due.
 */
function expirationProperty(expiresMs: number | null, now: number): { expiration?: string } {
  if (expiresMs === null || !Number.isFinite(expiresMs)) return {};
  const ttl = Math.max(0, Math.round(expiresMs - now));
  return ttl <= MAX_EXPIRATION_MS ? { expiration: String(ttl) } : {};
}

/** Build the message `apply_async` would publish (PROTOCOL.md §1.1–1.6). */
export function buildTaskMessage(options: TaskSendOptions): OutgoingMessage & { readonly id: string } {
  const now = options.now ?? Date.now();
  const offset = options.utcOffsetMinutes ?? 0;
  const id = options.id ?? randomUUID();
  const args = [...(options.args ?? [])];
  const kwargs = { ...(options.kwargs ?? {}) };

  let etaMs: number | null = null;
  if (options.eta !== undefined) etaMs = toEpochMs(options.eta);
  else if (options.countdown !== undefined) etaMs = now + options.countdown * 1000;

  let expiresMs: number | null = null;
  if (typeof options.expires === 'number') expiresMs = now + options.expires * 1000;
  else if (options.expires !== undefined) expiresMs = toEpochMs(options.expires);
  if (expiresMs !== null) {
    if (Number.isNaN(expiresMs) || (typeof options.expires === 'number' && !Number.isFinite(options.expires))) {
      throw new TypeError(`expires ${String(options.expires)} is not a number of seconds or a date`);
    }
    // Seconds so far out that the sum overflows (1e308 s was published as expiration 'Infinity', and a date no
    // peer could parse): clamped to the dates Python can hold, which mean the same (never, or long ago).
    expiresMs = Math.min(PY_DATETIME_MAX_MS, Math.max(PY_DATETIME_MIN_MS, expiresMs));
  }

  const queue = options.queue ?? DEFAULT_QUEUE;
  const headers: TaskHeadersV2 = {
    lang: 'py',
    task: options.name,
    id,
    shadow: options.shadow ?? null,
    eta: etaMs === null ? null : formatIsoDate(etaMs, offset),
    expires: expiresMs === null ? null : formatIsoDate(expiresMs, offset),
    group: options.group ?? null,
    group_index: options.groupIndex ?? null,
    retries: options.retries ?? 0,
    timelimit: [options.timeLimit ?? null, options.softTimeLimit ?? null],
    root_id: options.rootId ?? id,
    parent_id: options.parentId ?? null,
    argsrepr: truncateRepr(pyTupleRepr(args)),
    kwargsrepr: truncateRepr(pyRepr(kwargs)),
    origin: options.origin ?? `gen${process.pid}@localhost`,
    ignore_result: options.ignoreResult ?? false,
    ...(options.headers ?? {}),
  };
  const body: TaskBodyV2 = [
    args,
    kwargs,
    {
      callbacks: options.link ? [...options.link] : null,
      errbacks: options.linkError ? [...options.linkError] : null,
      chain: options.chain ? [...options.chain] : null,
      chord: options.chord ?? null,
    },
  ];
  const properties = jsonProperties({
    deliveryMode: 2,
    priority: options.priority ?? 0,
    correlationId: id,
    headers: headers as unknown as HeaderTable,
    ...(options.replyTo ? { replyTo: options.replyTo } : {}),
    ...expirationProperty(expiresMs, now),
  });
  const toExchange = options.exchange !== undefined && options.exchange !== '';
  return {
    id,
    exchange: toExchange ? options.exchange! : '',
    routingKey: options.routingKey ?? queue,
    content: encodeJson(body),
    properties,
  };
}

/**
 * The message a retry republishes (PROTOCOL.md §1.10): same id, args, links and options, `retries + 1`, a new ETA,
 * `parent_id` = the task's own id. Routing: to the original routing key on the default exchange when the
 * delivery came through it, else to the original exchange and key.
 */
export function buildRetryMessage(
  task: TaskMessage,
  options: { readonly etaMs: number; readonly origin: string; readonly now?: number; readonly utcOffsetMinutes?: number },
): OutgoingMessage {
  const offset = options.utcOffsetMinutes ?? 0;
  const headers: TaskHeadersV2 = {
    lang: 'py',
    task: task.name,
    id: task.id,
    shadow: task.shadow,
    eta: formatIsoDate(options.etaMs, offset),
    expires: task.expires === null ? null : formatIsoDate(task.expires, offset),
    group: task.group,
    group_index: task.groupIndex,
    retries: task.retries + 1,
    timelimit: [task.timeLimit.hard, task.timeLimit.soft],
    root_id: task.rootId ?? task.id,
    parent_id: task.id,
    argsrepr: task.argsrepr ?? truncateRepr(pyTupleRepr(task.args)),
    kwargsrepr: task.kwargsrepr ?? truncateRepr(pyRepr(task.kwargs)),
    origin: options.origin,
    ignore_result: task.ignoreResult,
  };
  const body: TaskBodyV2 = [task.args, task.kwargs, task.embed];
  const now = options.now ?? Date.now();
  const viaDefault = task.deliveryInfo.exchange === '';
  return {
    exchange: viaDefault ? '' : task.deliveryInfo.exchange,
    routingKey: task.deliveryInfo.routing_key,
    content: encodeJson(body),
    properties: jsonProperties({
      deliveryMode: 2,
      priority: task.priority,
      correlationId: task.correlationId,
      headers: headers as unknown as HeaderTable,
      ...(task.replyTo ? { replyTo: task.replyTo } : {}),
      ...expirationProperty(task.expires, now),
    }),
  };
}

/** A signature dict, as `tasks.add.s(1)` serializes. */
export function signature(
  task: string,
  args: readonly unknown[] = [],
  kwargs: Readonly<Record<string, unknown>> = {},
  options: { readonly immutable?: boolean; readonly options?: Record<string, unknown> } = {},
): Signature {
  return {
    task,
    args: [...args],
    kwargs: { ...kwargs },
    options: { ...(options.options ?? {}) },
    subtask_type: null,
    immutable: options.immutable ?? false,
  };
}
