import { describe, expect, it } from 'vitest';
import { startCamqWorker } from '../../helpers/camq-worker.js';
import { REDIS_URL, testRedisDatabase, useRedis } from '../../helpers/redis.js';
import { runBin } from '../../helpers/run-bin.js';

const ok = await useRedis();

describe.skipIf(!ok)('the bins on a redis:// broker', () => {
  const redis = testRedisDatabase();

  it('camqadm says in one line that it speaks AMQP and points at camq queues', async () => {
    const r = await runBin('camqadm', ['-b', REDIS_URL, 'queue.declare', 'x']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/camqadm speaks AMQP .* is Redis: use `camq queues`/);
  });

  it('camq queues lists a camq worker’s queues with every priority counted', async () => {
    const worker = await startCamqWorker({ brokerUrl: REDIS_URL, queues: 'h6.cli' });
    try {
      for (const list of ['h6.cli', 'h6.cli\x06\x163', 'h6.cli\x06\x169'])
        await redis.lpush(list, JSON.stringify({ body: '', headers: {}, properties: { delivery_tag: 'x', delivery_info: {}, priority: 0 } }));
      // The worker takes them at once (they are not tasks); what is left must be counted over the priority lists.
      const queues = await runBin('camq', ['-b', REDIS_URL, 'queues']);
      expect(queues.code, queues.stderr).toBe(0);
      expect(queues.stdout).toMatch(/h6\.cli/);
      expect(queues.stderr).toContain('Redis has no management API');
    } finally {
      await worker.stop();
    }
  });
});
