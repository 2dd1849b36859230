/**
 * The AMQP 0-9-1 wire codec of the embedded broker: amqplib's own generated definitions (lib/defs.js, lib/frame.js,
 * lib/codec.js), which encode and decode every method in both directions. They are amqplib internals, loaded at
 * the one boundary src/amqp/amqplib-internals.ts, whose test fails loudly if an amqplib upgrade moves them.
 *
 * On top of them this file adds what a server needs and amqplib has no reason to provide: typed method ids and
 * fields, and the content frames of a delivery built in one buffer.
 */
import { amqplibCodec, amqplibDefs, amqplibFrame, type AmqplibFrame } from '../amqp/amqplib-internals.js';

const defs = amqplibDefs();
const frame = amqplibFrame();
const codec = amqplibCodec();

/** An AMQP field table as amqplib decodes it. */
export type FieldTable = Record<string, unknown>;

export const FrameType = { method: 1, header: 2, body: 3, heartbeat: 8 } as const;
export const FRAME_END = 206;
/** Type (1) + channel (2) + size (4) before the payload, and the frame-end octet after it. */
export const FRAME_OVERHEAD = 8;
export const PROTOCOL_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');
export const HEARTBEAT_FRAME: Buffer = frame.HEARTBEAT_BUF;
export const BASIC_CLASS = 60;

/** Method ids (class id << 16 | method id), as amqplib's defs number them. */
export const Method = {
  ConnectionStart: 655370,
  ConnectionStartOk: 655371,
  ConnectionSecure: 655380,
  ConnectionSecureOk: 655381,
  ConnectionTune: 655390,
  ConnectionTuneOk: 655391,
  ConnectionOpen: 655400,
  ConnectionOpenOk: 655401,
  ConnectionClose: 655410,
  ConnectionCloseOk: 655411,
  ConnectionBlocked: 655420,
  ConnectionUnblocked: 655421,
  ConnectionUpdateSecret: 655430,
  ChannelOpen: 1310730,
  ChannelOpenOk: 1310731,
  ChannelFlow: 1310740,
  ChannelFlowOk: 1310741,
  ChannelClose: 1310760,
  ChannelCloseOk: 1310761,
  AccessRequest: 1966090,
  ExchangeDeclare: 2621450,
  ExchangeDeclareOk: 2621451,
  ExchangeDelete: 2621460,
  ExchangeDeleteOk: 2621461,
  ExchangeBind: 2621470,
  ExchangeUnbind: 2621480,
  QueueDeclare: 3276810,
  QueueDeclareOk: 3276811,
  QueueBind: 3276820,
  QueueBindOk: 3276821,
  QueuePurge: 3276830,
  QueuePurgeOk: 3276831,
  QueueDelete: 3276840,
  QueueDeleteOk: 3276841,
  QueueUnbind: 3276850,
  QueueUnbindOk: 3276851,
  BasicQos: 3932170,
  BasicQosOk: 3932171,
  BasicConsume: 3932180,
  BasicConsumeOk: 3932181,
  BasicCancel: 3932190,
  BasicCancelOk: 3932191,
  BasicPublish: 3932200,
  BasicReturn: 3932210,
  BasicDeliver: 3932220,
  BasicGet: 3932230,
  BasicGetOk: 3932231,
  BasicGetEmpty: 3932232,
  BasicAck: 3932240,
  BasicReject: 3932250,
  BasicRecoverAsync: 3932260,
  BasicRecover: 3932270,
  BasicRecoverOk: 3932271,
  BasicNack: 3932280,
  TxSelect: 5898250,
  TxCommit: 5898260,
  TxRollback: 5898270,
  ConfirmSelect: 5570570,
  ConfirmSelectOk: 5570571,
} as const;

/** `queue.declare` -> `queue.declare`, for logs and messages. */
export function methodName(id: number): string {
  for (const [name, value] of Object.entries(Method)) {
    if (value === id)
      return name.replace(
        /^([A-Z][a-z]+)(.*)$/,
        (_, cls: string, m: string) => `${cls.toLowerCase()}.${m.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}`,
      );
  }
  return `method ${id >>> 16}/${id & 0xffff}`;
}

// ---- inbound methods: what a client sends -------------------------------------------------------------------

export interface StartOkFields {
  clientProperties: FieldTable;
  mechanism: string;
  response: Buffer;
  locale: string;
}
export interface TuneOkFields {
  channelMax: number;
  frameMax: number;
  heartbeat: number;
}
export interface OpenFields {
  virtualHost: string;
}
export interface CloseFields {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}
export interface ExchangeDeclareFields {
  exchange: string;
  type: string;
  passive: boolean;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  nowait: boolean;
  arguments: FieldTable;
}
export interface ExchangeDeleteFields {
  exchange: string;
  ifUnused: boolean;
  nowait: boolean;
}
export interface QueueDeclareFields {
  queue: string;
  passive: boolean;
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
  nowait: boolean;
  arguments: FieldTable;
}
export interface QueueBindFields {
  queue: string;
  exchange: string;
  routingKey: string;
  nowait: boolean;
  arguments: FieldTable;
}
export interface QueueUnbindFields {
  queue: string;
  exchange: string;
  routingKey: string;
  arguments: FieldTable;
}
export interface QueuePurgeFields {
  queue: string;
  nowait: boolean;
}
export interface QueueDeleteFields {
  queue: string;
  ifUnused: boolean;
  ifEmpty: boolean;
  nowait: boolean;
}
export interface BasicQosFields {
  prefetchSize: number;
  prefetchCount: number;
  global: boolean;
}
export interface BasicConsumeFields {
  queue: string;
  consumerTag: string;
  noLocal: boolean;
  noAck: boolean;
  exclusive: boolean;
  nowait: boolean;
  arguments: FieldTable;
}
export interface BasicCancelFields {
  consumerTag: string;
  nowait: boolean;
}
export interface BasicPublishFields {
  exchange: string;
  routingKey: string;
  mandatory: boolean;
  immediate: boolean;
}
export interface BasicGetFields {
  queue: string;
  noAck: boolean;
}
export interface BasicAckFields {
  deliveryTag: number;
  multiple: boolean;
}
export interface BasicRejectFields {
  deliveryTag: number;
  requeue: boolean;
}
export interface BasicNackFields {
  deliveryTag: number;
  multiple: boolean;
  requeue: boolean;
}
export interface BasicRecoverFields {
  requeue: boolean;
}
export interface ChannelFlowFields {
  active: boolean;
}
export interface ConfirmSelectFields {
  nowait: boolean;
}

type M = typeof Method;
/** Every method a client may send, discriminated by id. */
export type InboundMethod =
  | { id: M['ConnectionStartOk']; fields: StartOkFields }
  | { id: M['ConnectionSecureOk']; fields: { response: Buffer } }
  | { id: M['ConnectionTuneOk']; fields: TuneOkFields }
  | { id: M['ConnectionOpen']; fields: OpenFields }
  | { id: M['ConnectionClose']; fields: CloseFields }
  | { id: M['ConnectionCloseOk']; fields: object }
  | { id: M['ConnectionBlocked']; fields: object }
  | { id: M['ConnectionUnblocked']; fields: object }
  | { id: M['ConnectionUpdateSecret']; fields: object }
  | { id: M['ChannelOpen']; fields: object }
  | { id: M['ChannelFlow']; fields: ChannelFlowFields }
  | { id: M['ChannelFlowOk']; fields: ChannelFlowFields }
  | { id: M['ChannelClose']; fields: CloseFields }
  | { id: M['ChannelCloseOk']; fields: object }
  | { id: M['AccessRequest']; fields: object }
  | { id: M['ExchangeDeclare']; fields: ExchangeDeclareFields }
  | { id: M['ExchangeDelete']; fields: ExchangeDeleteFields }
  | { id: M['ExchangeBind']; fields: object }
  | { id: M['ExchangeUnbind']; fields: object }
  | { id: M['QueueDeclare']; fields: QueueDeclareFields }
  | { id: M['QueueBind']; fields: QueueBindFields }
  | { id: M['QueueUnbind']; fields: QueueUnbindFields }
  | { id: M['QueuePurge']; fields: QueuePurgeFields }
  | { id: M['QueueDelete']; fields: QueueDeleteFields }
  | { id: M['BasicQos']; fields: BasicQosFields }
  | { id: M['BasicConsume']; fields: BasicConsumeFields }
  | { id: M['BasicCancel']; fields: BasicCancelFields }
  | { id: M['BasicPublish']; fields: BasicPublishFields }
  | { id: M['BasicGet']; fields: BasicGetFields }
  | { id: M['BasicAck']; fields: BasicAckFields }
  | { id: M['BasicReject']; fields: BasicRejectFields }
  | { id: M['BasicRecoverAsync']; fields: BasicRecoverFields }
  | { id: M['BasicRecover']; fields: BasicRecoverFields }
  | { id: M['BasicNack']; fields: BasicNackFields }
  | { id: M['TxSelect']; fields: object }
  | { id: M['TxCommit']; fields: object }
  | { id: M['TxRollback']; fields: object }
  | { id: M['ConfirmSelect']; fields: ConfirmSelectFields };

/**
 * Decode a method frame's payload. Throws `Error('Unknown class/method ID')` for an id the protocol does not define
 * and a RangeError/TypeError for a payload that is cut short; the connection turns those into AMQP errors.
 */
export function decodeMethod(payload: Buffer): InboundMethod {
  const id = payload.readUInt32BE(0);
  return { id, fields: defs.decode(id, payload.subarray(4)) } as InboundMethod;
}

// ---- outbound methods: what the server sends ----------------------------------------------------------------

export interface OutboundFields {
  [Method.ConnectionStart]: { versionMajor: number; versionMinor: number; serverProperties: FieldTable; mechanisms: Buffer; locales: Buffer };
  [Method.ConnectionTune]: { channelMax: number; frameMax: number; heartbeat: number };
  [Method.ConnectionOpenOk]: { knownHosts: string };
  [Method.ConnectionClose]: CloseFields;
  [Method.ConnectionCloseOk]: object;
  [Method.ConnectionBlocked]: { reason: string };
  [Method.ConnectionUnblocked]: object;
  [Method.ChannelOpenOk]: { channelId: Buffer };
  [Method.ChannelFlowOk]: { active: boolean };
  [Method.ChannelClose]: CloseFields;
  [Method.ChannelCloseOk]: object;
  [Method.ExchangeDeclareOk]: object;
  [Method.ExchangeDeleteOk]: object;
  [Method.QueueDeclareOk]: { queue: string; messageCount: number; consumerCount: number };
  [Method.QueueBindOk]: object;
  [Method.QueueUnbindOk]: object;
  [Method.QueuePurgeOk]: { messageCount: number };
  [Method.QueueDeleteOk]: { messageCount: number };
  [Method.BasicQosOk]: object;
  [Method.BasicConsumeOk]: { consumerTag: string };
  [Method.BasicCancel]: { consumerTag: string; nowait: boolean };
  [Method.BasicCancelOk]: { consumerTag: string };
  [Method.BasicReturn]: { replyCode: number; replyText: string; exchange: string; routingKey: string };
  [Method.BasicDeliver]: { consumerTag: string; deliveryTag: number; redelivered: boolean; exchange: string; routingKey: string };
  [Method.BasicGetOk]: { deliveryTag: number; redelivered: boolean; exchange: string; routingKey: string; messageCount: number };
  [Method.BasicGetEmpty]: { clusterId: string };
  [Method.BasicAck]: { deliveryTag: number; multiple: boolean };
  [Method.BasicRecoverOk]: object;
  [Method.ConfirmSelectOk]: object;
}

/** One method frame, ready to write. */
export function encodeMethod<K extends keyof OutboundFields>(id: K, channel: number, fields: OutboundFields[K]): Buffer {
  return defs.encodeMethod(id, channel, fields);
}

/** Decode a content header's property list (the payload after class, weight and body size). */
export function decodeProperties(headerPayload: Buffer): BasicProperties {
  return defs.decode(BASIC_CLASS, headerPayload.subarray(12)) as BasicProperties;
}

/** The basic-class properties a client may set on a message, as amqplib names them. */
export interface BasicProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: FieldTable;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  timestamp?: number;
  type?: string;
  userId?: string;
  appId?: string;
}

/** Property flag bits of a basic content header (AMQP 0-9-1 §4.2.6.1: the first property is bit 15). */
export const PropertyFlag = { headers: 1 << 13, expiration: 1 << 8 } as const;

export function propertyFlags(headerPayload: Buffer): number {
  return headerPayload.readUInt16BE(12);
}

/** Split a frame off the front of `buffer`; false when it holds no whole frame yet. Throws on a bad frame. */
export function parseFrame(buffer: Buffer, maxPayload: number): ReturnType<AmqplibFrame['parseFrame']> {
  return frame.parseFrame(buffer, maxPayload);
}

export function decodeTable(bytes: Buffer): FieldTable {
  return codec.decodeFields(bytes);
}

/**
 * A message's frames after its method frame: the content header (the publisher's own header payload, re-framed
 * for this channel) and the body split into frames of at most `frameMax` bytes, written after `method` into one
 * buffer so a delivery is one write. `content` holds the header payload and then the body, split at `headerSize`.
 */
export function contentFrames(method: Buffer, channel: number, content: Buffer, headerSize: number, frameMax: number): Buffer {
  const bodySize = content.length - headerSize;
  const maxBody = frameMax - FRAME_OVERHEAD;
  const bodyFrames = bodySize === 0 ? 0 : Math.ceil(bodySize / maxBody);
  const out = Buffer.allocUnsafe(method.length + FRAME_OVERHEAD + content.length + bodyFrames * FRAME_OVERHEAD);
  method.copy(out, 0);
  let offset = writeFrame(out, method.length, FrameType.header, channel, content, 0, headerSize);
  for (let start = headerSize; start < content.length; start += maxBody) {
    offset = writeFrame(out, offset, FrameType.body, channel, content, start, Math.min(content.length, start + maxBody));
  }
  return out;
}

function writeFrame(out: Buffer, offset: number, type: number, channel: number, source: Buffer, start: number, end: number): number {
  out[offset] = type;
  out.writeUInt16BE(channel, offset + 1);
  out.writeUInt32BE(end - start, offset + 3);
  source.copy(out, offset + 7, start, end);
  const last = offset + 7 + (end - start);
  out[last] = FRAME_END;
  return last + 1;
}
