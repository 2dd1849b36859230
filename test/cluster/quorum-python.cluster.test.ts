/**
 * Python Celery 5.2 on a quorum queue of the cluster (docs/rabbitmq-cluster.md): as shipped its worker's consumer is
 * refused with 540 (global QoS); with the NoGlobalQoS bootstep (test/fixtures/celery_app/quorum_qos.py) it
 * runs tasks a client sent through `task_queues` with `x-queue-type: quorum`. `camq queues` then shows the queue's type,
 * leader and members.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BrokerConnection } from '../../src/amqp/index.js';
import { FIXTURE_DIR, startPythonWorker, usePythonCelery, type PythonWorker } from '../helpers/python-celery.js';
import { useRabbitmqCluster } from '../helpers/rabbitmq-cluster.js';
import { runBin } from '../helpers/run-bin.js';

const run = promisify(execFile);
const cluster = useRabbitmqCluster();
const python = cluster ? await usePythonCelery('the Python quorum-queue tests are skipped') : false;
const QUEUE = 'camq-cluster-py-quorum';

describe.skipIf(!cluster || !python)('Python Celery 5.2 on a quorum queue of the cluster', () => {
  const c = cluster!;
  const workers: PythonWorker[] = [];
  const env = { CAMQ_TEST_QUEUE: QUEUE };

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    const conn = new BrokerConnection({ url: c.urlList() });
    await conn.connect();
    const ch = await conn.openChannel();
    await ch.deleteQueue(QUEUE);
    await ch.deleteExchange(QUEUE);
    await conn.close();
  });

  it('is refused with 540 as shipped, and runs tasks with the NoGlobalQoS bootstep; camq queues shows type, leader and members', async () => {
    // The control case: the fixture's app without the bootstep, for 15 s (it retries the refused consumer meanwhile).
    const shipped = await run(
      '/usr/bin/python3',
      ['-m', 'celery', '-A', 'quorum_tasks', 'worker', '-n', 'py-global@cluster', '-c', '1', '-Q', QUEUE, '--without-mingle', '--without-gossip'],
      {
        cwd: FIXTURE_DIR,
        env: { ...process.env, ...env, CAMQ_TEST_GLOBAL_QOS: '1', CAMQ_TEST_BROKER_URL: c.urlList([2, 3, 1]), C_FORCE_ROOT: '1' },
        timeout: 15_000,
        killSignal: 'SIGKILL',
      },
    ).then(
      (done) => `${done.stdout}${done.stderr}`,
      (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
    );
    expect(shipped).toMatch(/\(540\) NOT_IMPLEMENTED - queue 'camq-cluster-py-quorum' in vhost '\/' does not support global qos/);

    const worker = await startPythonWorker({
      brokerUrl: c.urlList([2, 3, 1]),
      app: 'quorum_tasks',
      nodename: 'py-quorum@cluster',
      queues: QUEUE,
      concurrency: 2,
      env,
    });
    workers.push(worker);
    const { stdout } = await run(
      '/usr/bin/python3',
      ['-c', 'import quorum_tasks\nfrom tasks import add\nprint(sum(r.get(timeout=30) for r in [add.delay(i, i) for i in range(20)]))'],
      { cwd: FIXTURE_DIR, env: { ...process.env, ...env, PYTHONPATH: FIXTURE_DIR, CAMQ_TEST_BROKER_URL: c.url(3) }, timeout: 60_000 },
    );
    expect(stdout.trim()).toBe(String(2 * ((19 * 20) / 2)));
    expect(worker.output()).not.toContain('global qos');

    const listed = await runBin('camq', ['-b', c.urlList(), 'queues', '--json']);
    expect(listed.code).toBe(0);
    const doc = JSON.parse(listed.stdout) as { queues: { name: string; type: string; leader: string; members: number }[] };
    const row = doc.queues.find((q) => q.name === QUEUE);
    expect(row).toMatchObject({ type: 'quorum', members: 3 });
    expect(c.numbers().map((n) => c.nodeName(n))).toContain(row!.leader);
    const table = await runBin('camq', ['-b', c.urlList(), 'queues']);
    expect(table.stdout).toMatch(/type\s+leader\s+members/);
    expect(table.stdout).toMatch(new RegExp(`${QUEUE}\\s+quorum\\s+${c.info.name}\\d@localhost\\s+3\\s`));
  });
});
