/**
 * `camq queues purge --task` and `camq queues move --task` on Redis (docs/redis-protocol.md, "camq queues on Redis"),
 * on tasks a Python Celery 5.2 client sent with priorities: the selected messages go, the others stay byte for byte
 * in their priority list and order, and a purge killed between its take and its ack loses nothing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisTransport, restoreVisible, type RedisChannel } from '../../../src/redis/index.js';
import { runPython, usePythonCelery } from '../../helpers/python-celery.js';
import { REDIS_URL, testRedisDatabase, useRedis } from '../../helpers/redis.js';
import { runBin } from '../../helpers/run-bin.js';

const ok = (await useRedis()) && (await usePythonCelery('the Redis filtered purge/move tests are skipped'));
const SEP = '\x06\x16';
const Q = 'h14f';
const lists = (queue: string) => [queue, `${queue}${SEP}3`, `${queue}${SEP}6`, `${queue}${SEP}9`];
const isTask = (name: string) => (raw: string) => (JSON.parse(raw) as { headers: { task: string } }).headers.task === name;

describe.skipIf(!ok)('filtered purge and move on Redis', () => {
  const redis = testRedisDatabase({ flushBeforeEach: true });
  let dir: string;
  let before: string[][];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'camq-redis-filtered-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    // Eight tasks, two names, over three priority lists (0, 3 and 9).
    await runPython(
      REDIS_URL,
      [
        'from tasks import add, echo',
        'for i, (task, p) in enumerate([(add, 0), (echo, 0), (add, 0), (echo, 4), (add, 4), (echo, 9), (add, 9), (add, 0)]):',
        "    (task.apply_async((i, i), queue='h14f', priority=p) if task is add else task.apply_async((i,), queue='h14f', priority=p))",
      ].join('\n'),
    );
    before = await Promise.all(lists(Q).map((l) => redis.lrange(l, 0, -1)));
    expect(before.map((l) => l.length)).toEqual([4, 2, 0, 2]);
  });

  it('purge --task takes only that task’s messages and leaves the others untouched, in their lists and order', async () => {
    const dry = await runBin('camq', ['-b', REDIS_URL, 'queues', 'purge', Q, '--task', 'tasks.echo', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ scanned: 8, removed: 3, kept: 5 });
    expect(await Promise.all(lists(Q).map((l) => redis.lrange(l, 0, -1)))).toEqual(before);

    const file = join(dir, 'purged.jsonl');
    const r = await runBin('camq', ['-b', REDIS_URL, 'queues', 'purge', Q, '--task', 'tasks.echo', '--save', file, '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ scanned: 8, removed: 3, kept: 5 });
    // The kept ones are the very same elements (not re-pushed, not marked redelivered), in the same order.
    expect(await Promise.all(lists(Q).map((l) => redis.lrange(l, 0, -1)))).toEqual(before.map((l) => l.filter((raw) => !isTask('tasks.echo')(raw))));
    const saved = (await readFile(file, 'utf8')).trim().split('\n');
    expect(saved).toHaveLength(3);
    expect(saved.every((line) => line.includes('tasks.echo'))).toBe(true);
    expect(await redis.exists('unacked', 'unacked_index')).toBe(0);
  }, 30_000);

  it('move --task moves that task’s messages into the same priority lists, in order; the others stay', async () => {
    const r = await runBin('camq', ['-b', REDIS_URL, 'queues', 'move', Q, `${Q}.to`, '--task', 'tasks.add']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/5 messages moved from 'h14f' to 'h14f\.to', 3 left in 'h14f'/);
    const isAdd = isTask('tasks.add');
    expect(await Promise.all(lists(Q).map((l) => redis.lrange(l, 0, -1)))).toEqual(before.map((l) => l.filter((raw) => !isAdd(raw))));
    expect(await Promise.all(lists(`${Q}.to`).map((l) => redis.lrange(l, 0, -1)))).toEqual(before.map((l) => l.filter(isAdd)));
  }, 30_000);

  it('a purge killed between taking and acking loses nothing: any consumer restores what it took', async () => {
    const transport = new RedisTransport({ url: `${REDIS_URL}?visibility_timeout=1` });
    await transport.connect();
    try {
      const stored = transport.storedQueues;
      const echoes = (await stored.snapshot(Q)).filter((m) => m.delivery.properties.headers?.['task'] === 'tasks.echo');
      expect(await stored.take(echoes)).toHaveLength(3);
      // Taken again (a second purge racing the first): already gone from the lists, so none is taken twice.
      expect(await stored.take(echoes)).toHaveLength(0);
      // The purge dies here, before its ack: the three wait in kombu's unacked keeping, not in the lists.
      expect(await redis.hlen('unacked')).toBe(3);
      expect((await Promise.all(lists(Q).map((l) => redis.llen(l)))).reduce((a, b) => a + b)).toBe(5);
      await new Promise((r) => setTimeout(r, 1100));
      const consumer = (await transport.openChannel()) as RedisChannel;
      expect(await restoreVisible(consumer)).toBe(3);
      const after = await Promise.all(lists(Q).map((l) => redis.lrange(l, 0, -1)));
      // Back in the priority list each came from (kombu's restore routes by its priority).
      expect(after.map((l) => l.filter(isTask('tasks.echo')).length)).toEqual([1, 1, 0, 1]);
      expect(after.map((l) => l.length)).toEqual([4, 2, 0, 2]);
      expect(await redis.exists('unacked', 'unacked_index')).toBe(0);
      await consumer.close();
    } finally {
      await transport.close();
    }
  }, 30_000);
});
