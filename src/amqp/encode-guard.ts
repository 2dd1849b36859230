import type { Channel } from 'amqplib';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CamqError } from '../errors/index.js';

/**
 * Keeps a value amqplib cannot encode (a queue name over 255 bytes, a header of an unknown `{'!': type}`) from
 * wedging a channel.
 *
 * amqplib runs one RPC at a time per channel: `sendOrEnqueue` marks the channel as waiting for a reply, THEN
 * encodes and sends the method. When the encoding throws, the method was never sent but the channel still waits
 * for its reply, so every later RPC on it (declare, bind, get, qos) is queued behind an answer that never comes,
 * and hangs. Encoding the method first, before amqplib touches its state, turns that into a rejected call on a
 * channel that still works. amqplib 2's `exports` map hides lib/defs.js, so it is loaded by path, as the embedded
 * broker's codec does; amqplib is pinned in package.json because this reads its internals.
 */

interface AmqplibDefs {
  encodeMethod(id: number, channel: number, fields: object): Buffer;
  info(id: number): { name: string } | undefined;
}

/** The parts of amqplib's BaseChannel (lib/channel.js) this guard wraps. */
interface ChannelInternals {
  sendOrEnqueue(method: number, fields: object, reply: unknown): void;
  sendMessage(fields: object, properties: object, content: Buffer): boolean;
}

const require = createRequire(import.meta.url);
const defs = require(path.join(path.dirname(require.resolve('amqplib')), 'lib/defs.js')) as AmqplibDefs;

/** A method or message the client library refused to encode: nothing reached the broker. */
export class UnencodableError extends CamqError {
  constructor(what: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('amqp.unencodable', `cannot send ${what}: ${reason}; nothing was sent`, { cause });
  }
}

/** Wrap a fresh channel's sends so an encoding error rejects the one call and leaves the channel usable. */
export function guardEncoding<T extends Channel>(channel: T): T {
  const internals = channel as unknown as ChannelInternals;
  const sendOrEnqueue = internals.sendOrEnqueue;
  const sendMessage = internals.sendMessage;
  if (typeof sendOrEnqueue !== 'function' || typeof sendMessage !== 'function') {
    throw new Error('amqplib internals changed: BaseChannel.sendOrEnqueue/sendMessage are gone (see src/amqp/encode-guard.ts)');
  }
  internals.sendOrEnqueue = function (this: ChannelInternals, method, fields, reply) {
    try {
      defs.encodeMethod(method, 0, fields);
    } catch (err) {
      throw new UnencodableError(defs.info(method)?.name ?? `method ${method}`, err);
    }
    sendOrEnqueue.call(this, method, fields, reply);
  };
  // A publish encodes before it writes or registers a confirm, so it fails cleanly; this only words the error.
  internals.sendMessage = function (this: ChannelInternals, fields, properties, content) {
    try {
      return sendMessage.call(this, fields, properties, content);
    } catch (err) {
      throw new UnencodableError('the message', err);
    }
  };
  return channel;
}
