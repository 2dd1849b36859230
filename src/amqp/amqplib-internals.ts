import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The one boundary where camq reaches past amqplib's public API. amqplib 2's `exports` map hides its generated
 * codec (lib/defs.js, lib/frame.js, lib/codec.js), so those are loaded here by path from the package folder, once,
 * for the three users: the embedded broker's wire codec (src/broker/amqp-codec.ts), the encoding guard
 * (encode-guard.ts) and the frame-decoding guard (frame-guard.ts). The same users, and the nowait helpers
 * (nowait.ts), also patch or call methods of amqplib's channel and connection objects; the shapes they rely on are
 * declared here too, next to the loaders.
 *
 * These are internals, which is why amqplib is pinned (2.3.1) in package.json. test/unit/amqp/amqplib-internals.test.ts
 * checks every function and field named below exists and behaves as camq expects, so an upgrade that moves one
 * fails there, by name, instead of at a broker.
 *
 * `import.meta.url` works in the CommonJS bundles too: scripts/bundle.mjs defines it from __filename.
 */

/** lib/defs.js: the generated method and property codec. Method ids are class id << 16 | method id. */
export interface AmqplibDefs {
  decode(id: number, payload: Buffer): unknown;
  encodeMethod(id: number, channel: number, fields: object): Buffer;
  encodeProperties(id: number, channel: number, size: number, fields: object): Buffer;
  info(id: number): { name: string } | undefined;
}

/** A frame as lib/frame.js's parseFrame splits it off a buffer. */
export interface AmqplibRawFrame {
  readonly type: number;
  readonly channel: number;
  readonly size: number;
  readonly payload: Buffer;
  readonly rest: Buffer;
}

/** lib/frame.js: framing. */
export interface AmqplibFrame {
  /** A frame off the front of `buffer`, or false when it holds no whole frame yet; throws on a bad frame. */
  parseFrame(buffer: Buffer, max: number): AmqplibRawFrame | false;
  decodeFrame(frame: AmqplibRawFrame): unknown;
  HEARTBEAT_BUF: Buffer;
}

/** lib/codec.js: field tables. */
export interface AmqplibCodec {
  decodeFields(slice: Buffer): Record<string, unknown>;
}

/** The methods of amqplib's BaseChannel (lib/channel.js) camq calls or wraps. */
export interface AmqplibChannelInternals {
  /** Send a method now, without waiting for an earlier RPC's reply (nowait.ts). */
  sendImmediately(method: number, fields: Record<string, unknown>): void;
  /** Register a consumer callback under a tag, as consume() does on ConsumeOk (nowait.ts). */
  registerConsumer(consumerTag: string, callback: (message: never) => void): void;
  /** Send an RPC, or queue it behind the one awaiting its reply (wrapped by encode-guard.ts). */
  sendOrEnqueue(method: number, fields: object, reply: unknown): void;
  /** Encode and write a basic.publish (wrapped by encode-guard.ts). */
  sendMessage(fields: object, properties: object, content: Buffer): boolean;
}

/** The fields and method of amqplib's Connection (lib/connection.js) frame-guard.ts replaces its read loop with. */
export interface AmqplibConnectionInternals {
  rest: Buffer;
  maxFrameSize: number;
  recvSinceLastCheck: boolean;
  stream: { read(): Buffer | null };
  recvFrame: () => unknown;
}

const require = createRequire(import.meta.url);
let amqplibDir: string | undefined;
const loaded = new Map<string, unknown>();

/** Load `lib/<file>` of amqplib once, and check it has `names`; throws one line naming what is missing. */
function load<T>(file: string, names: readonly string[]): T {
  const cached = loaded.get(file);
  if (cached !== undefined) return cached as T;
  amqplibDir ??= path.dirname(require.resolve('amqplib'));
  const module = require(path.join(amqplibDir, 'lib', file)) as Record<string, unknown>;
  const missing = names.filter((name) => module[name] === undefined);
  if (missing.length > 0) throw internalsChanged(`lib/${file} has no ${missing.join(', ')}`);
  loaded.set(file, module);
  return module as T;
}

function internalsChanged(what: string): Error {
  return new Error(`amqplib internals changed: ${what}; camq is written against amqplib 2.3.1 (see src/amqp/amqplib-internals.ts)`);
}

export const amqplibDefs = (): AmqplibDefs => load('defs.js', ['decode', 'encodeMethod', 'encodeProperties', 'info']);
export const amqplibFrame = (): AmqplibFrame => load('frame.js', ['parseFrame', 'decodeFrame', 'HEARTBEAT_BUF']);
export const amqplibCodec = (): AmqplibCodec => load('codec.js', ['decodeFields']);

/** The class prototypes whose methods camq uses, for the boundary's test: BaseChannel and Connection. */
export function amqplibPrototypes(): { channel: object; connection: object } {
  const channel = load<{ BaseChannel: { prototype: object } }>('channel.js', ['BaseChannel']);
  const connection = load<{ Connection: { prototype: object } }>('connection.js', ['Connection']);
  return { channel: channel.BaseChannel.prototype, connection: connection.Connection.prototype };
}

/** The names of AmqplibChannelInternals' methods, checked on a channel before it is used (and by the test). */
export const CHANNEL_INTERNALS = ['sendImmediately', 'registerConsumer', 'sendOrEnqueue', 'sendMessage'] as const;

/** Whether `channel` has the BaseChannel methods of AmqplibChannelInternals named in `names`. */
export function hasChannelInternals(channel: unknown, names: readonly (typeof CHANNEL_INTERNALS)[number][] = CHANNEL_INTERNALS): boolean {
  const candidate = channel as Record<string, unknown> | null;
  return candidate !== null && typeof candidate === 'object' && names.every((name) => typeof candidate[name] === 'function');
}
