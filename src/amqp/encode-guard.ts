import type { Channel } from 'amqplib';
import { CamqError } from '../errors/index.js';
import { amqplibDefs, hasChannelInternals, type AmqplibChannelInternals } from './amqplib-internals.js';

/**
 * Keeps a value amqplib cannot encode (a queue name over 255 bytes, a header of an unknown `{'!': type}`) from
 * wedging a channel.
 *
 * amqplib runs one RPC at a time per channel: `sendOrEnqueue` marks the channel as waiting for a reply, THEN
 * encodes and sends the method. When the encoding throws, the method was never sent but the channel still waits
 * for its reply, so every later RPC on it (declare, bind, get, qos) is queued behind an answer that never comes,
 * and hangs. Encoding the method first, before amqplib touches its state, turns that into a rejected call on a
 * channel that still works. lib/defs.js and BaseChannel's methods are amqplib internals, reached through the one
 * boundary amqplib-internals.ts (whose test fails if an upgrade moves them).
 */

type ChannelInternals = Pick<AmqplibChannelInternals, 'sendOrEnqueue' | 'sendMessage'>;

/** A method or message the client library refused to encode: nothing reached the broker. */
export class UnencodableError extends CamqError {
  constructor(what: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('amqp.unencodable', `cannot send ${what}: ${reason}; nothing was sent`, { cause });
  }
}

/** Wrap a fresh channel's sends so an encoding error rejects the one call and leaves the channel usable. */
export function guardEncoding<T extends Channel>(channel: T): T {
  if (!hasChannelInternals(channel, ['sendOrEnqueue', 'sendMessage'])) {
    throw new Error('amqplib internals changed: BaseChannel.sendOrEnqueue/sendMessage are gone (see src/amqp/encode-guard.ts)');
  }
  const internals = channel as unknown as ChannelInternals;
  const sendOrEnqueue = internals.sendOrEnqueue;
  const sendMessage = internals.sendMessage;
  const defs = amqplibDefs();
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
