import { describe, expect, it } from 'vitest';
import { encodeEnvelope, envelopeToDelivery, markRedelivered, parseEnvelope } from '../../../src/redis/envelope.js';

// Captured from Celery 5.2.6's send_task on Redis (docs/redis-protocol.md).
const CAPTURED =
  '{"body": "W1syLCAyXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "tasks.add", "id": "17b8de21-ab05-42ca-960f-8b2959161e55", "retries": 0}, "properties": {"correlation_id": "17b8de21-ab05-42ca-960f-8b2959161e55", "reply_to": "c2488950-39d6-38be-9222-fcc7abb44fae", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "h6probe"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "f9a19183-870f-433b-88d3-868b08494dee"}}';

describe("kombu's Redis message envelope", () => {
  it('decodes a captured Celery 5.2.6 message into the delivery engines read', () => {
    const env = parseEnvelope(CAPTURED);
    if (env instanceof Error) throw env;
    const d = envelopeToDelivery(env, { deliveryTag: 7, consumerTag: 'c1' });
    expect(JSON.parse(d.content.toString('utf8'))).toEqual([[2, 2], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]);
    expect(d.properties).toMatchObject({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      correlationId: '17b8de21-ab05-42ca-960f-8b2959161e55',
      replyTo: 'c2488950-39d6-38be-9222-fcc7abb44fae',
      deliveryMode: 2,
      priority: 0,
    });
    expect(d.properties.headers?.['task']).toBe('tasks.add');
    expect(d.fields).toEqual({ exchange: '', routingKey: 'h6probe', redelivered: false, deliveryTag: 7, consumerTag: 'c1' });
  });

  it('encodes the fields and property names kombu writes, and decodes back to the same message', () => {
    const body = Buffer.from('{"x":1}');
    const env = encodeEnvelope(
      body,
      {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        correlationId: 'id1',
        replyTo: 'r',
        deliveryMode: 2,
        priority: 5,
        headers: { task: 't' },
      },
      { exchange: 'celery', routingKey: 'celery', deliveryTag: 'uuid-1' },
    );
    expect(Object.keys(env)).toEqual(['body', 'content-encoding', 'content-type', 'headers', 'properties']);
    expect(env.properties).toEqual({
      correlation_id: 'id1',
      reply_to: 'r',
      delivery_mode: 2,
      delivery_info: { exchange: 'celery', routing_key: 'celery' },
      priority: 5,
      body_encoding: 'base64',
      delivery_tag: 'uuid-1',
    });
    expect(env.body).toBe(body.toString('base64'));
    const back = parseEnvelope(JSON.stringify(env));
    if (back instanceof Error) throw back;
    const d = envelopeToDelivery(back, { deliveryTag: 1 });
    expect(d.content.equals(body)).toBe(true);
    expect(d.properties.headers).toEqual({ task: 't' });
  });

  it('marks a restored message redelivered where kombu does', () => {
    const env = parseEnvelope(CAPTURED);
    if (env instanceof Error) throw env;
    const again = markRedelivered(env);
    expect(again.headers['redelivered']).toBe(true);
    expect(again.properties.delivery_info.redelivered).toBe(true);
    expect(envelopeToDelivery(again, { deliveryTag: 1 }).fields.redelivered).toBe(true);
    expect(env.headers['redelivered']).toBeUndefined();
  });

  it('refuses what is not an envelope with a reason, and reads a body without body_encoding as text', () => {
    expect(parseEnvelope('nope')).toBeInstanceOf(Error);
    expect((parseEnvelope('[1]') as Error).message).toBe('not a JSON object');
    expect((parseEnvelope('{"body": "x"}') as Error).message).toBe('no properties object');
    const plain = parseEnvelope('{"body": "hello", "properties": {"delivery_tag": "t"}}');
    if (plain instanceof Error) throw plain;
    expect(envelopeToDelivery(plain, { deliveryTag: 1 }).content.toString()).toBe('hello');
  });
});
