/**
 * Python `repr()` of JSON values, for the places Celery puts repr strings on the wire: `argsrepr`/`kwargsrepr`
 * headers, and the `args`, `kwargs`, `result` and `exception` fields of events (docs/protocol.md, Interoperability
 * traps).
 */
import { plainText } from './plain-text.js';

/** Python's repr of a str: single quotes unless the text has a `'` and no `"`; escapes as Python prints them. */
export function pyStrRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else if (code >= 0x80 && code < 0xa0) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

function pyNumberRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  // JavaScript prints 1e+21 and 1e-7 where Python prints 1e+21 and 1e-07: the exponent has two digits at least.
  return String(n).replace(/e([+-])(\d)$/, 'e$10$2');
}

/**
 * How deep `pyRepr` goes before it writes `[...]` / `{...}` for a nested list or dict, as Python's reprlib (and
 * Celery's saferepr) do: a repr is for reading, and user data nested thousands deep would otherwise overflow the
 * stack (a task returning such a value crashed the worker). 100 keeps every realistic value whole.
 */
export const REPR_MAX_LEVELS = 100;

/** Python's repr of a JSON value (lists for arrays, dicts for objects, None/True/False), nested at most `maxLevels` deep. */
export function pyRepr(value: unknown, maxLevels = REPR_MAX_LEVELS): string {
  return reprAt(value, maxLevels);
}

function reprAt(value: unknown, levelsLeft: number): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyNumberRepr(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return pyStrRepr(value);
  if (Array.isArray(value)) {
    if (levelsLeft <= 0) return value.length === 0 ? '[]' : '[...]';
    return `[${value.map((v) => reprAt(v, levelsLeft - 1)).join(', ')}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (levelsLeft <= 0) return entries.length === 0 ? '{}' : '{...}';
    return `{${entries.map(([k, v]) => `${pyStrRepr(k)}: ${reprAt(v, levelsLeft - 1)}`).join(', ')}}`;
  }
  return pyStrRepr(plainText(value));
}

/** Python's repr of an args tuple: `(2, 2)`, `(1,)`, `()`. */
export function pyTupleRepr(items: readonly unknown[]): string {
  if (items.length === 1) return `(${pyRepr(items[0], REPR_MAX_LEVELS - 1)},)`;
  return `(${items.map((item) => pyRepr(item, REPR_MAX_LEVELS - 1)).join(', ')})`;
}

/** `saferepr` truncation as Celery applies it (1024 characters for results and argsrepr). */
export function truncateRepr(text: string, max = 1024): string {
  return text.length <= max ? text : text.slice(0, max - 3) + '...';
}

/** The repr of an exception as Celery puts it in events: `TypeError('can only concatenate str')`. */
export function pyExceptionRepr(name: string, message: string | undefined): string {
  return message === undefined || message === '' ? `${name}()` : `${name}(${pyStrRepr(message)})`;
}

/** The exception type of a repr like `NotRegistered('tasks.nope')` or `ValueError()`; undefined if not one. */
export function exceptionTypeOf(repr: string): string | undefined {
  const m = /^([A-Za-z_][\w.]*)\(/.exec(repr.trim());
  return m?.[1];
}

/** An event field that should be a repr string but may be a JSON value from a non-Python sender. */
export function asReprString(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}
