/**
 * The boundary with amqplib's internals (src/amqp/amqplib-internals.ts): every function and field camq uses exists
 * and behaves as camq expects. An amqplib upgrade that moves one fails here, by name, rather than as a hung channel,
 * a dropped connection or a broker that cannot decode a frame.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  amqplibCodec,
  amqplibDefs,
  amqplibFrame,
  amqplibPrototypes,
  CHANNEL_INTERNALS,
  hasChannelInternals,
} from '../../../src/amqp/amqplib-internals.js';
import { queueDeclareFields } from '../../helpers/queue-declare-fields.js';

const QUEUE_DECLARE = (50 << 16) | 10;
const BASIC_CLASS = 60;

describe('amqplib internals', () => {
  it('lib/defs.js encodes a method into one frame and decodes its arguments back, and names it', () => {
    const defs = amqplibDefs();
    const fields = {
      ticket: 0,
      queue: 'q1',
      passive: false,
      durable: true,
      exclusive: false,
      autoDelete: false,
      nowait: true,
      arguments: { 'x-max-length': 5 },
    };
    const frame = defs.encodeMethod(QUEUE_DECLARE, 3, fields);
    expect(frame[0]).toBe(1); // method frame
    expect(frame.readUInt16BE(1)).toBe(3);
    expect(frame[frame.length - 1]).toBe(206);
    expect(frame.readUInt32BE(7)).toBe(QUEUE_DECLARE);
    expect(defs.decode(QUEUE_DECLARE, frame.subarray(11, frame.length - 1))).toEqual(fields);
    expect(defs.info(QUEUE_DECLARE)?.name).toBe('QueueDeclare');
    expect(() => defs.encodeMethod(QUEUE_DECLARE, 0, { ...fields, queue: 'x'.repeat(256) })).toThrow();
  });

  it('lib/defs.js encodes content header properties that decode back', () => {
    const defs = amqplibDefs();
    const header = defs.encodeProperties(BASIC_CLASS, 1, 42, { contentType: 'application/json', headers: { id: 'abc' } });
    const payload = header.subarray(7, header.length - 1);
    expect(payload.readUInt16BE(0)).toBe(BASIC_CLASS);
    expect(defs.decode(BASIC_CLASS, payload.subarray(12))).toMatchObject({ contentType: 'application/json', headers: { id: 'abc' } });
  });

  it('lib/frame.js splits frames off a buffer, waits for a whole one, decodes it, and has the heartbeat frame', () => {
    const { parseFrame, decodeFrame, HEARTBEAT_BUF } = amqplibFrame();
    const method = amqplibDefs().encodeMethod(QUEUE_DECLARE, 2, queueDeclareFields('q'));
    const bytes = Buffer.concat([method, HEARTBEAT_BUF]);
    expect(parseFrame(method.subarray(0, 5), 131072)).toBe(false);
    const first = parseFrame(bytes, 131072);
    expect(first).not.toBe(false);
    if (first === false) return;
    expect([first.type, first.channel, first.size]).toEqual([1, 2, method.length - 8]);
    expect(first.rest).toEqual(HEARTBEAT_BUF);
    expect(decodeFrame(first)).toMatchObject({ id: QUEUE_DECLARE, channel: 2, fields: { queue: 'q' } });
    const heartbeat = parseFrame(first.rest, 131072);
    expect(heartbeat && heartbeat.type).toBe(8);
  });

  it('lib/codec.js decodes a field table, and its recursion overflows on a deep one (what frame-guard.ts catches)', () => {
    const { decodeFields } = amqplibCodec();
    // One entry: key "a", type 't' (boolean), value 1.
    const table = Buffer.from([1, 0x61, 0x74, 1]);
    expect(decodeFields(table)).toEqual({ a: true });
    let deep = Buffer.from([1, 0x61, 0x74, 1]);
    for (let i = 0; i < 20_000; i++) {
      const entry = Buffer.alloc(1 + 1 + 1 + 4);
      entry.writeUInt8(1, 0);
      entry.write('a', 1, 'latin1');
      entry.write('F', 2, 'latin1');
      entry.writeUInt32BE(deep.length, 3);
      deep = Buffer.concat([entry, deep]);
    }
    expect(() => decodeFields(deep)).toThrow(RangeError);
  });

  it('BaseChannel has the methods nowait.ts calls and encode-guard.ts wraps', () => {
    const { channel } = amqplibPrototypes();
    expect(CHANNEL_INTERNALS.filter((name) => typeof (channel as Record<string, unknown>)[name] !== 'function')).toEqual([]);
    expect(hasChannelInternals(Object.create(channel))).toBe(true);
    expect(hasChannelInternals({ sendImmediately() {} })).toBe(false);
  });

  it('a Connection has the read loop and the fields frame-guard.ts replaces it with', () => {
    const { connection } = amqplibPrototypes();
    const Connection = (connection as { constructor: new (stream: PassThrough) => Record<string, unknown> }).constructor;
    const conn = new Connection(new PassThrough());
    expect(typeof conn['recvFrame']).toBe('function');
    expect(Buffer.isBuffer(conn['rest'])).toBe(true);
    expect(typeof conn['maxFrameSize']).toBe('number');
    expect(conn['recvSinceLastCheck']).toBe(false);
    expect(typeof (conn['stream'] as { read?: unknown }).read).toBe('function');
  });

  it('loads each file once', () => {
    expect(amqplibDefs()).toBe(amqplibDefs());
    expect(amqplibFrame()).toBe(amqplibFrame());
  });
});
