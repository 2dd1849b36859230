/**
 * Quorum queues and long ETAs on the machine's RabbitMQ (issue 16; quorum queues work on a single node): the camq
 * worker declares and consumes a quorum queue with per-consumer prefetch, finds out the type of one another client
 * declared, shares one with a Python Celery 5.2 worker (with test/fixtures/celery_app/quorum_qos.py's bootstep), and
 * puts a long-ETA task (sent through the default exchange, as Python 5.2 does) into the broker's delay queues, from
 * which it comes back and runs once, or is discarded when revoked meanwhile. The embedded broker has no
 * dead-lettering: its worker holds long ETAs in memory, with one line saying so.
 */
import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBrokerUrl } from '../../src/amqp/index.js';
import { createTransport } from '../../src/transport/index.js';
import { deleteDelayTopology } from '../../src/worker/delayed-delivery.js';
import { CamqApp } from '../../src/worker/index.js';
import { brokerTargets, rabbitmqManagementProblem, rabbitmqTarget, RABBITMQ_URL, useRabbitmq } from '../helpers/brokers.js';
import { deleteQueues, startCamqWorker, type CamqWorker } from '../helpers/camq-worker.js';
import { runCeleryCli, runPython, startPythonWorker, usePythonCelery, type PythonWorker } from '../helpers/python-celery.js';
import { RabbitmqctlInspector } from '../helpers/rabbitmqctl.js';

const hasRabbit = await useRabbitmq('the quorum queue tests are skipped');
const hasPython = hasRabbit && (await usePythonCelery('the quorum queue tests are skipped'));
const url = RABBITMQ_URL;
const FIXTURE = 'test/fixtures/worker/tasks.js';

/** Python client code with the quorum declaration of `Q` (quorum_qos.use_quorum_queues). */
function py(queue: string, code: string, timeoutMs = 90_000): Promise<string> {
  return runPython(
    url,
    `Q = ${JSON.stringify(queue)}\nfrom tasks import app, add\nfrom quorum_qos import use_quorum_queues\nuse_quorum_queues(app, [Q])\n${code}`,
    {
      timeoutMs,
    },
  );
}

async function onChannel<T>(fn: (ch: amqp.Channel) => Promise<T>): Promise<T> {
  const u = parseBrokerUrl(url);
  const conn = await amqp.connect({ hostname: u.hostname, port: u.port, username: u.username, password: u.password, vhost: u.vhost });
  try {
    const ch = await conn.createChannel();
    const out = await fn(ch);
    await ch.close();
    return out;
  } finally {
    await conn.close();
  }
}

describe.skipIf(!hasPython)('quorum queues on RabbitMQ', () => {
  const inspector = new RabbitmqctlInspector(rabbitmqTarget().vhost);
  const queues: string[] = [];
  const workers: (CamqWorker | PythonWorker)[] = [];
  const newQueue = () => {
    const q = `camq-test-qq-${randomUUID().slice(0, 8)}`;
    queues.push(q);
    return q;
  };

  afterAll(async () => {
    for (const w of workers) await w.stop();
    await deleteQueues(url, queues);
    // The ladder stays on a broker in use (Celery 5.5 and camq share it); a test takes it off again.
    const transport = createTransport(url);
    await transport.connect();
    try {
      await deleteDelayTopology(await transport.openChannel());
    } finally {
      await transport.close();
    }
  });

  it('the worker declares `-Q name:quorum` as a quorum queue and runs what Python and CamqApp send to it', async () => {
    const q = newQueue();
    const worker = await startCamqWorker({ brokerUrl: url, module: FIXTURE, queues: `${q}:quorum`, args: ['-c', '4'] });
    workers.push(worker);
    await worker.waitForLog(new RegExp(`queue ${q} is a quorum queue, which refuses global QoS: prefetch is per consumer`));
    const view = await inspector.queue(q);
    expect(view?.arguments).toMatchObject({ 'x-queue-type': 'quorum' });
    expect((await py(q, `rs = [add.apply_async((i, i), queue=Q) for i in range(20)]\nprint(sum(r.get(timeout=60) for r in rs))`)).trim()).toBe('380');
    const app = new CamqApp({ broker: url });
    app.queue(q, { type: 'quorum' });
    try {
      const results = await Promise.all(
        [1, 2, 3].map((i) => app.taskOf<[number, number], number>('tasks.add').applyAsync({ args: [i, i], queue: q })),
      );
      expect(await Promise.all(results.map((r) => r.get({ timeout: 20 })))).toEqual([2, 4, 6]);
    } finally {
      await app.close();
    }
    const stats = await runCeleryCli(url, ['inspect', 'stats', '-d', worker.nodename, '-j']);
    expect(JSON.parse(stats.stdout)[worker.nodename]).toMatchObject({ prefetch_count: 16 });
    await worker.stop();
    // A refused global QoS closes the channel with 540 NOT_IMPLEMENTED; the bare number would also match ids and results.
    expect(worker.output()).not.toMatch(/NOT[-_]IMPLEMENTED/);
  });

  it('a plain `-Q name` on a quorum queue another client declared: the type comes from the management API, else the refused declare', async () => {
    const q = newQueue();
    await onChannel((ch) => ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'quorum' } }));
    const worker = await startCamqWorker({ brokerUrl: url, module: FIXTURE, queues: q });
    workers.push(worker);
    await worker.waitForLog(/is a quorum queue, which refuses global QoS/);
    // With the management API the type is known before the declare, which then matches; without it the refusal tells.
    const adopted = `queue ${q} exists with other settings than camq declares (inequivalent arg 'x-queue-type'`;
    if ((await rabbitmqManagementProblem()) === null) expect(worker.output()).not.toContain(adopted);
    else expect(worker.output()).toContain(adopted);
    expect((await py(q, `print(add.apply_async((20, 22), queue=Q).get(timeout=30))`)).trim()).toBe('42');
  });

  it('a Python Celery 5.2 worker (with the bootstep) and a camq worker share one quorum queue', async () => {
    const q = newQueue();
    const camq = await startCamqWorker({ brokerUrl: url, module: FIXTURE, queues: `${q}:quorum`, args: ['-c', '2', '--prefetch-multiplier', '1'] });
    workers.push(camq);
    const python = await startPythonWorker({
      brokerUrl: url,
      nodename: `py-${randomUUID().slice(0, 8)}@testhost`,
      queues: q,
      concurrency: 2,
      extraArgs: ['--prefetch-multiplier', '1'],
      env: { CAMQ_TEST_QUORUM_QUEUES: q },
    });
    workers.push(python);
    // tasks.sleep keeps each worker's two slots busy, so both take a share.
    const out = await py(q, `rs = [app.send_task('tasks.sleep', (0.2,), queue=Q) for i in range(24)]\nprint(len([r.get(timeout=60) for r in rs]))`);
    expect(out.trim()).toBe('24');
    const camqRan = (camq.output().match(/Task tasks\.sleep\[[0-9a-f-]+\] succeeded/g) ?? []).length;
    const pythonRan = (python.output().match(/Task tasks\.sleep\[[0-9a-f-]+\] succeeded/g) ?? []).length;
    expect(camqRan + pythonRan).toBe(24);
    expect(camqRan).toBeGreaterThan(0);
    expect(pythonRan).toBeGreaterThan(0);
    expect(python.output()).not.toMatch(/global qos/i);
  });

  it('a long countdown sent through the default exchange waits in the delay queues, then runs once; a revoked one is discarded', async () => {
    const q = newQueue();
    const worker = await startCamqWorker({ brokerUrl: url, module: FIXTURE, queues: `${q}:quorum`, args: ['--eta-delay-after', '2'] });
    workers.push(worker);
    // Python 5.2's way: eta in the message; here routed by the default exchange (exchange '', routing key = the queue).
    const sent = Date.now();
    const ids = (
      await py(
        q,
        `from kombu import Exchange, Queue\nD = Queue(Q, Exchange(''), routing_key=Q, queue_arguments={'x-queue-type': 'quorum'})\n` +
          `a = add.apply_async((3, 4), countdown=12, queue=D, ignore_result=True)\nb = add.apply_async((5, 6), countdown=12, queue=D, ignore_result=True)\nprint(a.id, b.id)`,
      )
    )
      .trim()
      .split(' ');
    const [runs, revoked] = ids as [string, string];
    await worker.waitForLog(new RegExp(`${runs}\\] due at .*: waits in the broker's delay queues`));
    await worker.waitForLog(new RegExp(`${revoked}\\] due at .*: waits in the broker's delay queues`));
    const revoke = await runCeleryCli(url, ['control', 'revoke', revoked, '-d', worker.nodename, '-j']);
    expect(revoke.code, revoke.stderr).toBe(0);
    // Acked and gone from the worker: nothing unacked on the queue, nothing in `scheduled`.
    const view = await inspector.queue(q);
    expect(view?.unacked).toBe(0);
    const scheduled = await runCeleryCli(url, ['inspect', 'scheduled', '-d', worker.nodename, '-j']);
    expect(JSON.parse(scheduled.stdout)[worker.nodename]).toEqual([]);
    await worker.waitForLog(new RegExp(`Task tasks\\.add\\[${runs}\\] succeeded in [\\d.e-]+s: 7`), 30_000);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(11_000);
    await worker.waitForLog(new RegExp(`Discarding revoked task: tasks\\.add\\[${revoked}\\]`), 30_000);
    expect(worker.count(new RegExp(`tasks\\.add\\[${runs}\\] succeeded`))).toBe(1);
  });
});

// The embedded broker takes quorum declares but has no dead-lettering: long ETAs stay in memory, said once.
const embedded = hasRabbit ? (await brokerTargets()).filter((t) => t.name === 'embedded') : [];
describe.skipIf(embedded.length === 0)('long ETAs on the embedded broker', () => {
  it('are held in memory with one line saying why, and run at their time', async () => {
    const target = embedded[0]!;
    const worker = await startCamqWorker({ brokerUrl: target.url, module: FIXTURE, queues: 'celery', args: ['--eta-delay-after', '1'] });
    try {
      const app = new CamqApp({ broker: target.url });
      try {
        const r = await app.taskOf<[number, number], number>('tasks.add').applyAsync({ args: [1, 2], countdown: 3 });
        await worker.waitForLog(/long ETAs stay in memory .*camq's embedded broker has no dead-lettering/);
        expect(await r.get({ timeout: 20 })).toBe(3);
      } finally {
        await app.close();
      }
    } finally {
      await worker.stop();
    }
  });
});
