/**
 * The short form of the 10,000-task kill run (scripts/cluster-10k.mjs, docs/rabbitmq-cluster.md): 400 tasks on a
 * quorum queue, half published with confirms by Python Celery 5.2 (`confirm_publish`) and half by
 * CamqApp({ confirm: true }), run by two camq workers with --acks-late on different nodes; the node under one worker
 * is killed (SIGKILL of its beam) once 40 % ran, and started again. Every task runs at least once (counted from what
 * the tasks record), the duplicates are counted, and both workers resume within a generous bound.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BrokerConnection } from '../../src/amqp/index.js';
import { CamqApp } from '../../src/worker/index.js';
import { startCamqWorker, type CamqWorker } from '../helpers/camq-worker.js';
import { PYTHON, usePythonCelery } from '../helpers/python-celery.js';
import { useRabbitmqCluster } from '../helpers/rabbitmq-cluster.js';

const run = promisify(execFile);
const cluster = useRabbitmqCluster();
const python = cluster ? await usePythonCelery('the kill run is skipped') : false;
const QUEUE = 'camq-cluster-kill-run';
const TASK = 'killrun.record';
const TOTAL = 400;

describe.skipIf(!cluster || !python)('400 tasks on a quorum queue across a node kill', () => {
  const c = cluster!;
  const dir = mkdtempSync(join(tmpdir(), 'camq-kill-run-'));
  let workers: CamqWorker[] = [];

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    const conn = new BrokerConnection({ url: c.urlList([3, 2, 1]) });
    await conn.connect();
    const ch = await conn.openChannel();
    await ch.deleteQueue(QUEUE);
    await ch.deleteExchange(QUEUE);
    await conn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every task runs at least once, duplicates are counted, both workers resume', async () => {
    const module = join(dir, 'record.mjs');
    writeFileSync(
      module,
      `import { appendFileSync } from 'node:fs';
export default (app) => {
  app.queue(${JSON.stringify(QUEUE)}, { type: 'quorum' });
  app.task(${JSON.stringify(TASK)}, async (n) => {
    await new Promise((r) => setTimeout(r, 20));
    appendFileSync(process.env.KILL_RUN_FILE, n + ' ' + Date.now() + '\\n');
    return n;
  });
};
`,
    );
    // The queue's leader on node 3, which stays up (a quorum queue's leader is the declaring node's by default).
    const setup = new BrokerConnection({ url: c.url(3) });
    await setup.connect();
    const ch = await setup.openChannel();
    await ch.assertExchange(QUEUE, 'direct', { durable: true });
    await ch.assertQueue(QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await ch.bindQueue(QUEUE, QUEUE, QUEUE);
    await setup.close();

    const files = { w1: join(dir, 'w1.log'), w2: join(dir, 'w2.log') };
    for (const f of Object.values(files)) writeFileSync(f, '');
    const common = { module, queues: QUEUE, args: ['-c', '2', '--acks-late'] };
    // w1 on node 1 (killed below), w2 on node 2.
    workers = await Promise.all([
      startCamqWorker({ ...common, brokerUrl: c.urlList([1, 2, 3]), nodename: 'k1@cluster', env: { KILL_RUN_FILE: files.w1 } }),
      startCamqWorker({ ...common, brokerUrl: c.urlList([2, 3, 1]), nodename: 'k2@cluster', env: { KILL_RUN_FILE: files.w2 } }),
    ]);
    const recorded = (file: string) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ').map(Number) as [number, number]);

    const half = TOTAL / 2;
    const pythonHalf = run(
      PYTHON,
      [
        '-c',
        `import os
from kombu import Exchange, Queue
from celery import Celery
app = Celery('p', broker=os.environ['B'])
app.conf.broker_transport_options = {'confirm_publish': True}
q = ${JSON.stringify(QUEUE)}
app.conf.task_queues = [Queue(q, Exchange(q, type='direct'), routing_key=q, queue_arguments={'x-queue-type': 'quorum'})]
with app.producer_or_acquire() as producer:
    for n in range(${half}):
        app.send_task(${JSON.stringify(TASK)}, args=[n], queue=q, producer=producer)
`,
      ],
      { env: { ...process.env, B: c.urlList([3, 2, 1]) }, timeout: 120_000 },
    );
    const app = new CamqApp({ broker: c.urlList([3, 2, 1]), confirm: true });
    app.queue(QUEUE, { type: 'quorum' });
    const record = app.taskOf(TASK);
    const camqHalf = (async () => {
      try {
        await Promise.all(Array.from({ length: half }, (_, k) => record.applyAsync({ args: [half + k], queue: QUEUE, ignoreResult: true })));
      } finally {
        await app.close();
      }
    })();

    const runs = () => {
      const rows = [...recorded(files.w1), ...recorded(files.w2)];
      return { rows, distinct: new Set(rows.map(([n]) => n)) };
    };
    const deadline = Date.now() + 120_000;
    while (runs().distinct.size < TOTAL * 0.4) {
      if (Date.now() > deadline) throw new Error(`only ${runs().distinct.size} tasks ran before the kill`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const killedAt = Date.now();
    let reconnectedAt: number | undefined;
    await c.killNode(1);
    try {
      await workers[0]!.waitForLog(/Connected to amqp:\/\/guest:\*\*@127\.0\.0\.1:\d+\/\/[\s\S]*Connected to/, 30_000);
      reconnectedAt = Date.now();
      while (runs().distinct.size < TOTAL) {
        if (Date.now() > deadline) throw new Error(`timed out with ${runs().distinct.size} of ${TOTAL} tasks run`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await Promise.all([pythonHalf, camqHalf]);
    } finally {
      await c.startNode(1);
    }
    const { rows, distinct } = runs();
    // Resumed: the first task recorded after the kill, for w1 after its reconnect (a task it was running when its node
    // died and recorded just after does not count).
    const firstAfter = (file: string, from: number) =>
      Math.min(
        ...recorded(file)
          .filter(([, at]) => at > from)
          .map(([, at]) => at),
      ) - killedAt;
    const resumed = { w1: firstAfter(files.w1, reconnectedAt ?? killedAt), w2: firstAfter(files.w2, killedAt) };
    const duplicates = rows.length - distinct.size;
    console.log(
      `kill run: ${TOTAL} tasks, ${distinct.size} ran, ${duplicates} duplicates, w1 reconnected ${(reconnectedAt ?? killedAt) - killedAt} ms after the kill, resumed after it (ms): ${JSON.stringify(resumed)}`,
    );
    expect(distinct.size).toBe(TOTAL);
    expect([...distinct].every((n) => n >= 0 && n < TOTAL)).toBe(true);
    // At least once, not many times: redeliveries are bounded by what was unacked at the kill (prefetch windows).
    expect(duplicates).toBeLessThan(TOTAL / 4);
    expect(resumed.w1).toBeLessThan(30_000);
    expect(resumed.w2).toBeLessThan(30_000);
  });
});
