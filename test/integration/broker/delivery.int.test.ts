/**
 * Conformance: delivery. Same scenarios, same expected results on RabbitMQ (when it answers) and camq's embedded
 * broker: redelivery of unacked messages in their original order (channel close, connection close, nack, reject,
 * recover), prefetch per consumer and per channel (global), basic.get and get-empty, round-robin between
 * consumers, and the broker cancelling a consumer whose queue is deleted.
 */
import type { Channel, ConsumeMessage, GetMessage } from 'amqplib';
import { expect, it, vi } from 'vitest';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { drain, eachSession, Session } from './kit.js';

const targets = await brokerTargets();

/** Long enough for a broker that would over-deliver to have done so. */
const SETTLE_MS = 250;
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

/** `got` reaches `count` messages and, after a settle, holds no more: the broker stopped delivering there. */
async function expectStopsAt(got: readonly unknown[], count: number): Promise<void> {
  await vi.waitFor(() => expect(got).toHaveLength(count));
  await settle();
  expect(got).toHaveLength(count);
}

const view = (m: GetMessage | ConsumeMessage) => `${m.content.toString()}${m.fields.redelivered ? '*' : ''}`;

describeBrokers('delivery', targets, (target) => {
  let session: Session;
  let ch: Channel;
  eachSession(target, (opened) => ({ session, ch } = opened));

  /** A fresh durable=false queue holding `count` messages m1..mN, enqueued for sure (publisher confirms). */
  async function queueWith(count: number, label = 'q'): Promise<string> {
    const queue = session.queue(label);
    const confirm = await session.confirmChannel();
    await confirm.assertQueue(queue, { durable: false });
    for (let i = 1; i <= count; i++) confirm.sendToQueue(queue, Buffer.from(`m${i}`));
    await confirm.waitForConfirms();
    await confirm.close();
    return queue;
  }

  async function consumeUnacked(channel: Channel, queue: string, expected: number): Promise<ConsumeMessage[]> {
    const got: ConsumeMessage[] = [];
    await channel.consume(queue, (m) => m && got.push(m));
    await vi.waitFor(() => expect(got).toHaveLength(expected));
    return got;
  }

  it('unacked messages return in their original order, marked redelivered, when their channel closes', async () => {
    const queue = await queueWith(5);
    const consumer = await session.channel();
    await consumer.prefetch(3);
    expect((await consumeUnacked(consumer, queue, 3)).map(view)).toEqual(['m1', 'm2', 'm3']);
    await consumer.close();
    expect((await drain(ch, queue)).map(view)).toEqual(['m1*', 'm2*', 'm3*', 'm4', 'm5']);
  });

  it('... and when their connection closes', async () => {
    const queue = await queueWith(4);
    const other = await session.connect();
    const consumer = await session.channel(other);
    await consumer.prefetch(2);
    await consumeUnacked(consumer, queue, 2);
    await other.close();
    await vi.waitFor(async () => expect((await ch.checkQueue(queue)).messageCount).toBe(4));
    expect((await drain(ch, queue)).map(view)).toEqual(['m1*', 'm2*', 'm3', 'm4']);
  });

  it('nack and reject requeue in place or drop; ack multiple settles everything up to the tag', async () => {
    const queue = await queueWith(4);
    const got: GetMessage[] = [];
    for (let i = 0; i < 3; i++) got.push((await ch.get(queue)) as GetMessage);
    expect(got.map((m) => m.fields.deliveryTag)).toEqual([1, 2, 3]);
    expect(got.map((m) => m.fields.messageCount)).toEqual([3, 2, 1]);
    ch.nack(got[1]!, false, true);
    ch.reject(got[2]!, false);
    ch.reject(got[0]!, true);
    expect((await drain(ch, queue)).map(view)).toEqual(['m1*', 'm2*', 'm4']);

    const queue2 = await queueWith(3, 'multi');
    const taken: GetMessage[] = [];
    for (let i = 0; i < 3; i++) taken.push((await ch.get(queue2)) as GetMessage);
    ch.ack(taken[1]!, true);
    await ch.close();
    const ch2 = await session.channel();
    expect((await drain(ch2, queue2)).map(view)).toEqual(['m3*']);

    const queue3 = await queueWith(3, 'nack-multi');
    const again: GetMessage[] = [];
    for (let i = 0; i < 3; i++) again.push((await ch2.get(queue3)) as GetMessage);
    ch2.nack(again[1]!, true, true);
    ch2.nack(again[2]!, false, false);
    expect((await drain(ch2, queue3)).map(view)).toEqual(['m1*', 'm2*']);
  });

  it('basic.recover redelivers everything unacked, marked redelivered', async () => {
    const queue = await queueWith(2);
    const got: ConsumeMessage[] = [];
    await ch.consume(queue, (m) => m && got.push(m));
    await vi.waitFor(() => expect(got).toHaveLength(2));
    await ch.recover();
    await vi.waitFor(() => expect(got).toHaveLength(4));
    expect(got.map(view)).toEqual(['m1', 'm2', 'm1*', 'm2*']);
  });

  it('prefetch (global=false) limits each consumer; an ack lets one more through', async () => {
    const queue = await queueWith(5);
    await ch.prefetch(2);
    const got: ConsumeMessage[] = [];
    await ch.consume(queue, (m) => m && got.push(m));
    await expectStopsAt(got, 2);
    ch.ack(got[0]!);
    await expectStopsAt(got, 3);
    expect(got.map(view)).toEqual(['m1', 'm2', 'm3']);
  });

  it('prefetch with global=true (as Celery sends it) is shared by all consumers of the channel', async () => {
    const q1 = await queueWith(5, 'g1');
    const q2 = await queueWith(5, 'g2');
    await ch.prefetch(3, true);
    const got: ConsumeMessage[] = [];
    await ch.consume(q1, (m) => m && got.push(m));
    await ch.consume(q2, (m) => m && got.push(m));
    await expectStopsAt(got, 3);
    ch.ack(got[2]!);
    await vi.waitFor(() => expect(got).toHaveLength(4));
  });

  it('noAck consumers ignore prefetch; consumers of one queue take turns', async () => {
    const queue = await queueWith(0);
    await ch.prefetch(1);
    const a: string[] = [];
    const b: string[] = [];
    await ch.consume(queue, (m) => m && a.push(m.content.toString()), { noAck: true });
    await ch.consume(queue, (m) => m && b.push(m.content.toString()), { noAck: true });
    for (let i = 1; i <= 6; i++) ch.sendToQueue(queue, Buffer.from(`m${i}`));
    await vi.waitFor(() => expect(a.length + b.length).toBe(6));
    expect({ a, b }).toEqual({ a: ['m1', 'm3', 'm5'], b: ['m2', 'm4', 'm6'] });
  });

  it('basic.get: get-empty on an empty queue, message count of what is left, delivery tags per channel', async () => {
    const queue = await queueWith(2);
    const first = (await ch.get(queue, { noAck: true })) as GetMessage;
    expect(first.fields).toMatchObject({ deliveryTag: 1, redelivered: false, exchange: '', routingKey: queue, messageCount: 1 });
    const second = (await ch.get(queue)) as GetMessage;
    expect(second.fields).toMatchObject({ deliveryTag: 2, messageCount: 0 });
    expect(await ch.get(queue)).toBe(false);
    ch.ack(second);
    expect((await ch.checkQueue(queue)).messageCount).toBe(0);
  });

  it('deleting a queue cancels its consumers (consumer_cancel_notify); their channel stays open', async () => {
    const queue = await queueWith(0);
    const consumer = await session.channel();
    const seen: (string | null)[] = [];
    await consumer.consume(queue, (m) => seen.push(m === null ? null : m.content.toString()));
    expect(await ch.deleteQueue(queue)).toEqual({ messageCount: 0 });
    await vi.waitFor(() => expect(seen).toEqual([null]));
    await consumer.checkExchange('amq.direct');
  });

  it('an unknown or already settled delivery tag is 406 on the channel', async () => {
    const queue = await queueWith(1);
    const message = (await ch.get(queue)) as GetMessage;
    ch.ack(message);
    ch.ack(message);
    const error = await new Promise<unknown>((resolve) => ch.once('close', () => resolve(undefined)).once('error', resolve));
    expect(session.reply(error)).toEqual({ code: 406, text: 'PRECONDITION_FAILED - unknown delivery tag 1' });
    expect(await session.channelError(async (c) => c.ack({ fields: { deliveryTag: 7 } } as GetMessage))).toEqual({
      code: 406,
      text: 'PRECONDITION_FAILED - unknown delivery tag 7',
    });
  });
});
