import { constants as osConstants } from 'node:os';
import { EXCHANGE_TYPES, parseRate, plainText, pyExceptionRepr, pyStrRepr, type ControlMethod, type TaskInfo } from '../protocol/index.js';
import { SHORTSTR_MAX_BYTES } from '../protocol/shortstr.js';
import { NoReply, PanelError, type ControlCommandHandler, type ControlTarget } from './control-target.js';
import { revokedMapFrom } from './mingle.js';
import type { TaskDefinition } from './task-registry.js';

/**
 * Celery's built-in remote-control commands as the worker runs them (docs/protocol.md, Remote control): one handler
 * per wire name. Their arguments, defaults, aliases and kinds come from the catalog (protocol/control-catalog.ts);
 * the ControlPanel binds a request's arguments and turns what a handler returns or throws into the reply.
 */

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
export const BUILTIN_COMMANDS: { readonly [M in ControlMethod]: ControlCommandHandler } = {
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
    t.clock.setImmediate(() => void t.cancelConsumer(queue).catch((err: Error) => t.logger.error(`cancel_consumer ${queue} failed: ${err.message}`)));
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
    serializer: task.options.serializer ?? 'json',
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
