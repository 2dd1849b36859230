/**
 * The nowait helpers hand amqplib's channel internals method ids and field objects; these encode them with amqplib's
 * own codec (lib/defs.js, loaded by path as DESIGN.md describes) and decode them back, so a missing or misnamed
 * field fails here rather than on a broker. test/integration/amqp/nowait.int.test.ts runs them against RabbitMQ.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindQueueNowait, consumeNowait, declareExchangeNowait, declareQueueNowait, type Channel } from '../../../src/amqp/index.js';

const require = createRequire(import.meta.url);
const defs = require(join(dirname(require.resolve('amqplib')), 'lib/defs.js')) as {
  encodeMethod(id: number, channel: number, fields: Record<string, unknown>): Buffer;
  decode(id: number, payload: Buffer): Record<string, unknown>;
  info(id: number): { name: string };
};

/** A stand-in for amqplib's channel that encodes what it is sent the way amqplib's connection would. */
function recordingChannel() {
  const sent: { method: string; fields: Record<string, unknown> }[] = [];
  const events: string[] = [];
  const channel = {
    sendImmediately(method: number, fields: Record<string, unknown>) {
      const frame = defs.encodeMethod(method, 1, fields);
      // Frame: type (1), channel (2), size (4), then class and method ids (4) and the arguments; a frame-end octet.
      const id = frame.readUInt32BE(7);
      sent.push({ method: defs.info(id).name, fields: defs.decode(id, frame.subarray(11, frame.length - 1)) });
      events.push('send');
    },
    registerConsumer() {
      events.push('register');
    },
  };
  return { channel: channel as unknown as Channel, sent, events };
}

describe('nowait helpers', () => {
  it('send declares, a bind and a consume that encode with the nowait bit set', () => {
    const { channel, sent } = recordingChannel();
    declareExchangeNowait(channel, 'celery.pidbox', 'fanout', { durable: false, autoDelete: false });
    declareQueueNowait(channel, 'q1', { durable: false, exclusive: true, autoDelete: true, arguments: { 'x-expires': 10000 } });
    bindQueueNowait(channel, 'q1', 'reply.celery.pidbox', 'oid');
    consumeNowait(channel, 'q1', 'tag-1', () => {}, { noAck: true });
    expect(sent.map((s) => s.method)).toEqual(['ExchangeDeclare', 'QueueDeclare', 'QueueBind', 'BasicConsume']);
    expect(sent.every((s) => s.fields['nowait'] === true)).toBe(true);
    expect(sent[0]!.fields).toMatchObject({ exchange: 'celery.pidbox', type: 'fanout', durable: false, autoDelete: false, passive: false });
    expect(sent[1]!.fields).toMatchObject({ queue: 'q1', exclusive: true, autoDelete: true, arguments: { 'x-expires': 10000 } });
    expect(sent[2]!.fields).toMatchObject({ queue: 'q1', exchange: 'reply.celery.pidbox', routingKey: 'oid' });
    expect(sent[3]!.fields).toMatchObject({ queue: 'q1', consumerTag: 'tag-1', noAck: true });
  });

  it('registers the consumer before the consume goes out', () => {
    const { channel, events } = recordingChannel();
    consumeNowait(channel, 'q1', 'tag-1', () => {}, { noAck: false });
    expect(events).toEqual(['register', 'send']);
  });

  it('says what is wrong when the channel lacks the amqplib internals', () => {
    expect(() => bindQueueNowait({} as Channel, 'q', 'x', 'k')).toThrow(/sendImmediately\/registerConsumer/);
  });
});
