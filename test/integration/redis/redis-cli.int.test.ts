import { describe, expect, it } from 'vitest';
import { createTransport } from '../../../src/transport/index.js';
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
      const queues = await runBin('camq', ['-b', REDIS_URL, 'queues', '--json']);
      expect(queues.code, queues.stderr).toBe(0);
      // Redis cannot count consumers: the workers that answer active_queues are counted instead.
      expect((JSON.parse(queues.stdout) as { queues: unknown[] }).queues).toContainEqual(expect.objectContaining({ name: 'h6.cli', consumers: 1 }));
      expect(queues.stderr).toContain('Redis has no management API');
    } finally {
      await worker.stop();
    }
  });

  it('camq queues shows the ready count of each priority list and the unacked messages with their age', async () => {
    const transport = await createTransport(REDIS_URL).connect();
    try {
      const channel = await transport.openChannel();
      for (const priority of [0, 0, 0, 4, 9]) channel.publish('', 'h14.list', Buffer.from('{}'), { contentType: 'application/json', priority });
      await channel.assertQueue('h14.list');
      // One taken and held: unacked, from the priority-0 list.
      expect(await channel.get('h14.list', { noAck: false })).not.toBe(false);
      const args = ['-b', `${REDIS_URL}?visibility_timeout=120`, 'queues', '-Q', 'h14.list', 'h14.list'];
      const json = await runBin('camq', [...args, '--json']);
      expect(json.code, json.stderr).toBe(0);
      const [row] = (JSON.parse(json.stdout) as { queues: Record<string, unknown>[] }).queues;
      expect(row).toMatchObject({
        name: 'h14.list',
        ready: 4,
        unacked: 1,
        visibilityTimeoutS: 120,
        readyByPriority: [
          { priority: 0, count: 2 },
          { priority: 3, count: 1 },
          { priority: 6, count: 0 },
          { priority: 9, count: 1 },
        ],
      });
      expect(row!['oldestUnackedMs']).toBeGreaterThanOrEqual(0);
      expect(row!['oldestUnackedMs']).toBeLessThan(20_000);
      const text = await runBin('camq', args);
      expect(text.stdout).toMatch(/ready\s+unacked\s+oldest unacked\s+consumers/);
      expect(text.stdout).toMatch(/h14\.list\s+-\s+4 \(0:2 3:1 9:1\)\s+1\s+\d+s of 2m\s/);
      await channel.close();
    } finally {
      await transport.close();
      await redis.flushdb();
    }
  });
});
