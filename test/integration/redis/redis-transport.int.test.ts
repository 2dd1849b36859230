import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisClaims, RedisTransport, claimKey, restoreVisible, type RedisChannel } from '../../../src/redis/index.js';
import { createTransport, type Delivery, type TransportChannel } from '../../../src/transport/index.js';
import { REDIS_URL, allKeys, redisClient, useRedis } from '../../helpers/redis.js';

const run = promisify(execFile);
const available = await useRedis();

function collect(): { got: Delivery[]; handler: (m: Delivery | null) => void; wait: (n: number, ms?: number) => Promise<void> } {
  const got: Delivery[] = [];
  return {
    got,
    handler: (m) => {
      if (m) got.push(m);
    },
    wait: async (n, ms = 5000) => {
      const end = Date.now() + ms;
      while (got.length < n) {
        if (Date.now() > end) throw new Error(`only ${got.length} of ${n} messages arrived`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

const body = (d: Delivery) => d.content.toString('utf8');

/** Consume with acks and a prefetch until that many are held, and a moment more, so that more than that would show. */
async function consumeHeld(channel: TransportChannel, queue: string, prefetch: number): Promise<ReturnType<typeof collect>> {
  const c = collect();
  await channel.prefetch(prefetch);
  await channel.consume(queue, c.handler, { noAck: false });
  await c.wait(prefetch);
  await new Promise((r) => setTimeout(r, 200));
  return c;
}

describe.skipIf(!available)('RedisTransport on a real Redis (kombu 5.2 wire format)', () => {
  let redis: Redis;
  let transport: RedisTransport;
  let channel: TransportChannel;

  beforeAll(async () => {
    redis = redisClient();
    await redis.connect();
  });
  afterAll(() => redis.disconnect());
  beforeEach(async () => {
    await redis.flushdb();
    transport = createTransport(REDIS_URL) as RedisTransport;
    await transport.connect();
    channel = await transport.openChannel();
  });
  afterEach(async () => {
    await transport.close();
    await redis.flushdb();
  });

  it('is chosen by createTransport for redis:// and says what the server is', () => {
    expect(transport).toBeInstanceOf(RedisTransport);
    expect(transport.serverProperties['product']).toBe('Redis');
    expect(String(transport.serverProperties['version'])).toMatch(/^\d+\.\d+/);
  });

  it('stores messages in priority lists and serves priority 0 first, FIFO within a priority', async () => {
    for (const [text, priority] of [
      ['p9', 9],
      ['p0a', 0],
      ['p5', 5],
      ['p0b', 0],
    ] as const) {
      channel.publish('', 'h6.q', Buffer.from(text), { priority, contentType: 'text/plain' });
    }
    await channel.waitForConfirms();
    expect(await redis.llen('h6.q')).toBe(2);
    expect(await redis.llen('h6.q\x06\x163')).toBe(1);
    expect(await redis.llen('h6.q\x06\x169')).toBe(1);
    expect((await channel.checkQueue('h6.q')).messageCount).toBe(4);
    const c = collect();
    await channel.consume('h6.q', c.handler, { noAck: true });
    await c.wait(4);
    expect(c.got.map(body)).toEqual(['p0a', 'p0b', 'p5', 'p9']);
    expect(c.got[0]!.properties.contentType).toBe('text/plain');
  });

  it('binds through _kombu.binding.<exchange>, routes direct publishes by it, and removes the member on unbind and delete', async () => {
    await channel.assertExchange('h6.direct', 'direct');
    await channel.assertQueue('h6.a');
    await channel.bindQueue('h6.a', 'h6.direct', 'ka');
    await channel.bindQueue('h6.b', 'h6.direct', 'ka');
    expect((await redis.smembers('_kombu.binding.h6.direct')).sort()).toEqual(['ka\x06\x16\x06\x16h6.a', 'ka\x06\x16\x06\x16h6.b']);
    const returned: string[] = [];
    channel.on('return', (r) => returned.push(r.fields.routingKey));
    channel.publish('h6.direct', 'ka', Buffer.from('x'));
    channel.publish('h6.direct', 'nobody', Buffer.from('y'), { mandatory: true });
    await channel.waitForConfirms();
    expect(await redis.llen('h6.a')).toBe(1);
    expect(await redis.llen('h6.b')).toBe(1);
    expect(returned).toEqual(['nobody']);
    const stored = JSON.parse((await redis.lindex('h6.a', 0))!) as { properties: { delivery_info: unknown; delivery_tag: string } };
    expect(stored.properties.delivery_info).toEqual({ exchange: 'h6.direct', routing_key: 'ka' });
    expect(stored.properties.delivery_tag).toMatch(/^[0-9a-f-]{36}$/);
    await channel.unbindQueue('h6.b', 'h6.direct', 'ka');
    expect(await channel.deleteQueue('h6.a')).toEqual({ messageCount: 1 });
    expect(await redis.smembers('_kombu.binding.h6.direct')).toEqual([]);
    await channel.purgeQueue('h6.b');
    expect(await allKeys(redis)).toEqual([]);
  });

  it('routes topic exchanges by kombu patterns', async () => {
    await channel.assertExchange('h6.topic', 'topic');
    await channel.bindQueue('h6.t', 'h6.topic', 'task.#');
    expect(await redis.smembers('_kombu.binding.h6.topic')).toEqual(['task.#\x06\x16^task\\..*?$\x06\x16h6.t']);
    channel.publish('h6.topic', 'task.succeeded', Buffer.from('1'));
    channel.publish('h6.topic', 'worker.online', Buffer.from('2'));
    await channel.waitForConfirms();
    expect(await redis.lrange('h6.t', 0, -1)).toHaveLength(1);
  });

  it('delivers fanout exchanges by PUBLISH on /{db}.{exchange} and celeryev as fanout, with nothing stored', async () => {
    const other = await transport.openChannel();
    await other.assertExchange('celeryev', 'topic');
    await other.assertQueue('h6.ev', { autoDelete: true });
    await other.bindQueue('h6.ev', 'celeryev', '#');
    const c = collect();
    await other.consume('h6.ev', c.handler, { noAck: true });
    const db = transport.settings.db;
    const channels = await redis.pubsub('NUMPAT');
    expect(Number(channels)).toBeGreaterThanOrEqual(1);
    await channel.assertExchange('celeryev', 'topic');
    channel.publish('celeryev', 'worker.heartbeat', Buffer.from('{"type":"worker-heartbeat"}'), { contentType: 'application/json' });
    await c.wait(1);
    expect(c.got[0]!.fields).toMatchObject({ exchange: 'celeryev', routingKey: 'worker.heartbeat' });
    expect(await redis.exists(`/${db}.celeryev/worker.heartbeat`)).toBe(0);
    expect(await redis.smembers('_kombu.binding.celeryev')).toEqual(['#\x06\x16\x06\x16h6.ev']);
    // The auto-delete queue's binding goes with its channel.
    await other.close();
    expect(await allKeys(redis)).toEqual([]);
  });

  it("keeps kombu's ack emulation: unacked + unacked_index while held, gone on ack, restored on close", async () => {
    channel.publish('', 'h6.acks', Buffer.from('one'));
    channel.publish('', 'h6.acks', Buffer.from('two'));
    await channel.waitForConfirms();
    const c = await consumeHeld(channel, 'h6.acks', 1);
    expect(c.got).toHaveLength(1); // prefetch 1
    expect(await redis.hlen('unacked')).toBe(1);
    expect(await redis.zcard('unacked_index')).toBe(1);
    const [tag] = await redis.hkeys('unacked');
    const record = JSON.parse((await redis.hget('unacked', tag!))!) as unknown[];
    expect(record.slice(1)).toEqual(['', 'h6.acks']);
    channel.ack(c.got[0]!);
    await c.wait(2);
    expect(body(c.got[1]!)).toBe('two');
    await channel.close();
    // 'two' was still held: the close put it back, marked redelivered.
    expect(await redis.hlen('unacked')).toBe(0);
    const back = JSON.parse((await redis.lindex('h6.acks', 0))!) as { headers: Record<string, unknown> };
    expect(back.headers['redelivered']).toBe(true);
    const ch2 = await transport.openChannel();
    const again = await ch2.get('h6.acks', { noAck: true });
    expect(again && again.fields.redelivered).toBe(true);
  });

  it('takes more than one message per round trip within the prefetch, in order, each recorded in unacked until acked', async () => {
    for (let i = 0; i < 25; i++) channel.publish('', 'h10.batch', Buffer.from(String(i)));
    await channel.waitForConfirms();
    const c = await consumeHeld(channel, 'h10.batch', 10);
    expect(c.got.map(body)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(await redis.hlen('unacked')).toBe(10);
    expect(await redis.zcard('unacked_index')).toBe(10);
    expect(await redis.llen('h10.batch')).toBe(15);
    channel.ack(c.got[9]!, true);
    await c.wait(20);
    channel.ack(c.got[19]!, true);
    await c.wait(25);
    channel.ack(c.got[24]!, true);
    expect(c.got.map(body)).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
    await channel.close();
    expect(await redis.hlen('unacked')).toBe(0);
    expect(await redis.zcard('unacked_index')).toBe(0);
    expect(await redis.llen('h10.batch')).toBe(0);
  });

  it('takes and records in one script: each envelope is in unacked as kombu writes it, anything else is left to the caller', async () => {
    channel.publish('', 'h12.take', Buffer.from('a'));
    await channel.waitForConfirms();
    await redis.lpush('h12.take', 'not an envelope');
    channel.publish('', 'h12.take', Buffer.from('b'));
    await channel.waitForConfirms();
    const raws = (await redis.lrange('h12.take', 0, -1)).reverse();
    const client = transport.requireClient();
    const [taken, recorded] = await client.takeAndHold('h12.take', 'unacked', 'unacked_index', 10, 1_800_000_000, '1');
    expect(taken).toEqual(raws);
    expect(recorded).toEqual([1, 0, 1]);
    const unacked = await redis.hgetall('unacked');
    expect(Object.keys(unacked)).toHaveLength(2);
    for (const raw of [raws[0]!, raws[2]!]) {
      const tag = (JSON.parse(raw) as { properties: { delivery_tag: string } }).properties.delivery_tag;
      expect(JSON.parse(unacked[tag]!)).toEqual([JSON.parse(raw), '', 'h12.take']);
      expect(await redis.zscore('unacked_index', tag)).toBe('1800000000');
    }
    // Without acks (noAck) it only takes.
    channel.publish('', 'h12.take', Buffer.from('c'));
    await channel.waitForConfirms();
    expect((await client.takeAndHold('h12.take', 'unacked', 'unacked_index', 10, 1, '0'))[1]).toEqual([0]);
    expect(await redis.hlen('unacked')).toBe(2);
  });

  it('keeps a broken message (not a kombu envelope) aside in _camq.broken.<queue>, with one log line for a burst, and goes on', async () => {
    const lines: string[] = [];
    const own = new RedisTransport({ url: REDIS_URL, log: (line) => lines.push(line) });
    await own.connect();
    try {
      const ch = await own.openChannel();
      await redis.lpush('h11.broken', 'not json at all', '{"body": 1}', '[1, 2]');
      ch.publish('', 'h11.broken', Buffer.from('fine'));
      await ch.waitForConfirms();
      const c = collect();
      const { consumerTag } = await ch.consume('h11.broken', c.handler, { noAck: false });
      await c.wait(1);
      expect(c.got.map(body)).toEqual(['fine']);
      ch.ack(c.got[0]!);
      // Nothing lost, in the order they were taken (LPUSH: the newest at the head), and nothing left in the queue.
      expect(await redis.lrange('_camq.broken.h11.broken', 0, -1)).toEqual(['[1, 2]', '{"body": 1}', 'not json at all']);
      expect(await redis.llen('h11.broken')).toBe(0);
      expect(await redis.hlen('unacked')).toBe(0);
      // Three broken messages, one line (rate-limited), naming the queue and where they went.
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/queue 'h11\.broken' is not a kombu envelope \(not JSON .*\); kept in the list '_camq\.broken\.h11\.broken'/);
      // get() sets one aside the same way and returns the next good one.
      await ch.cancel(consumerTag);
      await redis.lpush('h11.broken', 'also broken');
      ch.publish('', 'h11.broken', Buffer.from('next'));
      await ch.waitForConfirms();
      const got = await ch.get('h11.broken', { noAck: true });
      expect(got && body(got)).toBe('next');
      expect(await redis.llen('_camq.broken.h11.broken')).toBe(4);
    } finally {
      await own.close();
    }
  });

  it('reconnects after the server drops its connection, with backoff, and runs its setup hooks again', async () => {
    const name = `camq-test-reconnect-${process.pid}-${Date.now()}`;
    const own = new RedisTransport({ url: REDIS_URL, reconnect: true, connectionName: name, backoff: { initialMs: 50, maxMs: 100 } });
    const events: string[] = [];
    own.on('disconnected', (e) => events.push(`disconnected ${e.code}`));
    own.on('reconnecting', (r) => events.push(`reconnecting ${r.attempt} ${r.wasConnected}`));
    own.on('connected', (c) => events.push(`connected ${c.isReconnect}`));
    let setups = 0;
    await own.connect();
    try {
      await own.addSetup(() => void setups++);
      expect(setups).toBe(1);
      // Only this transport's own connection, found by its name: other clients of the server are left alone.
      const id = /(?:^|\n)id=(\d+) [^\n]* name=([^ ]+)/g;
      const list = String(await redis.call('CLIENT', 'LIST'));
      const ids = [...list.matchAll(id)].filter((m) => m[2] === name).map((m) => m[1]!);
      expect(ids).toHaveLength(1);
      const back = new Promise<void>((resolve) => own.on('connected', (c) => c.isReconnect && resolve()));
      await redis.call('CLIENT', 'KILL', 'ID', ids[0]!);
      await back;
      expect(events).toEqual(['connected false', 'disconnected broker.lost', 'reconnecting 1 true', 'connected true']);
      expect(setups).toBe(2);
      const ch = await own.openChannel();
      ch.publish('', 'h14.back', Buffer.from('after'));
      await ch.waitForConfirms();
      expect(await redis.llen('h14.back')).toBe(1);
    } finally {
      await own.close();
    }
  });

  it('restores entries older than the visibility timeout, and never those a live channel holds', async () => {
    const short = new RedisTransport({ url: `${REDIS_URL}?visibility_timeout=1` });
    await short.connect();
    try {
      const holder = await short.openChannel();
      holder.publish('', 'h6.vt', Buffer.from('held'));
      await holder.waitForConfirms();
      const c = collect();
      await holder.consume('h6.vt', c.handler, { noAck: false });
      await c.wait(1);
      // A dead worker's entry: taken 10 s ago and never acked.
      const dead = JSON.stringify({
        body: Buffer.from('orphan').toString('base64'),
        headers: {},
        properties: { body_encoding: 'base64', delivery_tag: 'dead-1', delivery_info: { exchange: '', routing_key: 'h6.orphan' }, priority: 0 },
      });
      await redis.hset('unacked', 'dead-1', `[${dead}, "", "h6.orphan"]`);
      await redis.zadd('unacked_index', Date.now() / 1000 - 10, 'dead-1');
      // Past the visibility timeout: the consuming channel's own restore loop (kombu's restore_visible) put the
      // orphan back; the entry the holder keeps fresh stayed.
      await new Promise((r) => setTimeout(r, 1600));
      const restorer = (await short.openChannel()) as RedisChannel;
      expect(await restoreVisible(restorer)).toBe(0);
      const back = await restorer.get('h6.orphan', { noAck: true });
      expect(back && body(back)).toBe('orphan');
      expect(back && back.fields.redelivered).toBe(true);
      expect(await redis.hkeys('unacked')).toHaveLength(1); // the live holder's
      expect(await redis.exists('unacked_mutex')).toBe(0);
      holder.ack(c.got[0]!);
      await holder.close();
      expect(await allKeys(redis)).toEqual([]);
    } finally {
      await short.close();
    }
  });

  it('meets Python kombu 5.2 on the same database both ways', async () => {
    await channel.assertExchange('h6.py', 'direct');
    await channel.bindQueue('h6.py', 'h6.py', 'h6.py');
    const py = `
import json, sys
from kombu import Connection, Exchange, Queue
url = sys.argv[1]
with Connection(url) as conn:
    q = Queue('h6.py', Exchange('h6.py', 'direct'), 'h6.py')
    with conn.Producer() as p:
        p.publish({'from': 'python'}, exchange=q.exchange, routing_key='h6.py', declare=[q], priority=0)
    got = []
    with conn.Consumer(Queue('h6.fromjs', Exchange('h6.fromjs', 'direct'), 'h6.fromjs'), callbacks=[lambda b, m: (got.append((b, m.properties.get('priority'), m.headers)), m.ack())]):
        conn.drain_events(timeout=10)
    print(json.dumps(got))
`;
    await channel.assertExchange('h6.fromjs', 'direct');
    await channel.bindQueue('h6.fromjs', 'h6.fromjs', 'h6.fromjs');
    channel.publish('h6.fromjs', 'h6.fromjs', Buffer.from('{"from": "camq"}'), {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      priority: 4,
      headers: { k: 'v' },
    });
    await channel.waitForConfirms();
    const { stdout } = await run('/usr/bin/python3', ['-c', py, REDIS_URL], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual([[{ from: 'camq' }, 4, { k: 'v' }]]);
    const c = collect();
    await channel.consume('h6.py', c.handler, { noAck: false });
    await c.wait(1);
    expect(JSON.parse(body(c.got[0]!))).toEqual({ from: 'python' });
    channel.ack(c.got[0]!);
    await channel.deleteQueue('h6.py');
    await channel.deleteQueue('h6.fromjs');
    await channel.close();
    expect(await redis.hlen('unacked')).toBe(0);
  });

  it('holds an exclusive claim for one owner at a time: renewed while held, free a lease after its holder died, lost to a takeover', async () => {
    const other = createTransport(REDIS_URL) as RedisTransport;
    await other.connect();
    const lostA: string[] = [];
    const a = new RedisClaims(transport, 300);
    const b = new RedisClaims(other, 300);
    const held = await a.claim('x', 'A', (reason) => lostA.push(reason));
    expect(held).not.toBeNull();
    expect(await b.claim('x', 'B', () => {})).toBeNull();
    await new Promise((r) => setTimeout(r, 700)); // past two leases: only the renewals keep it
    expect(await redis.get(claimKey('x'))).toBe('A');
    expect(await b.claim('x', 'B', () => {})).toBeNull();
    // The holder's connection goes without a release: renewing stops, and the name is free once the lease ends.
    await transport.close();
    await new Promise((r) => setTimeout(r, 150));
    expect(lostA).toEqual(['the connection to Redis was lost']);
    const lostB: string[] = [];
    const deadline = Date.now() + 2000;
    let taken = await b.claim('x', 'B', (reason) => lostB.push(reason));
    while (taken === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      taken = await b.claim('x', 'B', (reason) => lostB.push(reason));
    }
    expect(taken).not.toBeNull();
    // Someone else writes the key: the next renewal says so, once.
    await redis.set(claimKey('x'), 'C');
    await new Promise((r) => setTimeout(r, 300));
    expect(lostB).toEqual([`another owner holds '${claimKey('x')}'`]);
    await taken!.release();
    expect(await redis.get(claimKey('x'))).toBe('C');
    await other.close();
    transport = createTransport(REDIS_URL) as RedisTransport; // for afterEach
  });
});
