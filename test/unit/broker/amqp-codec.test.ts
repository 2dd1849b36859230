import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentFrames, encodeMethod, FrameType, Method, methodName, parseFrame } from '../../../src/broker/amqp-codec.js';

const require = createRequire(import.meta.url);
const defs = require(path.join(path.dirname(require.resolve('amqplib')), 'lib/defs.js')) as Record<string, unknown>;

describe('amqp-codec', () => {
  it("numbers methods exactly as amqplib's generated definitions do", () => {
    for (const [name, id] of Object.entries(Method)) expect(defs[name], name).toBe(id);
  });

  it('names methods the way the spec writes them', () => {
    expect(methodName(Method.QueueDeclare)).toBe('queue.declare');
    expect(methodName(Method.BasicGetEmpty)).toBe('basic.get-empty');
    expect(methodName(Method.ConnectionStartOk)).toBe('connection.start-ok');
  });

  it('frames a delivery as method, content header and body frames no larger than frame-max', () => {
    const method = encodeMethod(Method.BasicDeliver, 3, { consumerTag: 'c', deliveryTag: 9, redelivered: true, exchange: 'x', routingKey: 'k' });
    const header = Buffer.from([0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25, 0, 0]);
    const content = Buffer.concat([header, Buffer.from('abcdefghijklmnopqrstuvwxy')]);
    let rest = contentFrames(method, 3, content, header.length, 18);
    const frames: { type: number; channel: number; payload: string }[] = [];
    for (;;) {
      const frame = parseFrame(rest, 0);
      if (frame === false) break;
      frames.push({ type: frame.type, channel: frame.channel, payload: frame.type === FrameType.body ? frame.payload.toString() : '' });
      rest = frame.rest;
    }
    expect(rest.length).toBe(0);
    expect(frames).toEqual([
      { type: FrameType.method, channel: 3, payload: '' },
      { type: FrameType.header, channel: 3, payload: '' },
      { type: FrameType.body, channel: 3, payload: 'abcdefghij' },
      { type: FrameType.body, channel: 3, payload: 'klmnopqrst' },
      { type: FrameType.body, channel: 3, payload: 'uvwxy' },
    ]);
  });

  it('sends no body frame for an empty body', () => {
    const method = encodeMethod(Method.BasicGetOk, 1, { deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'q', messageCount: 0 });
    const out = contentFrames(method, 1, Buffer.alloc(14), 14, 4096);
    expect(out.length).toBe(method.length + 8 + 14);
  });
});
