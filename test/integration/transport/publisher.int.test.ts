/**
 * Publisher on each broker: what the broker would refuse is refused before it leaves (one report per message), and
 * a publish channel the broker closes is reopened for the next message, with one report, no retry loop.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { BrokerConnection } from '../../../src/amqp/broker-connection.js';
import { Publisher } from '../../../src/transport/publisher.js';
import type { CamqError } from '../../../src/errors/index.js';
import type { OutgoingMessage } from '../../../src/protocol/index.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';

describeBrokers('Publisher', await brokerTargets(), ({ url }) => {
  let conn: BrokerConnection;
  const dropped: { message: OutgoingMessage; error: CamqError }[] = [];
  const channelErrors: CamqError[] = [];
  let publisher: Publisher;
  let queue: string;
  const received: string[] = [];

  beforeAll(async () => {
    conn = await new BrokerConnection({ url }).connect();
    publisher = new Publisher({
      connection: conn,
      onDropped: (message, error) => dropped.push({ message, error }),
      onChannelError: (e) => channelErrors.push(e),
    });
    const channel = await conn.createChannel();
    queue = (await channel.assertQueue(`camq-test-publisher-${randomUUID()}`, { autoDelete: true })).queue;
    await channel.consume(queue, (m) => m && received.push(m.content.toString()), { noAck: true });
  });
  afterAll(() => conn.close());
  const message = (body: string, extra: Partial<OutgoingMessage> = {}, expiration?: string): OutgoingMessage => ({
    exchange: '',
    routingKey: queue,
    content: Buffer.from(body),
    properties: { contentType: 'text/plain', ...(expiration === undefined ? {} : { expiration }) },
    ...extra,
  });

  it('refuses an expiration RabbitMQ would close the channel for, once per message, and keeps publishing', async () => {
    dropped.length = 0;
    for (const bad of ['Infinity', '-1', '1.5', '1e3', '315360000001']) expect(await publisher.publish(message(`bad ${bad}`, {}, bad))).toBe(false);
    expect(await publisher.publish(message('good', {}, '315360000000'))).toBe(true);
    await vi.waitFor(() => expect(received).toContain('good'));
    expect(dropped.map((d) => d.error.code)).toEqual(Array(5).fill('publish.bad-expiration'));
    expect(dropped[0]!.error.message).toBe('expiration "Infinity" is not a whole number of milliseconds: RabbitMQ would close the channel for it');
    expect(received.filter((r) => r.startsWith('bad'))).toEqual([]);
    expect(channelErrors).toEqual([]);
  });

  it('refuses a message to an exchange that does not exist, once, and keeps publishing', async () => {
    dropped.length = 0;
    const missing = `camq-test-missing-${randomUUID()}`;
    expect(await publisher.publish(message('lost', { exchange: missing }))).toBe(false);
    expect(await publisher.publish(message('after'))).toBe(true);
    await vi.waitFor(() => expect(received).toContain('after'));
    expect(dropped).toHaveLength(1);
    expect(dropped[0]!.error.message).toBe(`exchange '${missing}' does not exist (404 NOT_FOUND)`);
    expect(channelErrors).toEqual([]);
  });

  it('reopens a publish channel the broker closed (an exchange deleted after it was checked): one report, later messages go out', async () => {
    const exchange = `camq-test-gone-${randomUUID()}`;
    const admin = await conn.createChannel();
    await admin.assertExchange(exchange, 'fanout', { autoDelete: false });
    await admin.bindQueue(queue, exchange, '');
    expect(await publisher.publish(message('via exchange', { exchange }))).toBe(true);
    await vi.waitFor(() => expect(received).toContain('via exchange'));
    await admin.deleteExchange(exchange);
    // Checked and known: this one goes out on the publish channel, and the broker closes that channel for it.
    expect(await publisher.publish(message('to a deleted exchange', { exchange }))).toBe(true);
    await vi.waitFor(() => expect(channelErrors).toHaveLength(1));
    expect(channelErrors[0]!.message).toMatch(/^404 NOT_FOUND - no exchange 'camq-test-gone-.*'/);
    for (let i = 0; i < 20; i++) expect(await publisher.publish(message(`later ${i}`))).toBe(true);
    await vi.waitFor(() => expect(received).toContain('later 19'));
    // The exchange is checked again (it is gone now): refused before it leaves, the channel stays open.
    dropped.length = 0;
    expect(await publisher.publish(message('again', { exchange }))).toBe(false);
    expect(dropped.map((d) => d.error.code)).toEqual(['publish.no-exchange']);
    expect(channelErrors).toHaveLength(1);
    await admin.close();
  });
});
