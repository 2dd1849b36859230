/**
 * Conformance: lifetimes and counts. Same scenarios, same expected results on RabbitMQ (when it answers) and
 * camq's embedded broker: message TTL (x-message-ttl, per-message expiration), queue expiry (x-expires),
 * auto-delete queues and exchanges, the counts of declare-ok, purge-ok and delete-ok, and the session from
 * Celery's camqadm documentation done with amqplib.
 */
import type { Channel, ConsumeMessage, GetMessage } from 'amqplib';
import { expect, it, vi } from 'vitest';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { bodies, drain, roundTrip, eachSession, Session } from './kit.js';

const targets = await brokerTargets();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const WAIT = { timeout: 5000, interval: 50 };

describeBrokers('lifecycle', targets, (target) => {
  let session: Session;
  let ch: Channel;
  eachSession(target, (opened) => ({ session, ch } = opened));

  async function exists(queue: string): Promise<boolean> {
    const probe = await session.channel();
    try {
      await probe.checkQueue(queue);
      await probe.close();
      return true;
    } catch {
      return false;
    }
  }

  it('x-message-ttl: messages left in the queue past their TTL are dropped, counts included', async () => {
    const queue = session.queue('ttl');
    await ch.assertQueue(queue, { durable: false, messageTtl: 150 });
    ch.sendToQueue(queue, Buffer.from('m1'));
    ch.sendToQueue(queue, Buffer.from('m2'));
    await roundTrip(ch);
    await vi.waitFor(async () => expect((await ch.checkQueue(queue)).messageCount).toBe(0), WAIT);
    expect(await ch.get(queue)).toBe(false);
  });

  it('expiration: a per-message TTL, capped by the queue TTL; 0 means deliver now or never', async () => {
    const queue = session.queue('expiration');
    await ch.assertQueue(queue, { durable: false });
    ch.sendToQueue(queue, Buffer.from('short'), { expiration: '100' });
    ch.sendToQueue(queue, Buffer.from('long'), { expiration: '60000' });
    ch.sendToQueue(queue, Buffer.from('none'));
    ch.sendToQueue(queue, Buffer.from('zero'), { expiration: '0' });
    await sleep(300);
    expect(bodies(await drain(ch, queue))).toEqual(['long', 'none']);

    const capped = session.queue('capped');
    await ch.assertQueue(capped, { durable: false, messageTtl: 100 });
    ch.sendToQueue(capped, Buffer.from('m'), { expiration: '60000' });
    await roundTrip(ch);
    await vi.waitFor(async () => expect((await ch.checkQueue(capped)).messageCount).toBe(0), WAIT);

    const got: string[] = [];
    await ch.consume(queue, (m) => m && got.push(m.content.toString()), { noAck: true });
    ch.sendToQueue(queue, Buffer.from('zero, but someone is waiting'), { expiration: '0' });
    await vi.waitFor(() => expect(got).toEqual(['zero, but someone is waiting']));
  });

  it('x-expires: an unused queue goes away; consumers and declares (even passive ones) keep it alive', async () => {
    // Probing with a passive declare restarts the countdown, so probes come less often than the expiry.
    const POLL = { timeout: 5000, interval: 500 };
    const idle = session.queue('idle');
    await ch.assertQueue(idle, { durable: false, expires: 200 });
    expect(await exists(idle)).toBe(true);
    await vi.waitFor(async () => expect(await exists(idle)).toBe(false), POLL);

    const probed = session.queue('probed');
    await ch.assertQueue(probed, { durable: false, expires: 400 });
    for (let i = 0; i < 4; i++) {
      await sleep(200);
      expect(await exists(probed)).toBe(true);
    }

    const used = session.queue('used');
    await ch.assertQueue(used, { durable: false, expires: 200 });
    const { consumerTag } = await ch.consume(used, () => {});
    await sleep(600);
    expect(await exists(used)).toBe(true);
    await ch.cancel(consumerTag);
    await vi.waitFor(async () => expect(await exists(used)).toBe(false), POLL);
  });

  it('auto-delete queues go with their last consumer (cancel or channel close), not before one came', async () => {
    const queue = session.queue('auto');
    await ch.assertQueue(queue, { durable: false, autoDelete: true });
    await sleep(100);
    expect(await exists(queue)).toBe(true);
    const other = await session.channel();
    const a = await ch.consume(queue, () => {});
    await other.consume(queue, () => {});
    await ch.cancel(a.consumerTag);
    expect(await exists(queue)).toBe(true);
    await other.close();
    await vi.waitFor(async () => expect(await exists(queue)).toBe(false), WAIT);
  });

  it('auto-delete exchanges go with their last binding, whether unbound or its queue deleted', async () => {
    const exists = async (exchange: string) => {
      const probe = await session.channel();
      return probe.checkExchange(exchange).then(
        () => probe.close().then(() => true),
        () => false,
      );
    };
    const x1 = session.exchange('auto1');
    const x2 = session.exchange('auto2');
    const q = session.queue('bound');
    await ch.assertQueue(q, { durable: false });
    for (const x of [x1, x2]) await ch.assertExchange(x, 'topic', { durable: false, autoDelete: true });
    expect(await exists(x1)).toBe(true);
    await ch.bindQueue(q, x1, 'a.#');
    await ch.bindQueue(q, x1, 'b.#');
    await ch.unbindQueue(q, x1, 'a.#');
    expect(await exists(x1)).toBe(true);
    await ch.unbindQueue(q, x1, 'b.#');
    expect(await exists(x1)).toBe(false);
    await ch.bindQueue(q, x2, '#');
    await ch.deleteQueue(q);
    expect(await exists(x2)).toBe(false);
  });

  it('declare-ok, purge-ok and delete-ok count ready messages, not unacked ones', async () => {
    const queue = session.queue('counts');
    expect(await ch.assertQueue(queue, { durable: false })).toEqual({ queue, messageCount: 0, consumerCount: 0 });
    for (const body of ['m1', 'm2', 'm3', 'm4']) ch.sendToQueue(queue, Buffer.from(body));
    await roundTrip(ch);
    const held = (await ch.get(queue)) as GetMessage;
    const consumer = await session.channel();
    await consumer.prefetch(1);
    const got: ConsumeMessage[] = [];
    await consumer.consume(queue, (m) => m && got.push(m));
    await vi.waitFor(() => expect(got).toHaveLength(1));
    expect(await ch.assertQueue(queue, { durable: false })).toEqual({ queue, messageCount: 2, consumerCount: 1 });
    await consumer.close();
    expect(await ch.purgeQueue(queue)).toEqual({ messageCount: 3 });
    ch.reject(held, true);
    await roundTrip(ch);
    ch.sendToQueue(queue, Buffer.from('m5'));
    expect(await ch.deleteQueue(queue)).toEqual({ messageCount: 2 });
  });

  it("the camqadm session from Celery's docs", async () => {
    // exchange.declare testexchange direct / queue.declare testqueue / queue.bind testqueue testexchange testkey /
    // basic.publish 'This is a message!' testexchange testkey / basic.get testqueue / basic.ack 1 /
    // queue.delete testqueue / exchange.delete testexchange
    const testexchange = session.exchange('testexchange');
    const testqueue = session.queue('testqueue');
    await ch.assertExchange(testexchange, 'direct', { durable: false, autoDelete: false });
    expect(await ch.assertQueue(testqueue, { durable: false, exclusive: false, autoDelete: false })).toEqual({
      queue: testqueue,
      messageCount: 0,
      consumerCount: 0,
    });
    await ch.bindQueue(testqueue, testexchange, 'testkey');
    ch.publish(testexchange, 'testkey', Buffer.from('This is a message!'));
    await roundTrip(ch);
    const message = (await ch.get(testqueue)) as GetMessage;
    expect(message.content.toString()).toBe('This is a message!');
    expect(message.fields).toEqual({ deliveryTag: 1, redelivered: false, exchange: testexchange, routingKey: 'testkey', messageCount: 0 });
    ch.ack(message);
    expect(await ch.deleteQueue(testqueue)).toEqual({ messageCount: 0 });
    await ch.deleteExchange(testexchange);
    expect(await exists(testqueue)).toBe(false);
  });
});
