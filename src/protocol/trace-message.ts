/**
 * RabbitMQ's firehose (`amq.rabbitmq.trace`, switched on per vhost with `rabbitmqctl trace_on -p VHOST`; docs/tap.md):
 * for every message published in the vhost the broker publishes a copy to this topic exchange, routed
 * `publish.<exchange>` (`publish.` for the default exchange), with the original body and, as its only property,
 * a header table describing the original publish:
 *
 *     exchange_name  longstr   the exchange it was published to ('' for the default exchange)
 *     routing_keys   array     its routing key (and CC/BCC keys)
 *     properties     table     its properties, AMQP's names: content_type, content_encoding, headers, delivery_mode,
 *                              priority, correlation_id, reply_to, expiration, message_id, timestamp, type, user_id, app_id
 *     node, vhost, connection, channel, user, routed_queues
 *
 * Deliveries are traced too (`deliver.<queue>`); a tap binds `publish.#` only. Pure: decode one trace message into
 * the publish it describes and, when that publish is a Celery task message, into a TappedTaskBody.
 */
import { AMQP_PROPERTY_NAMES, type IncomingMessage, type MessageProperties } from './amqp-message.js';
import { isObject } from './is-object.js';

export const TRACE_EXCHANGE = 'amq.rabbitmq.trace';
/** The binding key of a tap: every publish, none of the deliveries. */
export const TRACE_PUBLISH_BINDING = 'publish.#';

/** The publish a trace message describes. */
export interface TracedPublish {
  /** The exchange the original was published to ('' for the default exchange). */
  readonly exchange: string;
  /** Its routing key (the first of `routing_keys`). */
  readonly routingKey: string;
  /** Its properties, with amqplib's (camelCase) names. */
  readonly properties: MessageProperties;
  /** The original body, byte for byte. */
  readonly body: Buffer;
  /** The queues the broker routed it to (RabbitMQ's `routed_queues`). */
  readonly routedQueues: readonly string[];
  readonly node: string | null;
  readonly vhost: string | null;
  readonly user: string | null;
}

/** A Celery task message as it was published: what a retry needs to send it again exactly. */
export interface TappedTaskBody {
  readonly taskId: string;
  readonly name: string;
  readonly protocol: 1 | 2;
  readonly contentType: string;
  readonly contentEncoding: string | null;
  /** The original body, byte for byte (compressed if it was). */
  readonly body: Buffer;
  /** The task headers (protocol 2), `{}` for protocol 1. */
  readonly headers: Readonly<Record<string, unknown>>;
  readonly properties: MessageProperties;
  readonly exchange: string;
  readonly routingKey: string;
}

export type TraceDecodeResult = { readonly ok: true; readonly publish: TracedPublish } | { readonly ok: false; readonly reason: string };

export type TappedTaskResult =
  { readonly ok: true; readonly task: TappedTaskBody } | { readonly ok: false; readonly reason: string; readonly publish?: TracedPublish };

/** AMQP's property names in a trace's `properties` table → amqplib's names. */
const PROPERTY_NAMES: Readonly<Record<string, keyof MessageProperties>> = AMQP_PROPERTY_NAMES;

/** amqplib's property names → AMQP's, for writing a trace's `properties` table (the embedded broker's firehose). */
export function traceProperties(properties: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [wire, name] of Object.entries(PROPERTY_NAMES)) {
    const value = properties[name];
    if (value !== undefined && value !== null) out[wire] = value;
  }
  return out;
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : null);

/** Decode a message consumed from `amq.rabbitmq.trace` into the publish it describes. */
export function decodeTraceMessage(msg: IncomingMessage): TraceDecodeResult {
  const key = msg.fields.routingKey;
  if (!key.startsWith('publish.')) return { ok: false, reason: `not a publish trace (routing key '${key}')` };
  const headers = msg.properties.headers;
  if (!isObject(headers)) return { ok: false, reason: 'a trace message without headers' };
  const exchange = str(headers['exchange_name']) ?? key.slice('publish.'.length);
  const keys = Array.isArray(headers['routing_keys']) ? headers['routing_keys'].map(str).filter((k): k is string => k !== null) : [];
  const table = isObject(headers['properties']) ? headers['properties'] : {};
  const properties: Record<string, unknown> = {};
  for (const [wire, value] of Object.entries(table)) {
    const name = PROPERTY_NAMES[wire];
    if (name !== undefined && value !== undefined && value !== null) properties[name] = value;
  }
  const routed = Array.isArray(headers['routed_queues']) ? headers['routed_queues'].map(str).filter((q): q is string => q !== null) : [];
  return {
    ok: true,
    publish: {
      exchange,
      routingKey: keys[0] ?? '',
      properties: properties,
      body: msg.content,
      routedQueues: routed,
      node: str(headers['node']),
      vhost: str(headers['vhost']),
      user: str(headers['user']),
    },
  };
}

/**
 * The Celery task a traced publish carries: protocol 2 names it in its `id`/`task` headers; protocol 1 in a JSON
 * body `{"task", "id", ...}`. Anything else (events, results, control messages) is not a task.
 */
export function tappedTaskOf(publish: TracedPublish): TappedTaskResult {
  const headers = isObject(publish.properties.headers) ? (publish.properties.headers as Record<string, unknown>) : {};
  const contentType = publish.properties.contentType ?? '';
  const common = {
    contentType,
    contentEncoding: publish.properties.contentEncoding ?? null,
    body: publish.body,
    properties: publish.properties,
    exchange: publish.exchange,
    routingKey: publish.routingKey,
  };
  const id = str(headers['id']);
  const name = str(headers['task']);
  if (id !== null && name !== null && id !== '' && name !== '') {
    return { ok: true, task: { taskId: id, name, protocol: 2, headers, ...common } };
  }
  if (contentType === 'application/json' && headers['compression'] === undefined && publish.body.length > 0 && publish.body[0] === 0x7b) {
    try {
      const body: unknown = JSON.parse(publish.body.toString('utf8'));
      if (isObject(body) && typeof body['task'] === 'string' && typeof body['id'] === 'string' && body['id'] !== '') {
        return { ok: true, task: { taskId: body['id'], name: body['task'], protocol: 1, headers: {}, ...common } };
      }
    } catch {
      // Not JSON after all: not a task.
    }
  }
  return { ok: false, reason: 'not a Celery task message', publish };
}

/** Decode a trace message straight into the task it carries (or why not). */
export function decodeTappedTask(msg: IncomingMessage): TappedTaskResult {
  const traced = decodeTraceMessage(msg);
  return traced.ok ? tappedTaskOf(traced.publish) : { ok: false, reason: traced.reason };
}
