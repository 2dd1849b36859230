import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../../src/protocol/amqp-message.js';
import { buildRetryMessage, buildTaskMessage, decodeTaskMessage, type TaskMessage } from '../../../src/protocol/task-message.js';

// The message captured off RabbitMQ for add.apply_async((2, 2), countdown=3, expires=60) (PROTOCOL.md §1.6).
const capturedHeaders = {
  lang: 'py',
  task: 'tasks.add',
  id: 'ccd79205-c846-4006-b399-7875357424b4',
  shadow: null,
  eta: '2026-11-21T19:02:20.166293+00:00',
  expires: '2026-11-21T19:03:17.166293+00:00',
  group: null,
  group_index: null,
  retries: 0,
  timelimit: [null, null],
  root_id: 'ccd79205-c846-4006-b399-7875357424b4',
  parent_id: null,
  argsrepr: '(2, 2)',
  kwargsrepr: '{}',
  origin: 'gen7744@vm',
  ignore_result: false,
};
const capturedBody = '[[2, 2], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]';

function incoming(
  body: string | Buffer,
  properties: IncomingMessage['properties'],
  fields: Partial<IncomingMessage['fields']> = {},
): IncomingMessage {
  return {
    content: typeof body === 'string' ? Buffer.from(body) : body,
    properties,
    fields: { exchange: '', routingKey: 'celery', redelivered: false, deliveryTag: 1, ...fields },
  };
}

/** The properties of the captured message, but for its headers. */
const capturedProps = {
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  deliveryMode: 2,
  priority: 0,
  correlationId: 'ccd79205-c846-4006-b399-7875357424b4',
  replyTo: 'd5990f45-c806-3d9b-8898-f761b35c044c',
};
const jsonProps = (headers: Record<string, unknown> | undefined) => ({ ...capturedProps, headers });

function decodeOk(msg: IncomingMessage, accept?: ReadonlySet<string>): TaskMessage {
  const result = decodeTaskMessage(msg, accept);
  if (!result.ok) throw new Error(`expected a task, got ${result.error.kind}: ${result.error.message}`);
  return result.task;
}

describe('decodeTaskMessage: protocol v2', () => {
  it('decodes the captured Python message', () => {
    const task = decodeOk(incoming(capturedBody, jsonProps(capturedHeaders)));
    expect(task).toMatchObject({
      protocol: 2,
      id: 'ccd79205-c846-4006-b399-7875357424b4',
      name: 'tasks.add',
      args: [2, 2],
      kwargs: {},
      retries: 0,
      timeLimit: { hard: null, soft: null },
      argsrepr: '(2, 2)',
      origin: 'gen7744@vm',
      replyTo: 'd5990f45-c806-3d9b-8898-f761b35c044c',
      correlationId: 'ccd79205-c846-4006-b399-7875357424b4',
      deliveryInfo: { exchange: '', routing_key: 'celery', priority: 0, redelivered: false },
    });
    expect(task.eta! / 1000).toBeCloseTo(1795287740.166293, 5);
    expect(task.expires! - task.eta!).toBeCloseTo(57_000, 3);
  });

  it('reads timelimit as [hard, soft]', () => {
    const task = decodeOk(incoming(capturedBody, jsonProps({ ...capturedHeaders, timelimit: [30, 20] })));
    expect(task.timeLimit).toEqual({ hard: 30, soft: 20 });
  });

  it('accepts the minimal header set {task, id} and an empty embed', () => {
    const task = decodeOk(incoming('[[1], {"a": 2}, {}]', jsonProps({ task: 'tasks.add', id: 'x1' })));
    expect(task).toMatchObject({ id: 'x1', args: [1], kwargs: { a: 2 }, eta: null, argsrepr: null, rootId: null });
    expect(task.embed).toEqual({ callbacks: null, errbacks: null, chain: null, chord: null });
  });

  it('refuses pickle without deserializing it (reject)', () => {
    const result = decodeTaskMessage(
      incoming(Buffer.from([0x80, 0x04]), {
        ...jsonProps(capturedHeaders),
        contentType: 'application/x-python-serialize',
        contentEncoding: 'binary',
      }),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatchObject({ kind: 'content-disallowed', action: 'reject', id: capturedHeaders.id, name: 'tasks.add' });
      expect(result.error.message).toContain('Refusing to deserialize untrusted content of type pickle (application/x-python-serialize)');
    }
  });

  it('acks an undecodable body, as Celery does', () => {
    const result = decodeTaskMessage(incoming('{not json', jsonProps(capturedHeaders)));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ kind: 'decode-error', action: 'ack' });
  });

  it('rejects the two messages that crash a Python 5.2.6 worker instead of crashing', () => {
    const noId = decodeTaskMessage(incoming(capturedBody, jsonProps({ task: 'tasks.add' })));
    expect(noId.ok).toBe(false);
    if (!noId.ok) expect(noId.error).toMatchObject({ kind: 'invalid', action: 'reject' });
    const noContentType = decodeTaskMessage(incoming(capturedBody, { headers: capturedHeaders }));
    expect(noContentType.ok).toBe(false);
    if (!noContentType.ok) expect(noContentType.error).toMatchObject({ kind: 'invalid', action: 'reject' });
  });

  it("rejects a bad eta with Celery's words", () => {
    const result = decodeTaskMessage(incoming(capturedBody, jsonProps({ ...capturedHeaders, eta: 'not-a-date' })));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.action).toBe('reject');
      expect(result.error.message).toBe("Received invalid task message: invalid ETA value 'not-a-date': unable to parse date string 'not-a-date'");
    }
  });

  it.each(['{"a": 1}', '[1, 2, 3]', '"str"', '[[1], [2], {}]'])('rejects the wrong body shape %s', (body) => {
    const result = decodeTaskMessage(incoming(body, jsonProps(capturedHeaders)));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.action).toBe('reject');
  });
});

describe('decodeTaskMessage: protocol v1 and unknown messages', () => {
  it('runs a v1 body with no headers', () => {
    const body = JSON.stringify({
      task: 'tasks.add',
      id: 'v1-id',
      args: [3, 4],
      kwargs: {},
      retries: 0,
      eta: null,
      expires: null,
      utc: true,
      timelimit: [null, 5],
    });
    const task = decodeOk(incoming(body, jsonProps(undefined)));
    expect(task).toMatchObject({ protocol: 1, id: 'v1-id', name: 'tasks.add', args: [3, 4], argsrepr: null, timeLimit: { hard: null, soft: 5 } });
  });

  it('rejects a headerless body that names no task as an unknown message', () => {
    const result = decodeTaskMessage(incoming('[1, 2]', jsonProps(undefined)));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatchObject({ kind: 'unknown-message', action: 'reject' });
      expect(result.error.message).toBe('Received and deleted unknown message.  Wrong destination?!?');
    }
  });
});

describe('buildTaskMessage (apply_async)', () => {
  const now = Date.UTC(2026, 10, 21, 19, 2, 17, 166) + 0.293;

  it('builds what Python publishes: default exchange, queue as routing key, full header set', () => {
    const msg = buildTaskMessage({
      name: 'tasks.add',
      args: [2, 2],
      id: 'ccd79205-c846-4006-b399-7875357424b4',
      countdown: 3,
      expires: 60,
      now,
      origin: 'gen7744@vm',
      replyTo: 'd5990f45-c806-3d9b-8898-f761b35c044c',
    });
    expect(msg.exchange).toBe('');
    expect(msg.routingKey).toBe('celery');
    expect(JSON.parse(msg.content.toString())).toEqual(JSON.parse(capturedBody));
    expect(msg.properties).toMatchObject({ ...capturedProps, expiration: '60000' });
    expect(msg.properties.headers).toEqual({ ...capturedHeaders, expires: '2026-11-21T19:03:17.166293+00:00' });
  });

  it('round-trips through decode', () => {
    const msg = buildTaskMessage({
      name: 'tasks.sleep',
      args: [1.5],
      kwargs: { x: 'é' },
      timeLimit: 30,
      softTimeLimit: 20,
      priority: 5,
      shadow: 'nap',
      now,
    });
    const task = decodeOk(incoming(msg.content, msg.properties, { routingKey: msg.routingKey }));
    expect(task).toMatchObject({
      name: 'tasks.sleep',
      args: [1.5],
      kwargs: { x: 'é' },
      timeLimit: { hard: 30, soft: 20 },
      priority: 5,
      shadow: 'nap',
      rootId: msg.id,
      argsrepr: '(1.5,)',
      kwargsrepr: "{'x': 'é'}",
    });
  });

  it('routes to a named exchange when asked', () => {
    const msg = buildTaskMessage({ name: 't', exchange: 'video', routingKey: 'video.encode', now });
    expect([msg.exchange, msg.routingKey]).toEqual(['video', 'video.encode']);
  });
});

describe('buildRetryMessage (PROTOCOL.md §1.10)', () => {
  it('keeps the id, bumps retries, sets the eta and makes the task its own parent', () => {
    const task = decodeOk(incoming(capturedBody, jsonProps(capturedHeaders)));
    const etaMs = Date.UTC(2026, 10, 21, 19, 5, 11, 3);
    const msg = buildRetryMessage(task, { etaMs, origin: 'gen9335@vm', now: etaMs - 20_000 });
    const headers = msg.properties.headers as Record<string, unknown>;
    expect(headers).toMatchObject({
      id: task.id,
      retries: 1,
      parent_id: task.id,
      root_id: task.id,
      eta: '2026-11-21T19:05:11.003000+00:00',
      origin: 'gen9335@vm',
    });
    expect(msg.properties.correlationId).toBe(task.correlationId);
    expect(msg.properties.replyTo).toBe(task.replyTo);
    expect([msg.exchange, msg.routingKey]).toEqual(['', 'celery']);
    expect(msg.properties.contentType).toBe('application/json');
  });

  it("writes the given serializer and compression (the task's own, as Celery's Task.retry), all else the same", () => {
    const task = decodeOk(incoming(capturedBody, jsonProps(capturedHeaders)));
    const etaMs = Date.UTC(2026, 10, 21, 19, 5, 11, 3);
    const json = buildRetryMessage(task, { etaMs, origin: 'o', now: etaMs });
    const packed = buildRetryMessage(task, { etaMs, origin: 'o', now: etaMs, serializer: 'msgpack', compression: 'gzip' });
    expect(packed.properties).toMatchObject({ contentType: 'application/x-msgpack', contentEncoding: 'binary' });
    expect(packed.properties.headers).toEqual({ ...json.properties.headers, compression: 'application/x-gzip' });
    const again = decodeOk(incoming(packed.content, packed.properties), new Set(['application/x-msgpack']));
    expect(again).toMatchObject({ id: task.id, retries: 1, args: [2, 2], kwargs: {}, parentId: task.id });
  });
});
