/**
 * The shape of an AMQP message as the protocol layer sees it, independent of the client library. amqplib's
 * `ConsumeMessage`/`GetMessage` satisfy `IncomingMessage` structurally; an `OutgoingMessage` maps one-to-one onto
 * `channel.publish(exchange, routingKey, content, properties)`.
 */

/** Header table values as amqplib encodes them: null → void (V), arrays → A, objects → F. */
export type HeaderValue = string | number | boolean | null | readonly HeaderValue[] | { readonly [key: string]: HeaderValue };
export type HeaderTable = Record<string, HeaderValue | undefined>;

/** Basic properties, in amqplib's camelCase names. */
export interface MessageProperties {
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
  headers?: HeaderTable | undefined;
  /** 1 transient, 2 persistent. */
  deliveryMode?: number | undefined;
  priority?: number | undefined;
  correlationId?: string | undefined;
  replyTo?: string | undefined;
  /** Per-message TTL in milliseconds, as a decimal string. */
  expiration?: string | undefined;
  messageId?: string | undefined;
  timestamp?: number | undefined;
  type?: string | undefined;
  userId?: string | undefined;
  appId?: string | undefined;
}

/**
 * RabbitMQ's largest per-message TTL: 3650 days in ms (`rabbit_misc:check_expiry`; above it a publish gets
 * `406 PRECONDITION_FAILED - invalid expiration '…': {value_too_large,…}`, checked on 3.10).
 */
export const MAX_EXPIRATION_MS = 315_360_000_000;

/** Why an `expiration` property would close the channel, or undefined when RabbitMQ takes it. */
export function invalidExpiration(expiration: unknown): string | undefined {
  if (expiration === undefined || expiration === null) return undefined;
  if (typeof expiration !== 'string' || !/^\d+$/.test(expiration))
    return `expiration ${JSON.stringify(expiration)} is not a whole number of milliseconds`;
  if (Number(expiration) > MAX_EXPIRATION_MS) return `expiration ${expiration} ms is above RabbitMQ's maximum (${MAX_EXPIRATION_MS} ms, 10 years)`;
  return undefined;
}

export interface DeliveryFields {
  exchange: string;
  routingKey: string;
  redelivered: boolean;
  deliveryTag: number;
  consumerTag?: string | undefined;
  messageCount?: number | undefined;
}

export interface IncomingMessage {
  readonly content: Buffer;
  readonly properties: Readonly<Omit<MessageProperties, 'headers'>> & { readonly headers?: Readonly<Record<string, unknown>> | undefined };
  readonly fields: Readonly<DeliveryFields>;
}

export interface OutgoingMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly properties: MessageProperties;
}

/** AMQP's property names (kombu's, RabbitMQ's trace headers') → the client library's camelCase names. */
export const AMQP_PROPERTY_NAMES = {
  content_type: 'contentType',
  content_encoding: 'contentEncoding',
  headers: 'headers',
  delivery_mode: 'deliveryMode',
  priority: 'priority',
  correlation_id: 'correlationId',
  reply_to: 'replyTo',
  expiration: 'expiration',
  message_id: 'messageId',
  timestamp: 'timestamp',
  type: 'type',
  user_id: 'userId',
  app_id: 'appId',
} as const satisfies Record<string, keyof MessageProperties>;

export const JSON_CONTENT_TYPE = 'application/json';
export const PICKLE_CONTENT_TYPE = 'application/x-python-serialize';

/** JSON body bytes with the properties kombu sets for the JSON serializer. */
export function jsonProperties(extra: MessageProperties = {}): MessageProperties {
  return { contentType: JSON_CONTENT_TYPE, contentEncoding: 'utf-8', priority: 0, ...extra };
}

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
