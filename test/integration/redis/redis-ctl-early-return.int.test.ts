/**
 * celeryctl's early return on Redis (docs/celeryctl.md, "On Redis"): the broadcast's PUBLISH on `/{db}.celery.pidbox`
 * answers how many subscriptions received it, one per live worker's mailbox (Python's and camq's), so celeryctl
 * waits for that many replies and a short grace instead of its whole `-t`. A worker killed with SIGKILL keeps its
 * `_kombu.binding.celery.pidbox` member, but its subscription died with its connection: it is not waited for.
 */
import { describe, expect, it } from 'vitest';
import { startCamqWorker } from '../../helpers/camq-worker.js';
import { startPythonWorker, usePythonCelery, type PythonWorker } from '../../helpers/python-celery.js';
import { REDIS_URL, testRedisDatabase, useRedis } from '../../helpers/redis.js';
import { runBin } from '../../helpers/run-bin.js';

const ok = (await useRedis()) && (await usePythonCelery('the Redis early-return tests are skipped'));

describe.skipIf(!ok)('celeryctl early return on Redis', () => {
  const redis = testRedisDatabase();

  it('each worker (Python or camq) holds exactly one subscription the pidbox PUBLISH counts', async () => {
    const py = await startPythonWorker({ brokerUrl: REDIS_URL, nodename: 'count-py@%h', queues: 'celery' });
    const camq = await startCamqWorker({ brokerUrl: REDIS_URL, queues: 'celery' });
    try {
      const db = new URL(REDIS_URL).pathname.slice(1) || '0';
      // A request no worker understands (no method): each mailbox receives it, none answers.
      expect(await redis.publish(`/${db}.celery.pidbox`, '{}')).toBe(2);
    } finally {
      await Promise.all([py.stop(), camq.stop()]);
    }
  }, 60_000);

  it('three Python workers answer and celeryctl returns early; after one is SIGKILLed it is not waited for', async () => {
    const workers: PythonWorker[] = await Promise.all(
      [1, 2, 3].map((n) => startPythonWorker({ brokerUrl: REDIS_URL, nodename: `early${n}@%h`, queues: 'celery', concurrency: 1 })),
    );
    try {
      const all = await runBin('celeryctl', ['-b', REDIS_URL, 'inspect', 'ping', '-t', '8']);
      expect(all.stdout, all.stderr).toMatch(/3 nodes online/);
      expect(all.ms).toBeLessThan(5000);

      workers[2]!.process.kill('SIGKILL');
      await new Promise((resolve) => workers[2]!.process.once('exit', resolve));
      // Its mailbox binding stays behind in the set, as kombu leaves it...
      expect((await redis.smembers('_kombu.binding.celery.pidbox')).some((m) => m.includes('early3@'))).toBe(true);
      // ...but nobody listens on its subscription any more: two replies, and no wait for the third.
      const two = await runBin('celeryctl', ['-b', REDIS_URL, 'inspect', 'ping', '-t', '8']);
      expect(two.stdout, two.stderr).toMatch(/2 nodes online/);
      expect(two.stdout).not.toContain('early3@');
      expect(two.ms).toBeLessThan(5000);
      expect(two.stderr).not.toContain('waited the whole');
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  }, 90_000);
});
