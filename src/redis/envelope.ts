import type { MessageProperties } from '../protocol/amqp-message.js';
import type { Delivery } from '../transport/transport-channel.js';

/**
 * kombu's message envelope on Redis (virtual `prepare_message` + `_inplace_augment_message`): one JSON document per
 * list element or pub/sub payload, the body in base64, AMQP's properties under their snake_case names, and a UUID
 * delivery tag (docs/redis-protocol.md, "The message envelope").
 */
export interface Envelope {
  body: string;
  'content-encoding'?: string | null;
  'content-type'?: string | null;
  headers: Record<string, unknown>;
  properties: EnvelopeProperties;
}

export interface EnvelopeProperties {
  correlation_id?: string;
  reply_to?: string;
  delivery_mode?: number;
  delivery_info: { exchange: string; routing_key: string; redelivered?: boolean };
  priority: number;
  body_encoding?: string | null;
  delivery_tag: string;
  expiration?: string;
  message_id?: string;
  timestamp?: number;
  type?: string;
  user_id?: string;
  app_id?: string;
}

/** The camelCase property names the protocol layer uses, and kombu's names for them. */
const PROPERTY_NAMES = [
  ['correlationId', 'correlation_id'],
  ['replyTo', 'reply_to'],
  ['deliveryMode', 'delivery_mode'],
  ['expiration', 'expiration'],
  ['messageId', 'message_id'],
  ['timestamp', 'timestamp'],
  ['type', 'type'],
  ['userId', 'user_id'],
  ['appId', 'app_id'],
] as const;

/** Build the envelope kombu would write for a publish of `content` with these properties. */
export function encodeEnvelope(
  content: Buffer,
  properties: MessageProperties,
  target: { readonly exchange: string; readonly routingKey: string; readonly deliveryTag: string },
): Envelope {
  const props: Record<string, unknown> = {};
  for (const [ours, theirs] of PROPERTY_NAMES) {
    const value = properties[ours];
    if (value !== undefined) props[theirs] = value;
  }
  props['delivery_info'] = { exchange: target.exchange, routing_key: target.routingKey };
  props['priority'] = properties.priority ?? 0;
  props['body_encoding'] = 'base64';
  props['delivery_tag'] = target.deliveryTag;
  return {
    body: content.toString('base64'),
    'content-encoding': properties.contentEncoding ?? null,
    'content-type': properties.contentType ?? null,
    headers: { ...(properties.headers ?? {}) },
    properties: props as unknown as EnvelopeProperties,
  };
}

/** Why a stored document is not a kombu envelope, or undefined when it is one. */
function envelopeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const v = value as Record<string, unknown>;
  const props = v['properties'];
  if (typeof props !== 'object' || props === null || Array.isArray(props)) return 'no properties object';
  if (v['body'] !== undefined && v['body'] !== null && typeof v['body'] !== 'string') return 'body is not a string';
  return undefined;
}

/** Parse a stored document; an Error (with a one-line reason) when it is not JSON or not an envelope. */
export function parseEnvelope(text: string): Envelope | Error {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return new Error(`not JSON (${(err as Error).message})`);
  }
  const problem = envelopeProblem(value);
  if (problem !== undefined) return new Error(problem);
  const env = value as Envelope;
  if (typeof env.headers !== 'object' || env.headers === null || Array.isArray(env.headers)) env.headers = {};
  const props = env.properties as unknown as Record<string, unknown>;
  const info = props['delivery_info'];
  if (typeof info !== 'object' || info === null || Array.isArray(info)) props['delivery_info'] = { exchange: '', routing_key: '' };
  return env;
}

/** The body bytes: base64-decoded when `body_encoding` says so (kombu's default on Redis), else the text as UTF-8. */
export function envelopeBody(env: Envelope): Buffer {
  const body = typeof env.body === 'string' ? env.body : '';
  return env.properties.body_encoding === 'base64' ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

/** The delivery the engines see: the protocol layer's shape, with a channel's own numeric delivery tag. */
export function envelopeToDelivery(env: Envelope, fields: { readonly deliveryTag: number; readonly consumerTag?: string | undefined }): Delivery {
  const p = env.properties as unknown as Record<string, unknown>;
  const properties: Record<string, unknown> = {};
  for (const [ours, theirs] of PROPERTY_NAMES) {
    const value = p[theirs];
    if (value !== undefined && value !== null) properties[ours] = value;
  }
  if (typeof p['priority'] === 'number') properties['priority'] = p['priority'];
  if (typeof env['content-type'] === 'string') properties['contentType'] = env['content-type'];
  if (typeof env['content-encoding'] === 'string') properties['contentEncoding'] = env['content-encoding'];
  properties['headers'] = env.headers;
  const info = env.properties.delivery_info;
  return {
    content: envelopeBody(env),
    properties: properties,
    fields: {
      exchange: typeof info.exchange === 'string' ? info.exchange : '',
      routingKey: typeof info.routing_key === 'string' ? info.routing_key : '',
      redelivered: info.redelivered === true,
      deliveryTag: fields.deliveryTag,
      consumerTag: fields.consumerTag,
    },
  };
}

/** kombu's `_do_restore_message`: a restored message says it was redelivered, in its headers and delivery_info. */
export function markRedelivered(env: Envelope): Envelope {
  return {
    ...env,
    headers: { ...env.headers, redelivered: true },
    properties: { ...env.properties, delivery_info: { ...env.properties.delivery_info, redelivered: true } },
  };
}
