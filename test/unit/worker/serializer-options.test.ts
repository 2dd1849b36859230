/**
 * The worker's `accept_content` and `result_serializer` (issue 17): what it decodes, what it answers in, and the one
 * line for a setting it cannot honour. The real RabbitMQ/Python round trips are in
 * test/integration/worker-serializers.int.test.ts; here the shared fake transport stands in for the broker.
 */
import { afterEach, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors/index.js';
import { buildTaskMessage, decodeResultMessage } from '../../../src/protocol/index.js';
import { CamqApp, Worker } from '../../../src/worker/index.js';
import { FakeTransport } from '../../fakes/fake-transport.js';
import { startWorkerOnFake } from './worker-on-fake.js';

let worker: Worker | undefined;
afterEach(async () => {
  await worker?.stop('cold');
  worker = undefined;
});

async function start(options: { acceptContent?: string[]; resultSerializer?: 'json' | 'msgpack' | 'yaml' }) {
  const started = await startWorkerOnFake(options);
  worker = started.worker;
  return started;
}

const settle = () => new Promise((r) => setTimeout(r, 20));

it('decodes msgpack when accepted and answers in the result serializer (yaml)', async () => {
  const { conn, tasks } = await start({ acceptContent: ['json', 'msgpack'], resultSerializer: 'yaml' });
  tasks.deliver(
    'q',
    buildTaskMessage({ name: 'tasks.add', args: [2, 3], id: 't1', queue: 'q', replyTo: 'r', serializer: 'msgpack', compression: 'bzip2' }),
  );
  await settle();
  const result = conn.published.find((m) => m.routingKey === 'r')!;
  expect(result.properties.contentType).toBe('application/x-yaml');
  expect(
    decodeResultMessage({
      content: result.content,
      properties: result.properties,
      fields: { exchange: '', routingKey: 'r', redelivered: false, deliveryTag: 1 },
    }),
  ).toMatchObject({
    task_id: 't1',
    status: 'SUCCESS',
    result: 5,
  });
});

it('refuses msgpack by default (accept_content json), with one line, and rejects the message', async () => {
  const { lines, tasks } = await start({});
  tasks.deliver('q', buildTaskMessage({ name: 'tasks.add', args: [2, 3], id: 't2', queue: 'q', serializer: 'msgpack' }));
  await settle();
  expect(lines.map((l) => l.replace(/^\[[^\]]*\] /, ''))).toEqual([
    expect.stringMatching(/^Received invalid task message: Refusing to deserialize untrusted content of type msgpack \(application\/x-msgpack\)/),
  ]);
  expect(tasks.unacked.size).toBe(0);
});

it('a setting it cannot honour is a usage error naming it: pickle, an unknown serializer, on the worker or a task', () => {
  const app = new CamqApp();
  const pickle = () => new Worker({ app, broker: new FakeTransport(), acceptContent: ['json', 'pickle'] });
  expect(pickle).toThrow(UsageError);
  expect(pickle).toThrow("accept_content: unknown serializer 'pickle' (camq never deserializes pickle)");
  expect(() => new Worker({ app, broker: new FakeTransport(), resultSerializer: 'bson' as never })).toThrow(
    "serializer 'bson': unknown serializer; use one of json, msgpack, yaml",
  );
  expect(() => app.task('tasks.x', () => 1, { compression: 'lzma' })).toThrow(
    "task tasks.x: compression 'lzma': camq cannot write lzma; use one of gzip, zlib, bzip2, bzip, brotli",
  );
});
