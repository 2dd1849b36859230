/**
 * `celeryctl inspect active_queues` with each queue's depth from the management API, on both brokers: RabbitMQ's API
 * (found from the broker URL) and the embedded broker's (given as CAMQ_API_URL). Both sample every 5 s, so the
 * depths are polled until they show. Without an API the output is the one celeryctl always printed, no slower.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { CamqApp } from '../../../src/worker/app.js';
import { closedPortUrl } from '../../helpers/bad-http-peer.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { deleteQueues, startCamqWorker, type CamqWorker } from '../../helpers/camq-worker.js';
import { runBin } from '../../helpers/run-bin.js';

const targets = await brokerTargets({ management: true });
const NOTHING_LISTENS = await closedPortUrl();

describeBrokers('celeryctl inspect active_queues with queue depths', targets, ({ url, apiUrl }) => {
  const queue = `camq-test-depth-${randomUUID().slice(0, 8)}`;
  let worker: CamqWorker;
  let caller: CamqApp;
  const env = apiUrl === undefined ? {} : { CAMQ_API_URL: apiUrl };

  beforeAll(async () => {
    // One slot, one prefetched message: a long task runs and the rest wait, ready, in the queue.
    worker = await startCamqWorker({ brokerUrl: url, queues: queue, args: ['-c', '1', '--prefetch-multiplier', '1'] });
    caller = new CamqApp({ broker: url });
    for (let i = 0; i < 5; i++) await caller.taskOf('tasks.sleep').applyAsync({ args: [30], queue, ignoreResult: true });
  });

  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await caller?.close();
    await deleteQueues(url, [queue]);
  });

  it('adds ready, unacked and consumers to the table when the API answers; --json keeps Celery’s shape', async () => {
    const args = ['-b', url, 'inspect', 'active_queues', '-d', worker.nodename];
    await vi.waitFor(
      async () => {
        const { stdout, code } = await runBin('celeryctl', args, { env });
        expect(code).toBe(0);
        expect(stdout).toMatch(/│ queue\s+│ exchange\s+│ type\s+│ routing key\s+│ worker\s+│ ready │ unacked │ consumers │/);
        // The running task was acked as it started (Celery acks early); the one prefetched behind it is unacked; three wait.
        expect(stdout).toMatch(new RegExp(`│ ${queue}\\s+│.*│ 3\\s+│ 1\\s+│ 1\\s+│`));
      },
      { timeout: 20_000, interval: 1000 },
    );
    const json = await runBin('celeryctl', [...args, '--json'], { env });
    const { replies } = JSON.parse(json.stdout) as { replies: Record<string, { name: string }[]> };
    expect(Object.keys(replies)).toEqual([worker.nodename]);
    expect(replies[worker.nodename]!.map((q) => q.name)).toEqual([queue]);
  });

  it('prints the table without depths, as fast, when no API answers', async () => {
    const { stdout, code, ms } = await runBin('celeryctl', ['-b', url, 'inspect', 'active-queues', '-d', worker.nodename, '-t', '3'], {
      env: { CAMQ_API_URL: NOTHING_LISTENS },
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/│ queue\s+│ exchange\s+│ type\s+│ routing key\s+│ worker\s+│\n/);
    expect(stdout).not.toContain('ready');
    // -d returns once the worker answered: the API's refusal costs nothing on top.
    expect(ms).toBeLessThan(2500);
  });
});
