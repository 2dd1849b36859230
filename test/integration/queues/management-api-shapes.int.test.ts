/**
 * The embedded broker's management API against RabbitMQ 3.10's, live and side by side: the same operations on a queue
 * of each, then every field the embedded broker answers must be in RabbitMQ's answer with the same type (the
 * queue list, one queue, the overview, the error bodies of 404 and 401). The captured copy of RabbitMQ's answers
 * is held to the same in test/unit/broker/management-json.test.ts.
 */
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBrokerHandle } from '../../../src/broker/embedded.js';
import { parseBrokerUrl } from '../../../src/transport/index.js';
import { RABBITMQ_URL, useRabbitmq, useRabbitmqManagementApi } from '../../helpers/brokers.js';
import { shapeDifferences, shapeOf } from '../../helpers/json-shape.js';

const hasRabbitmq = (await useRabbitmq()) && (await useRabbitmqManagementApi());

describe.skipIf(!hasRabbitmq)('management API shapes: embedded broker against RabbitMQ 3.10', () => {
  const queue = `camq-test-${randomUUID().slice(0, 8)}`;
  const rabbit = parseBrokerUrl(RABBITMQ_URL);
  const rabbitApi = `http://${rabbit.hostname}:15672`;
  let embedded: EmbeddedBrokerHandle;
  const closers: (() => Promise<void>)[] = [];

  const get = async (base: string, path: string, auth = 'guest:guest') => {
    const res = await fetch(`${base}/api/${path}`, { headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } });
    return { status: res.status, body: await res.json() };
  };

  /** The same traffic on both: 5 published, a consumer holding 2 unacked, 1 taken by basic.get and acked. */
  const exercise = async (url: string) => {
    const conn = await amqp.connect(url);
    const ch = await conn.createChannel();
    await ch.assertQueue(queue, { durable: false });
    for (let i = 0; i < 5; i++) ch.sendToQueue(queue, Buffer.from(`m${i}`));
    const got = await vi.waitFor(async () => {
      const m = await ch.get(queue);
      expect(m).not.toBe(false);
      return m as amqp.GetMessage;
    });
    ch.ack(got);
    const consumer = await conn.createChannel();
    await consumer.prefetch(2);
    await consumer.consume(queue, () => {});
    closers.push(async () => {
      await ch.deleteQueue(queue);
      await conn.close();
    });
  };

  beforeAll(async () => {
    embedded = await startEmbeddedBroker({ port: 0, managementPort: 0 });
    await exercise(RABBITMQ_URL);
    await exercise(embedded.url);
  });

  afterAll(async () => {
    for (const close of closers) await close();
    await embedded.close();
  });

  it('lists a queue with the same field names and types', async () => {
    const vhost = encodeURIComponent(rabbit.vhost);
    // Both sample every 5 s: wait until each shows the traffic (RabbitMQ adds message_stats once sampled).
    const [theirs, ours] = await vi.waitFor(
      async () => {
        const pick = async (base: string, v: string) =>
          ((await get(base, `queues/${v}`)).body as { name: string }[]).find((q) => q.name === queue) as Record<string, unknown> | undefined;
        const both = [await pick(rabbitApi, vhost), await pick(embedded.apiUrl!, '%2F')];
        for (const q of both)
          expect(q).toMatchObject({ messages_ready: 2, messages_unacknowledged: 2, consumers: 1, message_stats: { deliver_get: 3 } });
        return both as [Record<string, unknown>, Record<string, unknown>];
      },
      { timeout: 20_000, interval: 1000 },
    );
    expect(shapeDifferences(shapeOf(ours), shapeOf(theirs))).toEqual([]);
    const one = async (base: string, v: string) => (await get(base, `queues/${v}/${queue}`)).body;
    expect(shapeDifferences(shapeOf(await one(embedded.apiUrl!, '%2F')), shapeOf(await one(rabbitApi, vhost)))).toEqual([]);
  });

  it('answers the overview, an unknown queue and a bad login in the same shapes', async () => {
    const [theirs, ours] = [(await get(rabbitApi, 'overview')).body, (await get(embedded.apiUrl!, 'overview')).body] as Record<string, unknown>[];
    const listenerShape = (o: Record<string, unknown>) => shapeOf({ ...(o['listeners'] as object[])[0], socket_opts: 0 });
    expect(shapeDifferences(shapeOf({ ...ours, listeners: 0 }), shapeOf({ ...theirs, listeners: 0 }))).toEqual([]);
    expect(shapeDifferences(listenerShape(ours!), listenerShape(theirs!))).toEqual([]);

    for (const [path, auth] of [
      [`queues/${encodeURIComponent(rabbit.vhost)}/camq-test-absent`, 'guest:guest'],
      ['overview', 'guest:wrong'],
    ] as const) {
      const r = await get(rabbitApi, path, auth);
      const e = await get(embedded.apiUrl!, path.replace(encodeURIComponent(rabbit.vhost), '%2F'), auth);
      expect(e).toEqual(r);
    }
  });

  it("answers an exchange's bindings (what celeryctl reads for the live mailboxes) exactly as RabbitMQ does", async () => {
    const exchange = `camq-test-fanout-${randomUUID().slice(0, 8)}`;
    const bindings = async (url: string, base: string, vhost: string) => {
      const conn = await amqp.connect(url);
      const ch = await conn.createChannel();
      try {
        await ch.assertExchange(exchange, 'fanout', { durable: false });
        await ch.bindQueue(queue, exchange, '');
        await ch.bindQueue(queue, exchange, 'a/b');
        const answer = await get(base, `exchanges/${encodeURIComponent(vhost)}/${exchange}/bindings/source`);
        const unknown = await get(base, `exchanges/${encodeURIComponent(vhost)}/camq-test-absent/bindings/source`);
        return { answer: { ...answer, body: (answer.body as { vhost: string }[]).map((b) => ({ ...b, vhost: 'v' })) }, unknown };
      } finally {
        await ch.deleteExchange(exchange);
        await conn.close();
      }
    };
    const theirs = await bindings(RABBITMQ_URL, rabbitApi, rabbit.vhost);
    const ours = await bindings(embedded.url, embedded.apiUrl!, '/');
    expect(theirs.answer.body).toHaveLength(2);
    expect(ours).toEqual(theirs);
  });
});
