import type { Options } from 'amqplib';
import type { HeaderTable, MessageProperties } from '../protocol/amqp-message.js';

/**
 * Message properties as amqplib should encode them for Python peers: header integers tagged (see
 * `pythonSafeHeaders`). Every publish in camq goes through this (AmqpChannel.publish).
 * Returns the same object when there is nothing to tag, so the hot paths (results, events) allocate nothing.
 */
export function toWireProperties(properties: MessageProperties): Options.Publish {
  const { headers } = properties;
  if (!headers || !hasInteger(headers)) return properties;
  return { ...properties, headers: pythonSafeHeaders(headers) };
}

function hasInteger(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value);
  if (Array.isArray(value)) return value.some(hasInteger);
  if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && !Object.hasOwn(value, '!')) {
    for (const key in value) if (hasInteger((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/** amqplib's way to force a field-table type: `{'!': 'int', value: 300}`. */
interface TypedValue {
  readonly '!': 'int' | 'long' | 'double';
  readonly value: number;
}

/**
 * amqplib picks a field-table type from a JS integer's size: -128..127 → `b`, up to ±32767 → `s`, 32-bit → `I`,
 * else `l`. py-amqp (Python Celery) reads `s` as a *short string* and `b` as unsigned, so a header such as
 * `clock: 300` makes a Python worker misparse the whole table and stop with "Unrecoverable error:
 * UnicodeDecodeError". Tag every integer the way py-amqp writes them: `I` (signed 32-bit); above that `l`
 * (py-amqp reads it as unsigned 64-bit), and doubles for large negatives. Nested tables and arrays too.
 */
export function pythonSafeHeaders(headers: HeaderTable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers)) out[key] = pythonSafeValue(value);
  return out;
}

function pythonSafeValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? typedInteger(value) : value;
  if (Array.isArray(value)) return value.map(pythonSafeValue);
  if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && !Object.hasOwn(value, '!')) {
    return pythonSafeHeaders(value as HeaderTable);
  }
  return value;
}

function typedInteger(n: number): TypedValue {
  if (n >= -0x80000000 && n <= 0x7fffffff) return { '!': 'int', value: n };
  return n > 0 && Number.isSafeInteger(n) ? { '!': 'long', value: n } : { '!': 'double', value: n };
}
