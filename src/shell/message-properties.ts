import { AMQP_PROPERTY_NAMES, type MessageProperties } from '../protocol/amqp-message.js';

/**
 * AMQP basic properties under their AMQP/kombu names (`content_type`, `delivery_mode`, ...): what `basic.get`
 * shows, what `basic.publish` takes as `name=value`, and what `--json` prints.
 */
export interface PropertiesView {
  content_type?: string;
  content_encoding?: string;
  headers?: Record<string, unknown>;
  delivery_mode?: number;
  priority?: number;
  correlation_id?: string;
  reply_to?: string;
  expiration?: string;
  message_id?: string;
  timestamp?: number;
  type?: string;
  user_id?: string;
  app_id?: string;
}

/** AMQP name → the client library's camelCase name. */
const WIRE_NAMES = AMQP_PROPERTY_NAMES satisfies Record<keyof PropertiesView, keyof MessageProperties>;

type ViewName = keyof typeof WIRE_NAMES;
const VIEW_NAMES = Object.keys(WIRE_NAMES) as ViewName[];

export function toWireProperties(view: PropertiesView): MessageProperties {
  const wire: Record<string, unknown> = {};
  for (const name of VIEW_NAMES) {
    if (view[name] !== undefined) wire[WIRE_NAMES[name]] = view[name];
  }
  return wire;
}

/** The properties a received message carries, leaving out the absent ones (the client fills them with undefined). */
export function fromWireProperties(wire: Readonly<Record<string, unknown>>): PropertiesView {
  const view: Record<string, unknown> = {};
  for (const name of VIEW_NAMES) {
    const value = wire[WIRE_NAMES[name]];
    if (value === undefined || value === null) continue;
    view[name] = name === 'headers' ? plainHeaders(value as Record<string, unknown>) : value;
  }
  return view;
}

/** Header values as plain data: byte arrays become text, nested tables and arrays are walked. */
function plainHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers)) out[key] = plainValue(value);
  return out;
}

function plainValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plainValue);
  if (value !== null && typeof value === 'object') return plainHeaders(value as Record<string, unknown>);
  return value;
}
