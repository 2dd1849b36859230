import { constants as osConstants } from 'node:os';
import { SHORTSTR_MAX_BYTES, translateAmqpError, type Channel, type ConsumeMessage } from '../amqp/index.js';
import { BrokerError, CamqError, ReplyCode } from '../errors/index.js';
import {
  buildControlReply,
  CONTROL_COMMANDS,
  EXCHANGE_TYPES,
  decodeControlRequest,
  LamportClock,
  matchesDestination,
  parseRate,
  PIDBOX_EXCHANGE,
  PIDBOX_QUEUE_ARGUMENTS,
  pidboxQueueName,
  pyExceptionRepr,
  pyStrRepr,
  type ActiveQueueInfo,
  type ControlCommandSpec,
  type ControlMethod,
  type ControlRequest,
  plainText,
  type OutgoingMessage,
  type ScheduledEntry,
  type StatsReply,
  type TaskInfo,
} from '../protocol/index.js';
import type { Logger } from '../util/logger.js';
import type { EventDispatcher } from './event-dispatcher.js';
import type { Request } from './request.js';
import { revokedMapFrom } from './mingle.js';
import type { RevokedSet } from './revoked-set.js';
import type { TaskDefinition, TaskRegistry } from './task-registry.js';

/**
 * The worker side of kombu's pidbox (docs/protocol.md, Remote control): a `<node>.celery.pidbox` queue bound to the
 * fanout `celery.pidbox` exchange, consumed without acks. Every request is filtered with `matchesDestination`; the
 * handler's return value is the reply (`{node: value}` with the request's ticket); a handler that throws replies
 * `{"error": "<Python repr>"}`; `shutdown` never replies. Custom commands register like Celery's `Panel.register`.
 */

/** What the panel needs from the worker. */
export interface ControlTarget {
  readonly hostname: string;
  readonly registry: TaskRegistry;
  readonly revoked: RevokedSet;
  readonly events: EventDispatcher;
  readonly appClock: LamportClock;
  readonly logger: Logger;
  /** Rebuild the bucket of a task type after its rate limit changed. */
  resetRateLimit(taskName: string): void;
  /** Terminate the requests of these ids that are running or reserved; returns the ids found. */
  terminate(ids: readonly string[], signal: NodeJS.Signals | number): string[];
  /** Revoked ids were added: persist them. */
  revokedChanged(): void;
  heartbeatNow(): void;
  stats(): StatsReply;
  scheduled(): ScheduledEntry[];
  /** Requests handed to the pool queue and not started. */
  reserved(): Request[];
  active(): Request[];
  activeQueues(): ActiveQueueInfo[];
  /** Declare (on a channel of its own) and consume; rejects with a PanelError saying why when refused. */
  addConsumer(queue: string, exchange: string, exchangeType: string, routingKey: string): Promise<void>;
  cancelConsumer(queue: string): Promise<void>;
  /** Change the pool size by `delta` slots, within [1, max]; returns the sizes before and after, and the max. */
  resizePool(delta: number): { before: number; after: number; max: number };
  shutdown(reason: string): void;
  report(): string;
  conf(withDefaults: boolean): Record<string, unknown>;
  /**
   * Send a reply to `reply_to`, never on the mailbox's channel: the broker closes the channel of a publish it refuses
   * (an exchange that does not exist: 404), and the worker would stop answering remote control without a word.
   */
  sendReply(reply: OutgoingMessage, method: string): void;
}

/**
 * How a command registered at run time is called: the same fields as a catalog entry (kind, aliases, arguments,
 * strict), each optional. @defaultValue kind 'control', no aliases, no declared arguments, not strict
 */
export type ControlCommandOptions = Partial<Pick<ControlCommandSpec, 'kind' | 'aliases' | 'args' | 'strict'>>;

export type ControlCommandHandler = (target: ControlTarget, args: Record<string, unknown>) => unknown;

interface Command {
  readonly name: string;
  readonly handler: ControlCommandHandler;
  readonly options: ControlCommandOptions;
}

/** Thrown by a handler that must not reply (`shutdown`). */
class NoReply extends Error {}

/** A Python exception, raised by a handler, that becomes `{"error": "<repr>"}`. */
export class PanelError extends Error {
  readonly repr: string;
  constructor(type: string, message: string) {
    super(message);
    this.repr = pyExceptionRepr(type, message);
  }
}

const ok = (text: string) => ({ ok: text });
const nok = (text: string) => ({ error: text });

function idList(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return [...new Set(list.map(String))];
}

/** A signal name (`SIGKILL`, `KILL`), or number, as Celery's `signals.signum` reads it. */
export function signalOf(value: unknown): { name: NodeJS.Signals; number: number } {
  const text = value === null || value === undefined || value === '' ? 'SIGTERM' : plainText(value).toUpperCase();
  const table = osConstants.signals as Record<string, number>;
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    const name = Object.keys(table).find((k) => table[k] === n);
    if (name) return { name: name as NodeJS.Signals, number: n };
  } else {
    const name = text.startsWith('SIG') ? text : `SIG${text}`;
    if (table[name] !== undefined) return { name: name as NodeJS.Signals, number: table[name] };
  }
  throw new PanelError('TypeError', `signal name ${pyStrRepr(String(value))} is not a valid signal`);
}

/** Python's float() of a rate number: a readable error for `rate_limit`. */
function rateError(value: unknown): { error: string } | undefined {
  const parsed = parseRate(value as string | number | null);
  if (parsed.ok) return undefined;
  const text = String(value);
  const unit = text.includes('/') ? text.slice(text.indexOf('/') + 1) : '';
  if (unit !== '' && !['s', 'm', 'h'].includes(unit)) throw new PanelError('KeyError', unit);
  const number = text.includes('/') ? text.slice(0, text.indexOf('/')) : text;
  return nok(`Invalid rate limit string: ${pyExceptionRepr('ValueError', `could not convert string to float: ${pyStrRepr(number)}`)}`);
}

function num(value: unknown, name: string): number | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new PanelError('ValueError', `could not convert string to float: ${pyStrRepr(plainText(value))} (${name})`);
  // A negative limit would fire at once and kill every task of the type.
  if (n < 0) throw new PanelError('ValueError', `the ${name} time limit must be 0 (none) or more seconds, not ${n}`);
  return n;
}

/** How pool_grow's maximum is set (see Worker.maxConcurrency). */
export const MAX_POOL_RULE = '4 × the CPU cores, or the starting concurrency if higher';

/** pool_grow/pool_shrink's `n`: a whole number from 1 to 1000 (a million would be a fork bomb on the process pool). */
function poolDelta(value: unknown): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > 1000)
    throw new PanelError('ValueError', `n must be a whole number from 1 to 1000, not ${pyStrRepr(String(value))}`);
  return n;
}

/** The exchange types a worker declares; others (plugins' x-… types) only when the exchange exists already. */
export const STANDARD_EXCHANGE_TYPES: readonly string[] = EXCHANGE_TYPES;

/** add_consumer's arguments, checked before anything is declared: a refused declare must not reach the broker twice. */
function consumerArgs(a: Record<string, unknown>): [queue: string, exchange: string, exchangeType: string, routingKey: string] {
  const text = (key: string, fallback: string) => {
    const v = a[key];
    if (v === null || v === undefined) return fallback;
    if (typeof v !== 'string') throw new PanelError('TypeError', `${key} must be a string, not ${pyStrRepr(plainText(v))}`);
    if (Buffer.byteLength(v) > SHORTSTR_MAX_BYTES)
      throw new PanelError('ValueError', `${key} is longer than ${SHORTSTR_MAX_BYTES} bytes (AMQP's limit for names)`);
    return v;
  };
  const queue = text('queue', '');
  if (queue === '') throw new PanelError('ValueError', 'queue must be a non-empty name (an empty one would make the broker invent a queue)');
  if (queue.startsWith('amq.')) throw new PanelError('ValueError', `queue ${pyStrRepr(queue)}: names starting with amq. are reserved by the broker`);
  const exchangeType = text('exchange_type', '') || 'direct';
  if (!/^(direct|topic|fanout|headers|x-[\w.-]+)$/.test(exchangeType)) {
    throw new PanelError(
      'ValueError',
      `exchange_type ${pyStrRepr(exchangeType)} is not an exchange type (direct, topic, fanout, headers, or a plugin's x-…)`,
    );
  }
  return [queue, text('exchange', queue), exchangeType, text('routing_key', queue)];
}

/**
 * What the worker does for each of Celery's built-in commands (docs/protocol.md, Remote control), by wire name. Their arguments,
 * defaults, aliases and kinds come from the catalog (protocol/control-catalog.ts); the type keeps the two in step.
 */
const HANDLERS: { readonly [M in ControlMethod]: ControlCommandHandler } = {
  ping: () => ok('pong'),
  rate_limit: (t, a) => {
    const bad = rateError(a['rate_limit']);
    if (bad) return bad;
    const task = t.registry.get(String(a['task_name']));
    if (!task) {
      t.logger.error(`Rate limit attempt for unknown task ${String(a['task_name'])}`);
      return nok('unknown task');
    }
    const rate = a['rate_limit'] as string | number | null;
    task.rateLimit = rate || null;
    t.resetRateLimit(task.name);
    if (!rate) {
      t.logger.info(`Rate limits disabled for tasks of type ${task.name}`);
      return ok('rate limit disabled successfully');
    }
    t.logger.info(`New rate limit for tasks of type ${task.name}: ${String(rate)}.`);
    return ok('new rate limit set successfully');
  },
  revoke: (t, a) => revoke(t, idList(a['task_id']), Boolean(a['terminate']), a['signal']),
  terminate: (t, a) => revoke(t, idList(a['task_id']), true, a['signal']),
  time_limit: (t, a) => {
    const task = t.registry.get(String(a['task_name']));
    if (!task) {
      t.logger.error(`Change time limit attempt for unknown task ${String(a['task_name'])}`);
      return nok('unknown task');
    }
    task.softTimeLimit = num(a['soft'], 'soft');
    task.timeLimit = num(a['hard'], 'hard');
    t.logger.info(`New time limits for tasks of type ${task.name}: soft=${task.softTimeLimit ?? 'None'} hard=${task.timeLimit ?? 'None'}`);
    return ok('time limits set successfully');
  },
  enable_events: (t) => ok(t.events.enableTaskEvents()),
  disable_events: (t) => ok(t.events.disableTaskEvents()),
  heartbeat: (t) => {
    t.heartbeatNow();
    return null;
  },
  stats: (t) => t.stats(),
  scheduled: (t) => t.scheduled(),
  reserved: (t) => t.reserved().map((r) => r.info()),
  active: (t, a) => t.active().map((r) => r.info(Boolean(a['safe']))),
  revoked: (t) => t.revoked.ids(),
  registered: (t, a) => {
    const items =
      Array.isArray(a['taskinfoitems']) && a['taskinfoitems'].length > 0 ? a['taskinfoitems'].map(String) : ['exchange', 'routing_key', 'rate_limit'];
    const acksLate = t.conf(false)['task_acks_late'] === true;
    return t.registry.names().map((name) => {
      const attrs = taskAttributes(t.registry.get(name)!, acksLate);
      const fields = items.filter((k) => attrs[k] !== null && attrs[k] !== undefined).map((k) => `${k}=${pyStr(attrs[k])}`);
      return fields.length > 0 ? `${name} [${fields.join(' ')}]` : name;
    });
  },
  query_task: (t, a) => {
    const active = new Map(t.active().map((r) => [r.id, r]));
    const reserved = new Map(t.reserved().map((r) => [r.id, r]));
    const reply: Record<string, [string, TaskInfo]> = {};
    for (const id of idList(a['ids'])) {
      const r = active.get(id) ?? reserved.get(id);
      if (r) reply[id] = [active.has(id) ? 'active' : 'reserved', r.info()];
    }
    return reply;
  },
  active_queues: (t) => t.activeQueues(),
  add_consumer: async (t, a) => {
    const [queue, exchange, exchangeType, routingKey] = consumerArgs(a);
    // Unlike Celery, the reply waits for the declare (on a throwaway channel, a few ms): a queue or exchange the
    // broker refuses is a reply that says why, instead of a consumer that fails later in the log only.
    await t.addConsumer(queue, exchange, exchangeType, routingKey);
    return ok(`add consumer ${queue}`);
  },
  cancel_consumer: (t, a) => {
    const queue = String(a['queue']);
    setImmediate(() => void t.cancelConsumer(queue).catch((err: Error) => t.logger.error(`cancel_consumer ${queue} failed: ${err.message}`)));
    return ok(`no longer consuming from ${queue}`);
  },
  pool_grow: (t, a) => {
    const { before, after, max } = t.resizePool(poolDelta(a['n']));
    if (after === before)
      return nok(`the pool is at its maximum of ${max} (${MAX_POOL_RULE}); start the worker with a higher --concurrency for more`);
    if (after < before + poolDelta(a['n'])) return ok(`pool will grow to ${after}, its maximum (${MAX_POOL_RULE})`);
    return ok('pool will grow');
  },
  pool_shrink: (t, a) => {
    t.resizePool(-poolDelta(a['n']));
    return ok('pool will shrink');
  },
  autoscale: () => {
    throw new PanelError('ValueError', 'Autoscale not enabled');
  },
  pool_restart: () => {
    throw new PanelError('ValueError', 'Pool restarts not enabled');
  },
  shutdown: (t, a) => {
    t.logger.warning(String(a['msg']));
    t.shutdown(String(a['msg']));
    throw new NoReply();
  },
  report: (t) => ok(t.report()),
  conf: (t, a) => t.conf(Boolean(a['with_defaults'])),
  clock: (t) => ({ clock: t.appClock.value }),
  hello: (t, a) => {
    if (a['from_node'] === t.hostname) return null;
    t.logger.info(`sync with ${String(a['from_node'])}`);
    const theirs = a['revoked'];
    if (theirs && typeof theirs === 'object' && !Array.isArray(theirs)) {
      // Their times are their own monotonic clock: meaningless here, so the ids count as revoked now.
      for (const id of Object.keys(theirs)) t.revoked.add(id);
      t.revokedChanged();
    }
    t.revoked.purge();
    return { revoked: revokedMapFrom(t.revoked), clock: t.appClock.forward() };
  },
};

/**
 * The attributes of a Celery Task that `inspect registered <items>` shows, with the values a Python worker gives for
 * a task that sets nothing: Celery omits the ones that are None (exchange, routing_key, priority, expires, ...).
 */
function taskAttributes(task: TaskDefinition, workerAcksLate: boolean): Record<string, unknown> {
  return {
    rate_limit: task.rateLimit,
    time_limit: task.timeLimit,
    soft_time_limit: task.softTimeLimit,
    max_retries: task.maxRetries,
    default_retry_delay: task.defaultRetryDelay,
    // JSON is the only serializer camq speaks.
    serializer: 'json',
    acks_late: task.options.acksLate ?? workerAcksLate,
    acks_on_failure_or_timeout: true,
    ignore_result: task.options.ignoreResult ?? false,
    store_errors_even_if_ignored: false,
    send_events: task.options.sendEvents ?? true,
    // camq never stores a STARTED result.
    track_started: false,
    queue: task.options.queue,
  };
}

/** Python's str() of an attribute value. */
function pyStr(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  return String(value);
}

function revoke(t: ControlTarget, ids: string[], terminate: boolean, signal: unknown): { ok: string } {
  const sig = terminate ? signalOf(signal) : undefined;
  for (const id of ids) t.revoked.add(id);
  t.revokedChanged();
  if (sig) {
    const terminated = t.terminate(ids, sig.name);
    if (terminated.length === 0) return ok('terminate: tasks unknown');
    return ok(`terminate: ${terminated.join(', ')}`);
  }
  const idstr = ids.join(', ');
  t.logger.info(`Tasks flagged as revoked: ${idstr}`);
  return ok(`tasks ${idstr} flagged as revoked`);
}

function pluralArgs(method: string, missing: string[]): string {
  const quoted = missing.map((m) => `'${m}'`);
  const list = quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]!}`;
  return `${method}() missing ${missing.length} required positional argument${missing.length === 1 ? '' : 's'}: ${list}`;
}

/** Bind request arguments to a command's declared ones, with Python's TypeError messages. */
function bindArgs(command: Command, given: Record<string, unknown>): Record<string, unknown> {
  const specs = command.options.args ?? [];
  const bound: Record<string, unknown> = { ...given };
  if (command.options.strict) {
    const known = new Set(specs.map((s) => s.name));
    const extra = Object.keys(given).find((k) => !known.has(k));
    if (extra !== undefined) throw new PanelError('TypeError', `${command.name}() got an unexpected keyword argument '${extra}'`);
  }
  const missing: string[] = [];
  for (const spec of specs) {
    if (given[spec.name] !== undefined) continue;
    if ('default' in spec) bound[spec.name] = spec.default;
    else missing.push(spec.name);
  }
  if (missing.length > 0) throw new PanelError('TypeError', pluralArgs(command.name, missing));
  return bound;
}

/** The repr of whatever a handler threw. */
function errorRepr(err: unknown): string {
  if (err instanceof PanelError) return err.repr;
  if (err instanceof Error) return pyExceptionRepr(err.name === 'Error' ? 'Exception' : err.name, err.message);
  return pyExceptionRepr('Exception', String(err));
}

export class ControlPanel {
  private readonly commands = new Map<string, Command>();
  private readonly target: ControlTarget;
  /** The mailbox's own Lamport clock (reply headers), separate from the app clock. */
  readonly mailboxClock = new LamportClock();
  private channel: Channel | undefined;
  private consumerTag: string | undefined;

  constructor(target: ControlTarget) {
    this.target = target;
    for (const spec of CONTROL_COMMANDS) this.add({ name: spec.method, handler: HANDLERS[spec.method], options: spec });
  }

  /** Add a command (Celery's `Panel.register`); a name that exists is replaced. */
  register(name: string, handler: ControlCommandHandler, options: ControlCommandOptions = {}): void {
    this.add({ name, handler, options });
  }

  has(method: string): boolean {
    return this.commands.has(method);
  }

  get queueName(): string {
    return pidboxQueueName(this.target.hostname);
  }

  /**
   * Declare and consume the mailbox on `channel` (after every connect). The queue is exclusive to this connection,
   * as Celery 5.6 and kombu declare it since RabbitMQ 4.3 refuses transient queues that are not (celery#10287):
   * so a second worker with the same node name is refused (405) instead of sharing the first one's commands.
   */
  async attach(channel: Channel): Promise<void> {
    this.channel = channel;
    await channel.assertExchange(PIDBOX_EXCHANGE.name, PIDBOX_EXCHANGE.type, {
      durable: PIDBOX_EXCHANGE.durable,
      autoDelete: PIDBOX_EXCHANGE.autoDelete,
    });
    try {
      await channel.assertQueue(this.queueName, { durable: false, exclusive: true, autoDelete: true, arguments: { ...PIDBOX_QUEUE_ARGUMENTS } });
    } catch (err) {
      const error = translateAmqpError(err);
      if (!(error instanceof BrokerError) || error.replyCode !== ReplyCode.RESOURCE_LOCKED) throw error;
      throw new CamqError(
        'worker.duplicate-nodename',
        `the mailbox queue ${this.queueName} belongs to another connection: a worker named ${this.target.hostname} is already ` +
          `running on this broker (start this one with another name, e.g. -n w2@%h), or the broker has not yet dropped this worker's lost connection`,
        { cause: error },
      );
    }
    await channel.bindQueue(this.queueName, PIDBOX_EXCHANGE.name, '');
    const { consumerTag } = await channel.consume(this.queueName, (msg) => msg && void this.onMessage(msg), { noAck: true });
    this.consumerTag = consumerTag;
  }

  detach(): void {
    this.channel = undefined;
    this.consumerTag = undefined;
  }

  /** Stop consuming (shutdown): the auto-delete queue goes away with its consumer. */
  async close(): Promise<void> {
    const { channel, consumerTag } = this;
    this.detach();
    if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => {});
  }

  /** Handle one request: run it if it is for us and return the reply message, if one is due. */
  async handle(request: ControlRequest): Promise<OutgoingMessage | undefined> {
    this.target.appClock.forward();
    this.mailboxClock.adjust(request.clock);
    if (!matchesDestination(request, this.target.hostname)) return undefined;
    let value: unknown;
    try {
      const command = this.commands.get(request.method);
      if (!command) throw new PanelError('KeyError', request.method);
      value = await command.handler(this.target, bindArgs(command, request.arguments));
    } catch (err) {
      if (err instanceof NoReply) return undefined;
      if (!(err instanceof PanelError))
        this.target.logger.error(`Error in remote control command ${request.method}: ${(err as Error)?.message ?? String(err)}`);
      value = { error: errorRepr(err) };
    }
    if (!request.reply_to) return undefined;
    const reply = (v: unknown) =>
      buildControlReply({
        nodename: this.target.hostname,
        value: v,
        replyTo: request.reply_to!,
        ticket: request.ticket,
        clock: this.mailboxClock.forward(),
      });
    try {
      return reply(value === undefined ? null : value);
    } catch (err) {
      // A custom command's value JSON cannot carry (a BigInt, a cycle): the caller gets told, not a silence.
      return reply({ error: pyExceptionRepr('EncodeError', `the reply to ${request.method} is not JSON: ${(err as Error).message}`) });
    }
  }

  /** From amqplib's consumer callback: nothing may escape (an unhandled rejection would end the process). */
  private async onMessage(msg: ConsumeMessage): Promise<void> {
    try {
      await this.answer(msg);
    } catch (err) {
      this.target.logger.error(`internal error while answering a remote control message: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private async answer(msg: ConsumeMessage): Promise<void> {
    const decoded = decodeControlRequest(msg);
    if (!decoded.ok) {
      this.target.logger.warning(`Ignoring remote control message: ${decoded.error}`);
      return;
    }
    const reply = await this.handle(decoded.request);
    if (reply) this.target.sendReply(reply, decoded.request.method);
  }

  private add(command: Command): void {
    this.commands.set(command.name, command);
    for (const alias of command.options.aliases ?? []) this.commands.set(alias, command);
  }
}
