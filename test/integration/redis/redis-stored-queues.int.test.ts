/**
 * `camq queues` engines on Redis through the transport's StoredQueues (docs/redis-protocol.md, "camq queues on
 * Redis"), with messages a Python Celery 5.2 client sent: length per priority list, a peek that changes nothing
 * (LRANGE), the unacked messages with their age and visibility timeout, purge, a move that keeps priorities, and
 * the queues the server stores.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { moveMessages } from '../../../src/queues/move.js';
import { peekQueue } from '../../../src/queues/peek.js';
import { purgeAll } from '../../../src/queues/purge.js';
import { createTransport, type Transport } from '../../../src/transport/index.js';
import { runPython, usePythonCelery } from '../../helpers/python-celery.js';
import { REDIS_URL, testRedisDatabase, useRedis } from '../../helpers/redis.js';

const ok = (await useRedis()) && (await usePythonCelery('the Redis queue-engine tests are skipped'));
const SEP = '\x06\x16';

describe.skipIf(!ok)('camq queues engines on Redis (StoredQueues)', () => {
  const redis = testRedisDatabase({ flushBeforeEach: true });
  let transport: Transport;

  beforeEach(async () => {
    // Seven tasks from Python: priorities 0, 0, 4, 7, 9 and two more at 5 and 8.
    await runPython(
      REDIS_URL,
      ['from tasks import add', 'for i, p in enumerate([0, 0, 4, 7, 9, 5, 8]):', "    add.apply_async((i, i), queue='h11q', priority=p)"].join('\n'),
    );
    transport = await createTransport(REDIS_URL).connect();
  });

  it('counts per priority list, peeks in serving order without changing anything, and lists unacked messages', async () => {
    const stored = transport.storedQueues!;
    expect(stored).toBeDefined();
    const depth = await stored.depth('h11q');
    expect(depth.total).toBe(7);
    expect(depth.byPriority.map((p) => [p.priority, p.count])).toEqual([
      [0, 2],
      [3, 2],
      [6, 2],
      [9, 1],
    ]);
    const lists = ['h11q', `h11q${SEP}3`, `h11q${SEP}6`, `h11q${SEP}9`];
    const before = await Promise.all(lists.map((l) => redis.lrange(l, 0, -1)));
    const peek = await peekQueue(transport, 'h11q', { count: 10 });
    expect(peek.status.messageCount).toBe(7);
    // Served order on Redis: priority 0 first; FIFO within a list. The task args say which was sent when.
    expect(peek.messages.map((m) => ('args' in m ? (m as { args: unknown }).args : null))).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
      [5, 5],
      [3, 3],
      [6, 6],
      [4, 4],
    ]);
    expect(peek.effects).toMatch(/LRANGE/);
    expect(await Promise.all(lists.map((l) => redis.lrange(l, 0, -1)))).toEqual(before);

    // One taken and held (not acked): listed as unacked for h11q, with its age and the visibility timeout.
    const channel = await transport.openChannel();
    const held = await channel.get('h11q', { noAck: false });
    expect(held).not.toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    const unacked = await stored.unacked('h11q');
    expect(unacked).toHaveLength(1);
    expect(unacked[0]).toMatchObject({ queue: 'h11q', visibilityTimeoutS: 3600 });
    expect(unacked[0]!.ageMs).toBeGreaterThanOrEqual(0);
    expect(unacked[0]!.ageMs).toBeLessThan(5000);
    expect(unacked[0]!.message?.properties.headers?.['task']).toBe('tasks.add');
    expect(await stored.unacked('other')).toEqual([]);
    await channel.close();
    await transport.close();
  }, 30_000);

  it('moves everything with priorities kept, then purges', async () => {
    const moved = await moveMessages(transport, 'h11q', 'h11q.moved');
    expect(moved).toMatchObject({ moved: 7, kept: 0 });
    expect(await redis.exists('h11q', `h11q${SEP}3`, `h11q${SEP}6`, `h11q${SEP}9`)).toBe(0);
    const depth = await transport.storedQueues!.depth('h11q.moved');
    expect(depth.byPriority.map((p) => p.count)).toEqual([2, 2, 2, 1]);
    const peek = await peekQueue(transport, 'h11q.moved', { count: 2 });
    expect(peek.messages.map((m) => (m as { args?: unknown }).args)).toEqual([
      [0, 0],
      [1, 1],
    ]);
    const partial = await moveMessages(transport, 'h11q.moved', 'h11q', { limit: 3 });
    expect(partial.moved).toBe(3);
    expect((await purgeAll(transport, 'h11q.moved')).messageCount).toBe(4);
    expect((await purgeAll(transport, 'h11q')).messageCount).toBe(3);
    // Only the binding set Python's publish declared is left: no list of either queue.
    expect((await redis.keys('*')).filter((k) => !k.startsWith('_kombu.binding.'))).toEqual([]);
    await transport.close();
  }, 30_000);

  it("names every queue stored on the server: with messages and nobody consuming, or bound and empty; not camq's own lists", async () => {
    await redis.sadd('_kombu.binding.h12empty', `h12empty${SEP}${SEP}h12empty`);
    await redis.lpush('_camq.broken.h11q', 'not an envelope');
    const { names, complete } = await transport.storedQueues!.queueNames();
    expect(complete).toBe(true);
    expect(names).toEqual(expect.arrayContaining(['h11q', 'h12empty']));
    expect(names.filter((n) => n.startsWith('_') || n.includes(SEP))).toEqual([]);
    await transport.close();
  });
});
