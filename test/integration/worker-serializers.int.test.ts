/**
 * Serializers, compression and priorities with Python Celery 5 as the peer (issue 17, "Must show"), on RabbitMQ
 * and the embedded broker: Python clients call a camq worker in msgpack, yaml, gzip, bzip2, brotli and zstd, a camq
 * client calls a Python worker the same ways less zstd (which camq reads and does not write), and the results are
 * equal on both sides; pickle is still refused. Then a queue with `x-max-priority` holding 100 tasks, run by a
 * worker that takes one at a time, runs the high-priority ones first, in the same order on both brokers.
 */
import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CamqApp } from '../../src/worker/index.js';
import { brokerTargets, describeBrokers } from '../helpers/brokers.js';
import { deleteQueues, startCamqWorker, type CamqWorker } from '../helpers/camq-worker.js';
import { runPython, startPythonWorker, usePythonCelery, type PythonWorker } from '../helpers/python-celery.js';

const hasPython = await usePythonCelery('the serializer interop tests are skipped', {
  msgpack: 'python3-msgpack',
  yaml: 'python3-yaml',
  brotli: 'python3-brotli',
  zstandard: 'python3-zstandard',
});
const targets = hasPython ? await brokerTargets({ embedded: 'child-process' }) : [];
const FIXTURE = 'test/fixtures/worker/tasks.js';

/** A value every serializer carries: a large integer, a float, a unicode string, a YAML 1.1 trap ('yes'), nulls. */
const VALUE = { n: 2 ** 40, f: 1.5, s: 'yes', u: 'ünï ✓', l: [1, null, true, 'no'], d: { nested: [-3] } };
/** Each way of sending: [serializer, compression]. */
const WAYS = [
  ['msgpack', null],
  ['yaml', null],
  ['json', 'gzip'],
  ['json', 'bzip2'],
  ['msgpack', 'gzip'],
  ['yaml', 'bzip2'],
  ['json', 'brotli'],
] as const;
/** And what camq reads but does not write: Python clients send these too. */
const PYTHON_WAYS = [...WAYS, ['msgpack', 'zstd']] as const;
const ACCEPT = 'json,msgpack,yaml';

describeBrokers('serializers and compression with Python Celery', targets, ({ url }) => {
  const camqQueue = `camq-test-${randomUUID()}`;
  const pyQueue = `camq-test-${randomUUID()}`;
  let camqWorker: CamqWorker;
  let pyWorker: PythonWorker;

  beforeAll(async () => {
    [camqWorker, pyWorker] = await Promise.all([
      startCamqWorker({ brokerUrl: url, module: FIXTURE, queues: camqQueue, args: ['--accept-content', ACCEPT, '--result-serializer', 'msgpack'] }),
      startPythonWorker({
        brokerUrl: url,
        nodename: `py-${randomUUID().slice(0, 8)}@%h`,
        queues: pyQueue,
        env: { CAMQ_TEST_ACCEPT: ACCEPT, CAMQ_TEST_RESULT_SERIALIZER: 'yaml' },
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([camqWorker?.stop(), pyWorker?.stop()]);
    await deleteQueues(url, [camqQueue, pyQueue]);
  });

  /** A Python client calls tasks.echo on `queue` every way (PYTHON_WAYS); its results as JSON, one per way. */
  const pythonCalls = async (queue: string): Promise<unknown[]> => {
    const out = await runPython(
      url,
      [
        'import json',
        'from tasks import app, echo',
        `app.conf.accept_content = ${JSON.stringify(ACCEPT.split(','))}`,
        `value = json.loads(${JSON.stringify(JSON.stringify(VALUE))})`,
        `ways = json.loads(${JSON.stringify(JSON.stringify(PYTHON_WAYS))})`,
        `rs = [echo.apply_async((value,), queue=${JSON.stringify(queue)}, serializer=s, compression=c) for s, c in ways]`,
        'print(json.dumps([r.get(timeout=30) for r in rs]))',
      ].join('\n'),
    );
    return JSON.parse(out) as unknown[];
  };

  /** The camq client calls tasks.echo on `queue` every way. */
  const camqCalls = async (queue: string): Promise<unknown[]> => {
    const app = new CamqApp({ broker: url, defaultQueue: queue });
    try {
      const echo = app.task('tasks.echo', (value: unknown) => value);
      const results = await Promise.all(
        WAYS.map(([serializer, compression]) => echo.applyAsync({ args: [VALUE], serializer, ...(compression ? { compression } : {}) })),
      );
      return await Promise.all(results.map((r) => r.get({ timeout: 30 })));
    } finally {
      await app.close();
    }
  };

  it('Python clients call the camq worker in msgpack, yaml, gzip, bzip2, brotli and zstd: every result equals the value sent', async () => {
    expect(await pythonCalls(camqQueue)).toEqual(PYTHON_WAYS.map(() => VALUE));
  });

  it('the camq client calls the Python worker the same ways, and gets the same results', async () => {
    const fromPython = await camqCalls(pyQueue);
    expect(fromPython).toEqual(WAYS.map(() => VALUE));
    // And the camq client gets the same from the camq worker (results in msgpack there, yaml from Python).
    expect(await camqCalls(camqQueue)).toEqual(fromPython);
  });

  it('a msgpack+gzip task called in JSON by Python retries in its own serializer, and the result is equal', async () => {
    const out = await runPython(
      url,
      [
        'import json',
        'from tasks import app',
        `app.conf.accept_content = ${JSON.stringify(ACCEPT.split(','))}`,
        `value = json.loads(${JSON.stringify(JSON.stringify(VALUE))})`,
        `r = app.send_task('tasks.echo_packed', (value,), queue=${JSON.stringify(camqQueue)})`,
        'print(json.dumps(r.get(timeout=30)))',
      ].join('\n'),
    );
    // The retried run saw the gzip the retry was sent with (the first delivery was plain JSON).
    expect(JSON.parse(out)).toEqual([VALUE, 1, 'application/x-gzip']);
  });

  it('a pickled task is still refused, with one line, and the worker goes on', async () => {
    const id = await runPython(
      url,
      `from tasks import add\nprint(add.apply_async((1, 2), queue=${JSON.stringify(camqQueue)}, serializer='pickle', ignore_result=True).id)`,
    ).then((s) => s.trim());
    await camqWorker.waitForLog(/Refusing to deserialize untrusted content of type pickle \(application\/x-python-serialize\)/);
    expect(camqWorker.output()).not.toContain(`Task tasks.add[${id}] received`);
    expect(await pythonCalls(camqQueue)).toHaveLength(PYTHON_WAYS.length);
  });
});

describeBrokers('priorities on an x-max-priority queue', targets, ({ url }) => {
  const queue = `camq-test-${randomUUID()}`;
  let worker: CamqWorker | undefined;
  afterAll(async () => {
    await worker?.stop();
    await deleteQueues(url, [queue]);
  });

  it('100 tasks queued, a worker with prefetch 1 runs the high-priority ones first, each level in send order', async () => {
    // The queue is declared with x-max-priority before anything sends to it, as a Python service's task_queues does.
    const connection = await amqplib.connect(url);
    const channel = await connection.createChannel();
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-max-priority': 10 } });
    const app = new CamqApp({ broker: url, defaultQueue: queue });
    const echo = app.task('tasks.echo', (value: unknown) => value);
    const priorityOf = (i: number) => (i % 3 === 0 ? 9 : i % 3 === 1 ? 0 : 5);
    for (let i = 0; i < 100; i++) await echo.applyAsync({ args: [i], priority: priorityOf(i), ignoreResult: true });
    await app.close();
    for (let tries = 0; (await channel.checkQueue(queue)).messageCount < 100 && tries < 50; tries++) await new Promise((r) => setTimeout(r, 100));
    await connection.close();

    worker = await startCamqWorker({ brokerUrl: url, module: FIXTURE, queues: queue, args: ['-c', '1', '--prefetch-multiplier', '1'] });
    for (let tries = 0; worker.count(/Task tasks\.echo\[[0-9a-f-]+\] succeeded/) < 100 && tries < 300; tries++)
      await new Promise((r) => setTimeout(r, 100));
    const ran = [...worker.output().matchAll(/Task tasks\.echo\[[0-9a-f-]+\] succeeded in [\d.e-]+s: (\d+)/g)].map((m) => Number(m[1]));
    const indices = Array.from({ length: 100 }, (_, i) => i);
    const expected = [9, 5, 0].flatMap((p) => indices.filter((i) => priorityOf(i) === p));
    expect(ran).toEqual(expected);
  });
});
