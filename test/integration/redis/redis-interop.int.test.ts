/**
 * camq and Python Celery 5.2.6 on the same Redis database (docs/redis-protocol.md): Python's tools operate and watch
 * a camq worker, celeryctl operates a Python worker and leaves nothing behind, results go through Celery's Redis
 * backend, and a camq worker killed with SIGKILL loses none of the acks-late tasks it held.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startCamqWorker } from '../../helpers/camq-worker.js';
import { runCeleryCli, runPython, startPythonWorker, usePythonCelery } from '../../helpers/python-celery.js';
import { REDIS_URL, allKeys, redisClient, testRedisDatabase, useRedis } from '../../helpers/redis.js';
import { runBin } from '../../helpers/run-bin.js';

const ok = (await useRedis()) && (await usePythonCelery('the Redis interop tests are skipped'));
const BACKEND = { CAMQ_TEST_RESULT_BACKEND: REDIS_URL };

/** Every binding-set member, by set: what must look the same before and after a command. */
async function bindings(redis: Redis): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const key of await allKeys(redis)) if (key.startsWith('_kombu.binding.')) out[key] = (await redis.smembers(key)).sort();
  return out;
}

describe.skipIf(!ok)('camq and Python Celery 5.2 on Redis', () => {
  const redis = testRedisDatabase({ flushBeforeEach: true });

  it("answers a Python client's add.delay(2, 2).get() through the Redis result backend, and Python's inspect and events see the camq worker", async () => {
    const worker = await startCamqWorker({ brokerUrl: REDIS_URL, queues: 'celery', args: ['--result-backend', REDIS_URL] });
    try {
      const out = await runPython(REDIS_URL, 'from tasks import add\nprint(add.delay(2, 2).get(timeout=20))', { env: BACKEND });
      expect(out.trim()).toBe('4');
      const metaKeys = (await allKeys(redis)).filter((k) => k.startsWith('celery-task-meta-'));
      expect(metaKeys).toHaveLength(1);
      expect(await redis.ttl(metaKeys[0]!)).toBeGreaterThan(3000);
      const stored = JSON.parse((await redis.get(metaKeys[0]!))!) as Record<string, unknown>;
      expect(stored).toMatchObject({ status: 'SUCCESS', result: 4 });

      const ping = await runCeleryCli(REDIS_URL, ['inspect', 'ping', '-t', '3', '-d', worker.nodename]);
      expect(ping.stdout).toMatch(new RegExp(`->\\s+${worker.nodename}: OK`));
      expect(ping.stdout).toContain('pong');
      const queues = await runCeleryCli(REDIS_URL, ['inspect', 'active_queues', '-t', '3', '-d', worker.nodename]);
      expect(queues.stdout).toContain("'name': 'celery'");
      const rate = await runCeleryCli(REDIS_URL, ['control', 'rate_limit', 'tasks.add', '5/s', '-t', '3', '-d', worker.nodename]);
      expect(rate.stdout).toContain('new rate limit set successfully');

      // Events travel by pub/sub: `events --dump` hears the worker's heartbeats (every 2 s).
      const dump = await runCeleryCli(REDIS_URL, ['events', '--dump'], { timeoutMs: 5000 });
      expect(dump.stdout).toContain(worker.nodename);
      expect(dump.stdout).toMatch(/worker-heartbeat|heartbeat/);
    } finally {
      await worker.stop();
    }
    // A clean stop takes the mailbox's binding with it.
    expect(await redis.smembers('_kombu.binding.celery.pidbox')).toEqual([]);
  });

  // `npm test` carries a short form (24 runs); CAMQ_TEST_CTL_RUNS=200 is the full count (run for its note).
  const ctlRuns = Number(process.env['CAMQ_TEST_CTL_RUNS'] ?? 24);
  it(`celeryctl operates a Python worker on Redis, ${ctlRuns} runs leaving no key and no binding member behind`, async () => {
    const py = await startPythonWorker({ brokerUrl: REDIS_URL, nodename: 'pyw-redis@%h', queues: 'celery', events: true });
    try {
      const first = await runBin('celeryctl', ['-b', REDIS_URL, 'inspect', 'ping', '-t', '2']);
      expect(first.stdout).toMatch(/-> pyw-redis@\S+: OK pong/);
      const stats = await runBin('celeryctl', ['-b', REDIS_URL, 'inspect', 'stats', '-t', '2']);
      expect(stats.stdout).toContain('pid');
      const keysBefore = await allKeys(redis);
      const before = await bindings(redis);
      const commands = [
        ['inspect', 'ping'],
        ['inspect', 'active'],
        ['inspect', 'registered'],
      ];
      for (let batch = 0; batch < Math.ceil(ctlRuns / 8); batch++) {
        const runs = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            runBin('celeryctl', ['-b', REDIS_URL, ...commands[(batch * 8 + i) % commands.length]!, '-t', '0.3', '--wait-all']),
          ),
        );
        for (const r of runs) expect(r.stdout, r.stderr).toMatch(/pyw-redis@/);
      }
      expect(await allKeys(redis)).toEqual(keysBefore);
      expect(await bindings(redis)).toEqual(before);
    } finally {
      await py.stop();
    }
  }, 240_000);

  it('a camq worker killed with SIGKILL holding 100 acks-late tasks loses none: after the visibility timeout another runs them all', async () => {
    const url = `${REDIS_URL}?visibility_timeout=4`;
    const ids = await runPython(REDIS_URL, 'from tasks import sleep\nprint(" ".join(sleep.delay(0.2).id for _ in range(100)))', { env: BACKEND });
    const taskIds = ids.trim().split(' ');
    expect(taskIds).toHaveLength(100);
    const doomed = await startCamqWorker({
      brokerUrl: url,
      queues: 'celery',
      args: ['--acks-late', '--prefetch-multiplier', '0', '-c', '1', '--result-backend', REDIS_URL],
    });
    // Wait until it holds them all (prefetch unlimited), then kill it without a chance to give anything back.
    const deadline = Date.now() + 15_000;
    while ((await redis.llen('celery')) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await doomed.stop('SIGKILL');
    const held = await redis.hlen('unacked');
    expect(held).toBeGreaterThan(80);
    const rescuer = await startCamqWorker({ brokerUrl: url, queues: 'celery', args: ['--acks-late', '-c', '20', '--result-backend', REDIS_URL] });
    try {
      const end = Date.now() + 45_000;
      let done = 0;
      while (Date.now() < end) {
        done = (await allKeys(redis)).filter((k) => k.startsWith('celery-task-meta-')).length;
        if (done === 100 && (await redis.hlen('unacked')) === 0) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const metas = await Promise.all(taskIds.map((id) => redis.get(`celery-task-meta-${id}`)));
      expect(metas.filter((m) => m !== null && m.includes('"SUCCESS"'))).toHaveLength(100);
      expect(await redis.hlen('unacked')).toBe(0);
      expect(await redis.llen('celery')).toBe(0);
    } finally {
      await rescuer.stop();
    }
  }, 120_000);
});

describe.skipIf(!ok)('ETA on Redis', () => {
  it('a task held for its ETA past the visibility timeout runs once, not again on another worker', async () => {
    const redis = redisClient();
    await redis.connect();
    await redis.flushdb();
    const url = `${REDIS_URL}?visibility_timeout=2`;
    const a = await startCamqWorker({ brokerUrl: url, queues: 'celery', args: ['--result-backend', REDIS_URL] });
    const b = await startCamqWorker({ brokerUrl: url, queues: 'celery', args: ['--result-backend', REDIS_URL] });
    try {
      const id = (await runPython(REDIS_URL, 'from tasks import add\nprint(add.apply_async((1, 2), countdown=6).id)')).trim();
      const end = Date.now() + 20_000;
      while (Date.now() < end && (await redis.get(`celery-task-meta-${id}`)) === null) await new Promise((r) => setTimeout(r, 200));
      expect(await redis.get(`celery-task-meta-${id}`)).toContain('"SUCCESS"');
      await new Promise((r) => setTimeout(r, 3000)); // past another visibility timeout: nothing may run it again
      const received = [a, b].map((w) => (w.output().match(new RegExp(`Task tasks.add\\[${id}\\] received`, 'g')) ?? []).length);
      expect(received.reduce((x, y) => x + y, 0)).toBe(1);
    } finally {
      await a.stop();
      await b.stop();
      await redis.flushdb();
      redis.disconnect();
    }
  }, 60_000);
});
