import { MAX_DATE_MS, MIN_DATE_MS, parseIsoDate } from './iso-date.js';
import { plainText } from './plain-text.js';
import { isObject } from './is-object.js';

/**
 * Validation of the `embed` of a task message (callbacks, errbacks, chain, chord: docs/protocol.md, Task messages)
 * before the task runs. A signature the worker would have to send on after the task (a `null` in `callbacks`, an ETA
 * that is not a date, a chain step without a task name) is found here, on receipt, so the message is refused with one
 * line and never half-runs: the handler would otherwise run, and the worker fail while applying the callback.
 */

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

export type EmbedCheck = { readonly ok: true; readonly embed: TaskEmbed } | { readonly ok: false; readonly problem: string };

const EMPTY_EMBED: TaskEmbed = { callbacks: null, errbacks: null, chain: null, chord: null };

const absent = (value: unknown) => value === undefined || value === null;

/** Options whose value must be a string when present. */
const STRING_OPTIONS = ['task_id', 'exchange', 'routing_key', 'shadow', 'group_id', 'reply_to'] as const;
/** Options whose value must be a non-negative finite number when present (seconds, or a priority). */
const NUMBER_OPTIONS = ['time_limit', 'soft_time_limit', 'priority', 'group_index'] as const;
/** A countdown or relative expiry in seconds may not reach past Python's last date. */
const MAX_SECONDS = (MAX_DATE_MS - Date.UTC(2000, 0, 1)) / 1000;

function checkDate(where: string, key: string, value: unknown): string | undefined {
  if (typeof value !== 'string') return `${where} option ${key} is ${describeValue(value)}, not an ISO 8601 date`;
  const ms = parseIsoDate(value);
  if (ms === undefined || ms < MIN_DATE_MS || ms > MAX_DATE_MS) return `${where} option ${key} '${value.slice(0, 64)}' is not a valid ISO 8601 date`;
  return undefined;
}

function checkOptions(where: string, options: Record<string, unknown>, depthLeft: number): string | undefined {
  for (const key of STRING_OPTIONS) {
    if (!absent(options[key]) && typeof options[key] !== 'string') return `${where} option ${key} is ${describeValue(options[key])}, not a string`;
  }
  for (const key of NUMBER_OPTIONS) {
    const v = options[key];
    if (absent(v)) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_SECONDS)
      return `${where} option ${key} is ${describeValue(v)}, not a number of seconds (or a priority) ≥ 0`;
  }
  const countdown = options['countdown'];
  if (!absent(countdown) && (typeof countdown !== 'number' || !Number.isFinite(countdown) || Math.abs(countdown) > MAX_SECONDS)) {
    return `${where} option countdown is ${describeValue(countdown)}, not a number of seconds`;
  }
  if (!absent(options['eta'])) {
    const problem = checkDate(where, 'eta', options['eta']);
    if (problem) return problem;
  }
  const expires = options['expires'];
  if (!absent(expires)) {
    if (typeof expires === 'number') {
      if (!Number.isFinite(expires) || expires < 0 || expires > MAX_SECONDS)
        return `${where} option expires is ${describeValue(expires)}, not a number of seconds ≥ 0`;
    } else {
      const problem = checkDate(where, 'expires', expires);
      if (problem) return problem;
    }
  }
  const queue = options['queue'];
  if (!absent(queue) && typeof queue !== 'string' && !(isObject(queue) && typeof queue['name'] === 'string')) {
    return `${where} option queue is ${describeValue(queue)}, not a queue name`;
  }
  if (!absent(options['headers']) && !isObject(options['headers']))
    return `${where} option headers is ${describeValue(options['headers'])}, not a dict`;
  for (const key of ['link', 'link_error'] as const) {
    const v = options[key];
    if (absent(v)) continue;
    const problem = checkSignatures(`${where} option ${key}`, Array.isArray(v) ? v : [v], depthLeft - 1);
    if (problem) return problem;
  }
  return undefined;
}

/** One signature dict as Celery serializes it (`{'task': …, 'args': […], 'kwargs': {…}, 'options': {…}, …}`). */
function checkSignature(where: string, sig: unknown, depthLeft: number): string | undefined {
  if (depthLeft <= 0) return `${where} nests signatures too deeply`;
  if (!isObject(sig)) return `${where} is ${describeValue(sig)}, not a signature dict`;
  if (typeof sig['task'] !== 'string' || sig['task'] === '') return `${where} has no task name`;
  const name = `${where} (${sig['task'].slice(0, 64)})`;
  if (!absent(sig['args']) && !Array.isArray(sig['args'])) return `${name} has args that are not a list`;
  if (!absent(sig['kwargs']) && !isObject(sig['kwargs'])) return `${name} has kwargs that are not a dict`;
  if (!absent(sig['options']) && !isObject(sig['options'])) return `${name} has options that are not a dict`;
  if (!absent(sig['subtask_type']) && typeof sig['subtask_type'] !== 'string') return `${name} has a subtask_type that is not a string`;
  if (!absent(sig['immutable']) && typeof sig['immutable'] !== 'boolean') return `${name} has an immutable flag that is not a boolean`;
  const options = isObject(sig['options']) ? sig['options'] : {};
  const problem = checkOptions(name, options, depthLeft);
  if (problem) return problem;
  const type = sig['subtask_type'];
  if (type === 'chain' || type === 'group') {
    const tasks = isObject(sig['kwargs']) ? sig['kwargs']['tasks'] : undefined;
    if (!Array.isArray(tasks)) return `${name} is a ${type} without a list of tasks in kwargs.tasks`;
    return checkSignatures(`${name} ${type} step`, tasks, depthLeft - 1);
  }
  return undefined;
}

function checkSignatures(where: string, list: readonly unknown[], depthLeft: number): string | undefined {
  for (let i = 0; i < list.length; i++) {
    const problem = checkSignature(`${where} ${i}`, list[i], depthLeft);
    if (problem) return problem;
  }
  return undefined;
}

/** How deeply signatures may nest in one another (a chain of groups of chains…); the message depth bounds it anyway. */
const MAX_SIGNATURE_NESTING = 64;

/**
 * Read and validate a v2 embed (`{}` and a missing embed are fine). `callbacks`, `errbacks` and `chain` must be
 * null or lists of signature dicts, `chord` null or a signature dict; every signature's options must be of the
 * types Celery writes (dates that are dates, numbers that are numbers ≥ 0).
 */
export function checkEmbed(value: unknown): EmbedCheck {
  if (absent(value)) return { ok: true, embed: EMPTY_EMBED };
  if (!isObject(value)) return { ok: false, problem: `the embed (third item of the body) is ${describeValue(value)}, not a dict` };
  const embed: { -readonly [K in keyof TaskEmbed]: TaskEmbed[K] } = { ...EMPTY_EMBED };
  for (const key of ['callbacks', 'errbacks', 'chain'] as const) {
    const v = value[key];
    if (absent(v)) continue;
    if (!Array.isArray(v)) return { ok: false, problem: `embed ${key} is ${describeValue(v)}, not a list of signatures` };
    const problem = checkSignatures(key === 'chain' ? 'chain step' : key.slice(0, -1), v, MAX_SIGNATURE_NESTING);
    if (problem) return { ok: false, problem };
    embed[key] = v as Signature[];
  }
  const chord = value['chord'];
  if (!absent(chord)) {
    if (!isObject(chord)) return { ok: false, problem: `embed chord is ${describeValue(chord)}, not a signature dict` };
    embed.chord = chord as unknown as Signature;
  }
  return { ok: true, embed };
}

/** A short description of a wrong value for a refusal line: its JSON, cut short. */
export function describeValue(value: unknown, max = 64): string {
  if (value === undefined) return 'missing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? plainText(value);
  } catch {
    text = plainText(value);
  }
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
