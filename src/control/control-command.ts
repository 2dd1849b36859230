import { constants as osConstants } from 'node:os';
import { EXCHANGE_TYPES, type ControlMethod, type ControlReplies } from '../protocol/control-catalog.js';
import type { ErrorReply } from '../protocol/control-replies.js';
import { shortstrProblem } from '../protocol/shortstr.js';
import { parseRate } from '../protocol/rate.js';
import { UsageError } from '../errors/index.js';

/**
 * A remote-control command ready to send: Celery's method name and its keyword arguments, with the wire names
 * of docs/protocol.md, Remote control. The builders below validate their input and throw a UsageError, so a caller (the
 * CLI, the TUI) finds out about a malformed rate or a missing task id before anything is sent.
 */
export interface ControlCommand<M extends string = string> {
  readonly method: M;
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** The reply value a command gets from one worker: its documented shape, or `{"error": ...}`. */
export type ReplyOf<M extends string> = (M extends keyof ControlReplies ? ControlReplies[M] : unknown) | ErrorReply;

/**
 * `rate_limit`: `rate` is `N` (per second), `N/s`, `N/m` or `N/h`; `0` (or an empty string) removes the limit,
 * which goes on the wire as `null` so the worker answers "rate limit disabled successfully".
 */
export function rateLimitCommand(taskName: string, rate: string | number): ControlCommand<'rate_limit'> {
  const task = requireText(taskName, 'task name', 'e.g. rate-limit tasks.add 10/s');
  const parsed = parseRate(rate);
  if (!parsed.ok) throw new UsageError(parsed.error, 'usage.bad-rate');
  const wire = parsed.perSecond === 0 ? null : typeof rate === 'number' ? rate : rate.trim();
  return { method: 'rate_limit', arguments: { task_name: task, rate_limit: wire } };
}

export interface RevokeOptions {
  /** Also kill the task if it is running. @defaultValue false */
  readonly terminate?: boolean;
  /** The signal for `terminate`: a name (`SIGKILL`, `KILL`) or a number. @defaultValue 'SIGTERM' */
  readonly signal?: string | number;
}

/** `revoke`: one id goes on the wire as a string (as `app.control.revoke` sends it), several as an array. */
export function revokeCommand(taskIds: string | readonly string[], options: RevokeOptions = {}): ControlCommand<'revoke'> {
  const ids = requireTaskIds(taskIds);
  return {
    method: 'revoke',
    arguments: {
      task_id: ids.length === 1 ? ids[0] : ids,
      terminate: options.terminate ?? false,
      signal: normalizeSignal(options.signal ?? 'SIGTERM'),
    },
  };
}

/** `terminate`: revoke and kill running tasks with `signal` (Celery's `control terminate <signal> <id>...`). */
export function terminateCommand(signal: string | number, taskIds: string | readonly string[]): ControlCommand<'terminate'> {
  return { method: 'terminate', arguments: { signal: normalizeSignal(signal), task_id: requireTaskIds(taskIds) } };
}

/** `time_limit`: soft and hard limits in seconds; `null` leaves that limit unset. */
export function timeLimitCommand(taskName: string, soft: number | null, hard: number | null = null): ControlCommand<'time_limit'> {
  const task = requireText(taskName, 'task name', 'e.g. time-limit tasks.sleep 10 20');
  for (const [label, value] of [
    ['soft', soft],
    ['hard', hard],
  ] as const) {
    if (value !== null && !(Number.isFinite(value) && value >= 0)) {
      throw new UsageError(`invalid ${label} time limit '${value}': expected seconds as a number >= 0`);
    }
  }
  if (soft !== null && hard !== null && hard < soft) {
    throw new UsageError(`the hard time limit (${hard}) is shorter than the soft one (${soft}); give soft first, then hard`);
  }
  return { method: 'time_limit', arguments: { task_name: task, soft, hard } };
}

export { EXCHANGE_TYPES };

export interface AddConsumerOptions {
  /** @defaultValue the queue's name (the worker decides) */
  readonly exchange?: string | undefined;
  /** @defaultValue 'direct' */
  readonly exchangeType?: string | undefined;
  /** @defaultValue the queue's name (the worker decides) */
  readonly routingKey?: string | undefined;
}

/** `add_consumer`: start consuming from `queue`, declared with the given exchange and binding. */
export function addConsumerCommand(queue: string, options: AddConsumerOptions = {}): ControlCommand<'add_consumer'> {
  const name = requireShortstr(requireText(queue, 'queue name', 'e.g. add-consumer images'), 'the queue name');
  if (options.exchange !== undefined) requireShortstr(options.exchange, 'the exchange name');
  if (options.routingKey !== undefined) requireShortstr(options.routingKey, 'the routing key');
  const type = options.exchangeType ?? 'direct';
  if (!(EXCHANGE_TYPES as readonly string[]).includes(type)) {
    throw new UsageError(`invalid exchange type '${type}': use one of ${EXCHANGE_TYPES.join(', ')}`);
  }
  return {
    method: 'add_consumer',
    arguments: { queue: name, exchange: options.exchange ?? null, exchange_type: type, routing_key: options.routingKey ?? null },
  };
}

export function cancelConsumerCommand(queue: string): ControlCommand<'cancel_consumer'> {
  return {
    method: 'cancel_consumer',
    arguments: { queue: requireShortstr(requireText(queue, 'queue name', 'e.g. cancel-consumer images'), 'the queue name') },
  };
}

export function poolGrowCommand(n = 1): ControlCommand<'pool_grow'> {
  return { method: 'pool_grow', arguments: { n: requireCount(n, 'pool-grow', 1) } };
}

export function poolShrinkCommand(n = 1): ControlCommand<'pool_shrink'> {
  return { method: 'pool_shrink', arguments: { n: requireCount(n, 'pool-shrink', 1) } };
}

export function autoscaleCommand(max: number, min: number): ControlCommand<'autoscale'> {
  requireCount(max, 'autoscale max', 0);
  requireCount(min, 'autoscale min', 0);
  if (min > max) throw new UsageError(`autoscale min (${min}) is larger than max (${max}); give max first: autoscale <max> <min>`);
  return { method: 'autoscale', arguments: { max, min } };
}

/**
 * The checked builder of each catalog command that takes arguments from a user, by wire name: the CLI calls it
 * with the command's CLI parameters in their order, then (when the command has options) its options object. The
 * checks differ too much from one command to the next to be data in the catalog; the type keeps this map in step
 * with it. Commands without arguments need none (`plainCommand`).
 */
export const COMMAND_BUILDERS = {
  rate_limit: rateLimitCommand,
  revoke: revokeCommand,
  terminate: terminateCommand,
  time_limit: timeLimitCommand,
  add_consumer: addConsumerCommand,
  cancel_consumer: cancelConsumerCommand,
  pool_grow: poolGrowCommand,
  pool_shrink: poolShrinkCommand,
  autoscale: autoscaleCommand,
} as const satisfies { readonly [M in ControlMethod]?: (...args: never[]) => ControlCommand<M> };

/** A catalog command that takes no arguments (`ping`, `heartbeat`, `shutdown`, ...). */
export function plainCommand<M extends ControlMethod>(method: M): ControlCommand<M> {
  return { method, arguments: {} };
}

/** Any command by its wire name, for commands camq has no helper for (custom ones registered on workers). */
export function customCommand(method: string, args: Readonly<Record<string, unknown>> = {}): ControlCommand {
  const name = requireText(method, 'method name', 'e.g. call ping');
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new UsageError(`the arguments of '${name}' must be a JSON object of keyword arguments, e.g. {"n": 2}`);
  }
  return { method: name, arguments: { ...args } };
}

/**
 * A signal as Celery's `signum()` accepts it: a number, or an upper-case name with or without `SIG`. Returns the
 * `SIGNAME` form (what `app.control.revoke` sends) or the number.
 */
export function normalizeSignal(signal: string | number): string | number {
  const text = String(signal).trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 64) return n;
  } else {
    const upper = text.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    if (name in osConstants.signals) return name;
  }
  throw new UsageError(`unknown signal '${text}': use a name such as SIGTERM, SIGKILL or SIGINT, or a number`, 'usage.bad-signal');
}

function requireTaskIds(taskIds: string | readonly string[]): string[] {
  const ids = (typeof taskIds === 'string' ? [taskIds] : [...taskIds]).map((id) => id.trim());
  if (ids.length === 0 || ids.some((id) => id === '')) {
    throw new UsageError(
      'missing task id: give the id of at least one task (e.g. revoke 6fe6256c-0f45-4a46-b763-9ae3ec475b01)',
      'usage.missing-task-id',
    );
  }
  return ids;
}

function requireText(value: string, what: string, example: string): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '') throw new UsageError(`missing ${what} (${example})`);
  return text;
}

/** A name the workers will send as an AMQP shortstr: refused here, with nothing sent, when it cannot be. */
function requireShortstr(value: string, what: string): string {
  const problem = shortstrProblem(what, value);
  if (problem) throw new UsageError(`${problem}, so nothing was sent`);
  return value;
}

function requireCount(n: number, what: string, min: number): number {
  if (!Number.isInteger(n) || n < min) throw new UsageError(`invalid ${what} '${n}': expected a whole number >= ${min}`);
  return n;
}
