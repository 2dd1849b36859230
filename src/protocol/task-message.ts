import { randomUUID } from 'node:crypto';
import { JSON_CONTENT_TYPE, MAX_EXPIRATION_MS, type HeaderTable, type IncomingMessage, type OutgoingMessage } from './amqp-message.js';
import { formatIsoDate, MAX_DATE_MS, MIN_DATE_MS, parseIsoDate } from './iso-date.js';
import { MAX_MESSAGE_DEPTH, nestsDeeperThan } from './nesting-depth.js';
import { pyRepr, pyTupleRepr, truncateRepr } from './python-repr.js';
import { checkEmbed, describeValue, type Signature, type TaskEmbed } from './task-embed.js';
import { DEFAULT_QUEUE } from './topology.js';
import { isObject } from './is-object.js';
import { compressionByContentType } from './compression.js';
import { contentTypeLabel, DEFAULT_ACCEPT, serializerByContentType, type Serializer } from './serializer.js';
import { encodeBody, type BodyFormat } from './body-format.js';

/**
 * Celery task messages, protocol v2 (default since Celery 4) and v1 (docs/protocol.md, Task messages). Pure: build the
 * bytes and properties Python's `apply_async` sends, and decode what a worker receives into one normalized
 * `TaskMessage`, or a `TaskDecodeError` that says what to do with a message that cannot run (docs/protocol.md, The
 * worker's semantics).
 */

/** `[hard, soft]`, hard first (docs/protocol.md, Interoperability traps); seconds or null. */
export type TimeLimitHeader = [hard: number | null, soft: number | null];

export type { Signature, TaskEmbed } from './task-embed.js';

/** The third item of a v2 body. `{}` is accepted on receipt. */
export type TaskBodyV2 = [args: unknown[], kwargs: Record<string, unknown>, embed: Partial<TaskEmbed>];

/** Task headers, protocol v2, with Celery's exact wire names (docs/protocol.md, Task messages). */
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

/** A protocol v1 body: everything in a JSON object, no headers (docs/protocol.md, Task messages). */
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
 * What to do with a message that cannot become a task, as Celery 5.2.6 does (docs/protocol.md, The worker's semantics),
 * except that the two poison cases that crash a Python worker (missing `id`, missing `content_type`) are rejected here
 * instead.
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

function optionalString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The optional fields protocol 2 carries in its headers and protocol 1 in its body, under the same names. */
function namedFields(source: Readonly<Record<string, unknown>>) {
  return {
    shadow: optionalString(source['shadow']),
    rootId: optionalString(source['root_id']),
    parentId: optionalString(source['parent_id']),
    origin: optionalString(source['origin']),
    argsrepr: optionalString(source['argsrepr']),
    kwargsrepr: optionalString(source['kwargsrepr']),
    ignoreResult: source['ignore_result'] === true,
  };
}

function optionalNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** `[hard, soft]`: each null or a number of seconds ≥ 0 (0 is no limit, as in Celery); anything else is refused. */
function readTimeLimit(value: unknown): { ok: true; hard: number | null; soft: number | null } | { ok: false; message: string } {
  if (value === null || value === undefined) return { ok: true, hard: null, soft: null };
  const limit = (v: unknown) => v === null || v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0);
  if (!Array.isArray(value) || value.length > 2 || !limit(value[0]) || !limit(value[1])) {
    return { ok: false, message: `Received invalid task message: timelimit ${describeValue(value)} is not [hard, soft] (each null or seconds ≥ 0)` };
  }
  return { ok: true, hard: optionalNumber(value[0]), soft: optionalNumber(value[1]) };
}

/** `retries`: a count, so an integer ≥ 0 (missing is 0). A negative count would retry a task without end. */
function readRetries(value: unknown): { ok: true; retries: number } | { ok: false; message: string } {
  if (value === null || value === undefined) return { ok: true, retries: 0 };
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return { ok: true, retries: value };
  return { ok: false, message: `Received invalid task message: retries ${describeValue(value)} is not a whole number ≥ 0` };
}

/** What every protocol shares: retries, time limits, dates and the embed, validated; or the refusal line. */
function readCommon(source: { retries: unknown; timelimit: unknown; eta: unknown; expires: unknown; embed: unknown }):
  | {
      ok: true;
      fields: {
        retries: number;
        timeLimit: { hard: number | null; soft: number | null };
        eta: number | null;
        expires: number | null;
        embed: TaskEmbed;
      };
    }
  | { ok: false; message: string } {
  const retries = readRetries(source.retries);
  if (!retries.ok) return retries;
  const timeLimit = readTimeLimit(source.timelimit);
  if (!timeLimit.ok) return timeLimit;
  const eta = readDate('ETA', source.eta);
  if (!eta.ok) return eta;
  const expires = readDate('expires', source.expires);
  if (!expires.ok) return expires;
  const embed = checkEmbed(source.embed);
  if (!embed.ok) return { ok: false, message: `Received invalid task message: ${embed.problem}` };
  return {
    ok: true,
    fields: {
      retries: retries.retries,
      timeLimit: { hard: timeLimit.hard, soft: timeLimit.soft },
      eta: eta.ms,
      expires: expires.ms,
      embed: embed.embed,
    },
  };
}

/** Read an `eta`/`expires` value; a naive date is UTC (Celery's default timezone). */
function readDate(field: 'ETA' | 'expires', value: unknown): { ok: true; ms: number | null } | { ok: false; message: string } {
  if (value === null || value === undefined) return { ok: true, ms: null };
  // Within Python's datetime range (years 1–9999), which is also what JavaScript can print back as ISO 8601.
  const inRange = (ms: number) => ms >= MIN_DATE_MS && ms <= MAX_DATE_MS;
  if (typeof value === 'number' && Number.isFinite(value) && inRange(value * 1000)) return { ok: true, ms: value * 1000 };
  if (typeof value === 'string') {
    const ms = parseIsoDate(value);
    if (ms !== undefined && inRange(ms)) return { ok: true, ms };
  }
  const shown = typeof value === 'string' ? `'${value.slice(0, 64)}'` : describeValue(value);
  return {
    ok: false,
    message: `Received invalid task message: invalid ${field} value ${shown}: unable to parse date string ${shown}`,
  };
}

function decodeBody(
  msg: IncomingMessage,
  serializer: Serializer | undefined,
  content: Buffer,
): { ok: true; body: unknown } | { ok: false; message: string } {
  try {
    if (serializer !== undefined) return { ok: true, body: serializer.decode(content) };
    // JSON, the hot path: the encoding property as kombu honours it.
    const encoding = (msg.properties.contentEncoding ?? 'utf-8').toLowerCase();
    const text = content.toString(encoding === 'binary' || encoding === 'utf-8' || encoding === 'utf8' ? 'utf8' : 'latin1');
    return { ok: true, body: JSON.parse(text) };
  } catch (err) {
    return { ok: false, message: undecodable(msg, err) };
  }
}

function undecodable(msg: IncomingMessage, err: unknown): string {
  const headers = msg.properties.headers ?? {};
  const reason = err instanceof Error ? err.message : String(err);
  return (
    `Can't decode message body: DecodeError(${JSON.stringify(reason)}) ` +
    `[type:'${msg.properties.contentType ?? ''}' encoding:'${msg.properties.contentEncoding ?? ''}' headers:${describeValue(headers, 1024)}]`
  );
}

/**
 * Decode a delivered task message of either protocol into a TaskMessage, or say why it cannot run. `accept` is the
 * worker's `accept_content` as content types (see acceptContent); JSON only by default, as Celery's.
 */
export function decodeTaskMessage(msg: IncomingMessage, accept: ReadonlySet<string> = DEFAULT_ACCEPT): TaskDecodeResult {
  const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const contentType = msg.properties.contentType;
  const taskName = headers['task'];

  if (contentType === undefined || contentType === '') {
    return fail('invalid', 'Received invalid task message: the message has no content_type property (send application/json)', {
      id: headers['id'],
      name: taskName,
    });
  }
  // JSON needs no codec look-up (undefined: decodeBody parses it inline); anything else must be accepted and known.
  let serializer: Serializer | undefined;
  if (contentType !== JSON_CONTENT_TYPE || !accept.has(JSON_CONTENT_TYPE)) {
    serializer = accept.has(contentType) ? serializerByContentType(contentType) : undefined;
    if (serializer === undefined) {
      return fail(
        'content-disallowed',
        `Received invalid task message: Refusing to deserialize untrusted content of type ${contentTypeLabel(contentType)} (${contentType})`,
        { id: headers['id'], name: taskName },
      );
    }
  }

  let content = msg.content;
  const compression = headers['compression'];
  if (compression !== undefined && compression !== null) {
    const codec = compressionByContentType(compression);
    if (typeof codec === 'string') return fail('invalid', `Received invalid task message: ${codec}`, { id: headers['id'], name: taskName });
    try {
      content = codec.decompress(content);
    } catch (err) {
      return fail('decode-error', undecodable(msg, err), { id: headers['id'], name: taskName });
    }
  }
  if (nestsDeeperThan(headers, MAX_MESSAGE_DEPTH)) {
    return fail('invalid', `Received invalid task message: its headers nest more than ${MAX_MESSAGE_DEPTH} levels deep`, { name: taskName });
  }

  const decoded = decodeBody(msg, serializer, content);
  if (!decoded.ok) return fail('decode-error', decoded.message, { id: headers['id'], name: taskName });
  const body = decoded.body;
  // Python's JSON decoder stops near this depth too (kombu's DecodeError: Celery acks and drops such a body).
  if (nestsDeeperThan(body, MAX_MESSAGE_DEPTH)) {
    return fail('decode-error', `Can't decode message body: it nests more than ${MAX_MESSAGE_DEPTH} levels deep [type:'${contentType}']`, {
      id: headers['id'],
      name: taskName,
    });
  }

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
      // A hybrid body (v1 object) carried with v2 headers: header values win (docs/protocol.md, Task messages).
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
    const common = readCommon({
      retries: headers['retries'],
      timelimit: headers['timelimit'],
      eta: headers['eta'],
      expires: headers['expires'],
      embed,
    });
    if (!common.ok) return fail('invalid', common.message, { id, name: taskName });
    return {
      ok: true,
      task: {
        protocol: 2,
        id,
        name: taskName,
        args,
        kwargs,
        ...common.fields,
        ...namedFields(headers),
        group: optionalString(headers['group']),
        groupIndex: optionalNumber(headers['group_index']),
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
    const common = readCommon({
      retries: v1.retries,
      timelimit: v1.timelimit,
      eta: v1.eta,
      expires: v1.expires,
      embed: { callbacks: v1.callbacks ?? null, errbacks: v1.errbacks ?? null, chord: v1.chord ?? null },
    });
    if (!common.ok) return fail('invalid', common.message, { id, name: v1.task });
    const record = v1 as unknown as Record<string, unknown>;
    return {
      ok: true,
      task: {
        protocol,
        id,
        name: v1.task,
        args,
        kwargs,
        ...common.fields,
        ...namedFields(record),
        group: optionalString(v1.group ?? v1.taskset ?? null),
        groupIndex: optionalNumber(v1.group_index),
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
  /** The body's serializer, as Celery's `serializer=`. @defaultValue 'json' */
  readonly serializer?: BodyFormat['serializer'];
  /** Compress the body, as Celery's `compression=` ('gzip', 'bzip2', 'brotli'). @defaultValue none */
  readonly compression?: BodyFormat['compression'];
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

/** Build the message `apply_async` would publish (docs/protocol.md, Task messages). */
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
  const extra = {
    deliveryMode: 2,
    priority: options.priority ?? 0,
    correlationId: id,
    headers: headers as unknown as HeaderTable,
    ...(options.replyTo ? { replyTo: options.replyTo } : {}),
    ...expirationProperty(expiresMs, now),
  };
  const toExchange = options.exchange !== undefined && options.exchange !== '';
  const exchange = toExchange ? options.exchange : '';
  const routingKey = options.routingKey ?? queue;
  return { id, exchange, routingKey, ...encodeBody(body, { serializer: options.serializer, compression: options.compression }, extra) };
}

/**
 * The message a retry republishes (docs/protocol.md, Retries): same id, args, links and options, `retries + 1`, a new
 * ETA, `parent_id` = the task's own id. Routing: to the original routing key on the default exchange when the
 * delivery came through it, else to the original exchange and key. Written in `serializer`/`compression`: Celery's
 * `Task.retry` sends through `apply_async`, so in the registered task's own options, not the incoming message's
 * (JSON, uncompressed, when none are given). Throws on an unknown name, as buildTaskMessage.
 */
export function buildRetryMessage(
  task: TaskMessage,
  options: {
    readonly etaMs: number;
    readonly origin: string;
    readonly now?: number;
    readonly utcOffsetMinutes?: number;
    readonly serializer?: BodyFormat['serializer'];
    readonly compression?: BodyFormat['compression'];
  },
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
  const exchange = viaDefault ? '' : task.deliveryInfo.exchange;
  const routingKey = task.deliveryInfo.routing_key;
  const extra = {
    deliveryMode: 2,
    priority: task.priority,
    correlationId: task.correlationId,
    headers: headers as unknown as HeaderTable,
    ...(task.replyTo ? { replyTo: task.replyTo } : {}),
    ...expirationProperty(task.expires, now),
  };
  return { exchange, routingKey, ...encodeBody(body, { serializer: options.serializer, compression: options.compression }, extra) };
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
