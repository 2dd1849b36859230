import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../../src/protocol/amqp-message.js';
import { buildTaskMessage } from '../../../src/protocol/task-message.js';
import { buildTappedResend, RETRY_OF_HEADER } from '../../../src/protocol/task-resend.js';
import { decodeTappedTask, decodeTraceMessage, traceProperties } from '../../../src/protocol/trace-message.js';

/** A trace message as RabbitMQ 3.10 delivers it for a publish (captured with amqplib from `trace_on`). */
function traced(exchange: string, routingKey: string, properties: Record<string, unknown>, body: Buffer): IncomingMessage {
  return {
    content: body,
    properties: {
      headers: {
        exchange_name: exchange,
        routing_keys: [routingKey],
        properties,
        node: 'rabbit@localhost',
        vhost: 'h4',
        connection: '127.0.0.1:45970 -> 127.0.0.1:5672',
        channel: 1,
        user: 'guest',
        routed_queues: [routingKey],
      },
    },
    fields: { deliveryTag: 1, redelivered: false, exchange: 'amq.rabbitmq.trace', routingKey: `publish.${exchange}` },
  };
}

describe('decodeTraceMessage', () => {
  it('reads the publish a RabbitMQ trace message describes', () => {
    const body = Buffer.from('[[1],{},{}]');
    const result = decodeTraceMessage(
      traced(
        '',
        'celery',
        { reply_to: 'rq', correlation_id: 'abc', priority: 0, delivery_mode: 2, headers: { id: 'abc' }, content_type: 'application/json' },
        body,
      ),
    );
    expect(result).toEqual({
      ok: true,
      publish: {
        exchange: '',
        routingKey: 'celery',
        properties: { replyTo: 'rq', correlationId: 'abc', priority: 0, deliveryMode: 2, headers: { id: 'abc' }, contentType: 'application/json' },
        body,
        routedQueues: ['celery'],
        node: 'rabbit@localhost',
        vhost: 'h4',
        user: 'guest',
      },
    });
  });

  it('skips deliveries and messages without trace headers', () => {
    const msg = traced('', 'q', {}, Buffer.from('x'));
    expect(decodeTraceMessage({ ...msg, fields: { ...msg.fields, routingKey: 'deliver.q' } })).toMatchObject({ ok: false });
    expect(decodeTraceMessage({ ...msg, properties: {} })).toMatchObject({ ok: false });
  });

  it('writes back the same properties table it reads (the embedded broker’s side)', () => {
    const props = { contentType: 'application/json', contentEncoding: 'utf-8', headers: { a: 1 }, priority: 3, messageId: 'm' };
    const table = traceProperties(props);
    expect(table).toEqual({ content_type: 'application/json', content_encoding: 'utf-8', headers: { a: 1 }, priority: 3, message_id: 'm' });
    expect(decodeTraceMessage(traced('x', 'k', table, Buffer.alloc(0)))).toMatchObject({ ok: true, publish: { properties: props } });
  });
});

describe('decodeTappedTask', () => {
  const sent = buildTaskMessage({ name: 'tasks.add', id: 'id-1', args: [2, 2], queue: 'celery', replyTo: 'rq', now: 0 });
  const table = traceProperties(sent.properties as Record<string, unknown>);

  it('finds a protocol 2 task by its id and task headers, with the body byte for byte', () => {
    const result = decodeTappedTask(traced('', 'celery', table, sent.content));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.task).toMatchObject({
      taskId: 'id-1',
      name: 'tasks.add',
      protocol: 2,
      contentType: 'application/json',
      exchange: '',
      routingKey: 'celery',
    });
    expect(result.task.body.equals(sent.content)).toBe(true);
    expect(result.task.headers['argsrepr']).toBe('(2, 2)');
  });

  it('finds a protocol 1 task in its JSON body', () => {
    const body = Buffer.from(JSON.stringify({ task: 'tasks.add', id: 'v1', args: [1, 2], kwargs: {} }));
    expect(decodeTappedTask(traced('celery', 'celery', { content_type: 'application/json' }, body))).toMatchObject({
      ok: true,
      task: { taskId: 'v1', name: 'tasks.add', protocol: 1 },
    });
  });

  it('says an event or a result is not a task', () => {
    const event = Buffer.from(JSON.stringify({ type: 'worker-heartbeat', hostname: 'w' }));
    expect(decodeTappedTask(traced('celeryev', 'worker.heartbeat', { content_type: 'application/json' }, event))).toMatchObject({ ok: false });
    expect(decodeTappedTask(traced('', 'rq', { content_type: 'application/json', headers: {} }, Buffer.from('{"status": "SUCCESS"}')))).toMatchObject(
      {
        ok: false,
      },
    );
  });
});

describe('buildTappedResend', () => {
  const sent = buildTaskMessage({ name: 'tasks.add', id: 'old', args: [2, 2], queue: 'q1', replyTo: 'rq', retries: 2, priority: 5, now: 0 });
  const tapped = decodeTappedTask(traced('', 'q1', traceProperties(sent.properties as Record<string, unknown>), sent.content));

  it('sends the same body under a new id, naming the task it retries', () => {
    if (!tapped.ok) throw new Error(tapped.reason);
    const message = buildTappedResend(tapped.task, { newId: 'new', now: 1_000 });
    expect(message.content.equals(sent.content)).toBe(true);
    expect(message).toMatchObject({ id: 'new', exchange: '', routingKey: 'q1' });
    expect(message.properties).toMatchObject({ correlationId: 'new', priority: 5, replyTo: 'rq', contentType: 'application/json' });
    expect(message.properties.headers).toMatchObject({
      id: 'new',
      root_id: 'new',
      retries: 0,
      task: 'tasks.add',
      [RETRY_OF_HEADER]: 'old',
      argsrepr: '(2, 2)',
    });
  });

  it('drops an eta and an expiry that are past, and keeps a future expiry with its TTL', () => {
    const past = buildTaskMessage({ name: 't', id: 'a', eta: 0, expires: new Date(500), now: 0 });
    const t1 = decodeTappedTask(traced('', 'celery', traceProperties(past.properties as Record<string, unknown>), past.content));
    if (!t1.ok) throw new Error(t1.reason);
    const m1 = buildTappedResend(t1.task, { newId: 'b', now: 1_000 });
    expect(m1.properties.headers).toMatchObject({ eta: null, expires: null });
    expect(m1.properties.expiration).toBeUndefined();
    const future = buildTaskMessage({ name: 't', id: 'a', expires: 60, now: 0 });
    const t2 = decodeTappedTask(traced('', 'celery', traceProperties(future.properties as Record<string, unknown>), future.content));
    if (!t2.ok) throw new Error(t2.reason);
    expect(buildTappedResend(t2.task, { newId: 'b', now: 10_000 }).properties.expiration).toBe('50000');
  });

  it('rewrites the id in a protocol 1 body', () => {
    const body = Buffer.from(JSON.stringify({ task: 'tasks.add', id: 'v1', args: [1, 2], kwargs: {}, retries: 3 }));
    const t = decodeTappedTask(traced('celery', 'celery', { content_type: 'application/json' }, body));
    if (!t.ok) throw new Error(t.reason);
    const m = buildTappedResend(t.task, { newId: 'v1b' });
    expect(JSON.parse(m.content.toString())).toEqual({ task: 'tasks.add', id: 'v1b', args: [1, 2], kwargs: {}, retries: 0 });
    expect(m.properties.headers).toEqual({ [RETRY_OF_HEADER]: 'v1' });
  });
});
