/**
 * Declare arguments (`x-message-ttl`, `x-expires`, `alternate-exchange`, ...): reading them with their wire types,
 * validating the ones the broker enforces, and RabbitMQ's equivalence check on redeclare, with its texts.
 */
import { MAX_EXPIRATION_MS } from '../protocol/amqp-message.js';
import type { FieldTable } from './amqp-codec.js';
import { inequivalentArg, preconditionFailed } from './amqp-exception.js';
import { typeClass } from './field-types.js';
import { MAX_SUPPORTED_PRIORITY } from './ready-messages.js';

export interface TypedValue {
  readonly type: string;
  readonly value: unknown;
}

/** The arguments RabbitMQ 3.10 compares when a queue is redeclared (rabbit_amqqueue:declare_args/0). */
export const QUEUE_EQUIVALENCE_KEYS = [
  'x-expires',
  'x-message-ttl',
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-in-memory-length',
  'x-max-in-memory-bytes',
  'x-max-priority',
  'x-overflow',
  'x-queue-mode',
  'x-single-active-consumer',
  'x-queue-type',
  'x-quorum-initial-group-size',
  'x-max-age',
  'x-stream-max-segment-size-bytes',
  'x-initial-cluster-size',
  'x-queue-leader-locator',
] as const;

/**
 * What RabbitMQ 3.10 compares when a quorum queue is redeclared: the classic list and `x-delivery-limit` (a
 * redeclare without it on a queue that has one is refused, checked on 3.10).
 */
export const QUORUM_EQUIVALENCE_KEYS = [...QUEUE_EQUIVALENCE_KEYS, 'x-delivery-limit'] as const;

/** The keys compared on a redeclare of a queue with these arguments. */
export function equivalenceKeys(current: TypedArguments): readonly string[] {
  const type = current.get('x-queue-type');
  return type !== undefined && formatValue(type.value) === 'quorum' ? QUORUM_EQUIVALENCE_KEYS : QUEUE_EQUIVALENCE_KEYS;
}

/** The one argument RabbitMQ compares when an exchange is redeclared. */
export const EXCHANGE_EQUIVALENCE_KEYS = ['alternate-exchange'] as const;

/** The compared arguments of a declaration, each with its wire type. */
export type TypedArguments = ReadonlyMap<string, TypedValue>;

export function typedArguments(table: FieldTable, types: ReadonlyMap<string, string>, keys: readonly string[]): TypedArguments {
  const out = new Map<string, TypedValue>();
  for (const key of keys) {
    if (Object.hasOwn(table, key)) out.set(key, { type: types.get(key) ?? 'longstr', value: table[key] });
  }
  return out;
}

/** Throw RabbitMQ's 406 for the first compared argument that differs between the queue and the redeclaration. */
export function assertArgumentsEquivalent(current: TypedArguments, requested: TypedArguments, keys: readonly string[], resource: string): void {
  for (const key of keys) {
    const was = current.get(key);
    const now = requested.get(key);
    if (was === undefined && now === undefined) continue;
    // A queue declared without a type is classic: RabbitMQ 3.10 takes `x-queue-type: classic` on its redeclare, and
    // a redeclare without the argument on a queue declared classic (checked on 3.10).
    if (key === 'x-queue-type' && isClassicType(was) && isClassicType(now)) continue;
    if (was !== undefined && now !== undefined) {
      if (typeClass(was.type) === typeClass(now.type) && sameValue(was.value, now.value)) continue;
      throw inequivalentArg(key, resource, `'${formatValue(now.value)}'`, `'${formatValue(was.value)}'`);
    }
    throw inequivalentArg(key, resource, describeTyped(now), describeTyped(was));
  }
}

/** The two queue arguments the embedded broker enforces, validated as RabbitMQ validates them. */
export interface QueueLimits {
  /** `x-message-ttl` in ms. */
  readonly messageTtl: number | undefined;
  /** `x-expires` in ms. */
  readonly expires: number | undefined;
  /** `x-max-priority`: 0–255. */
  readonly maxPriority: number | undefined;
}

export function queueLimits(args: TypedArguments, resource: string): QueueLimits {
  const ttl = args.get('x-message-ttl');
  const expires = args.get('x-expires');
  if (ttl !== undefined) checkInteger('x-message-ttl', ttl, resource, false);
  if (expires !== undefined) checkInteger('x-expires', expires, resource, true);
  const priority = args.get('x-max-priority');
  if (priority !== undefined) checkInteger('x-max-priority', priority, resource, false, MAX_SUPPORTED_PRIORITY);
  return {
    messageTtl: ttl?.value as number | undefined,
    expires: expires?.value as number | undefined,
    maxPriority: priority?.value as number | undefined,
  };
}

function checkInteger(key: string, arg: TypedValue, resource: string, positive: boolean, max?: number): void {
  const invalid = (reason: string) => preconditionFailed(`invalid arg '${key}' for ${resource}: ${reason}`);
  if (typeClass(arg.type) !== 'int' || typeof arg.value !== 'number') throw invalid(`"expected integer, got ${arg.type}"`);
  if (arg.value < 0) throw invalid(`{value_negative,${arg.value}}`);
  if (positive && arg.value === 0) throw invalid('{value_zero,0}');
  if (max !== undefined) {
    if (arg.value > max) throw invalid(`{max_value_exceeded,${arg.value}}`);
    return;
  }
  // RabbitMQ checks both TTLs against the per-message maximum (rabbit_misc:check_expiry; checked on 3.10).
  if (arg.value > MAX_EXPIRATION_MS) throw invalid(`{value_too_large,${arg.value}}`);
}

function isClassicType(arg: TypedValue | undefined): boolean {
  return arg === undefined || formatValue(arg.value) === 'classic';
}

function describeTyped(arg: TypedValue | undefined): string {
  return arg === undefined ? 'none' : `the value '${formatValue(arg.value)}' of type '${arg.type}'`;
}

function formatValue(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** Equality of decoded field values: by type and value, tables and arrays deeply. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || typeof a !== 'object' || a === null || b === null) return false;
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b as object, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
