/**
 * The embedded broker's limits against clients that would exhaust it (issue 9, items 8-11), each on a broker of its
 * own with the limit set low enough to reach quickly. What RabbitMQ does the same way is held to RabbitMQ in the
 * conformance suites (handshake.int.test.ts); these are the embedded broker's own guarantees:
 * - a connection cap, refused with 530 after the login;
 * - a content header announcing a large body reserves nothing until the bytes arrive;
 * - the memory high watermark blocks publishers (connection.blocked) until consumers take messages;
 * - a client that does not read its output stops being read (its returns and get-oks cannot pile up);
 * - guest logs in only from loopback; failed logins from an address are answered one per delay;
 * - names clients send are escaped in log lines.
 */
import { networkInterfaces } from 'node:os';
import amqp, { type ChannelModel, type ConsumeMessage } from 'amqplib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBrokerHandle } from '../../../src/broker/embedded.js';
import type { BrokerServerOptions } from '../../../src/broker/server.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { createLogger } from '../../../src/util/logger.js';
import { queueDeclareFields } from '../../helpers/queue-declare-fields.js';
import { amqplibDefs as defs, RawClient } from './kit.js';

const brokers: EmbeddedBrokerHandle[] = [];
const connections: ChannelModel[] = [];
const raws: RawClient[] = [];

async function broker(options: BrokerServerOptions = {}): Promise<EmbeddedBrokerHandle> {
  const handle = await startEmbeddedBroker({ port: 0, ...options });
  brokers.push(handle);
  return handle;
}

async function connect(url: string): Promise<ChannelModel> {
  const conn = await amqp.connect(url);
  conn.on('error', () => {});
  connections.push(conn);
  return conn;
}

async function raw(url: string, options: { localAddress?: string } = {}): Promise<RawClient> {
  const client = await RawClient.connect(url, options);
  raws.push(client);
  return client;
}

afterEach(async () => {
  for (const client of raws.splice(0)) client.destroy();
  for (const conn of connections.splice(0)) await conn.close().catch(() => {});
  for (const handle of brokers.splice(0)) await handle.close();
});

/** A non-loopback IPv4 address of this machine, if it has one. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a?.family === 'IPv4' && !a.internal)?.address;

const M = (name: string) => defs[name] as number;
function bodyFrame(channel: number, body: Buffer): Buffer {
  const frame = Buffer.alloc(body.length + 8);
  frame[0] = 3;
  frame.writeUInt16BE(channel, 1);
  frame.writeUInt32BE(body.length, 3);
  body.copy(frame, 7);
  frame[frame.length - 1] = 206;
  return frame;
}

/** A logged-in raw client with channel 1 open. */
async function openRaw(url: string, options: { localAddress?: string; capabilities?: Record<string, boolean> } = {}): Promise<RawClient> {
  const client = await raw(url, options);
  expect(await client.login('guest', 'guest', options.capabilities)).toBeDefined();
  expect(await client.open('/', { channelMax: 2047, frameMax: 131072 })).toBeDefined();
  client.send(client.method(1, M('ChannelOpen'), { outOfBand: '' }));
  await client.waitFor(M('ChannelOpenOk'));
  return client;
}

describe('embedded broker limits', () => {
  it('refuses a login beyond --max-connections with 530, and takes connections again when one closes', async () => {
    const { url, server } = await broker({ maxConnections: 3 });
    const open = [await connect(url), await connect(url), await connect(url)];
    await expect(amqp.connect(url)).rejects.toThrow(
      'Handshake terminated by server: 530 (NOT-ALLOWED) with message "NOT_ALLOWED - connection refused: node connection limit (3) is reached"',
    );
    expect(server.openConnectionCount).toBe(3);
    await open[0]!.close();
    await vi.waitFor(() => expect(server.openConnectionCount).toBe(2));
    const again = await connect(url);
    await (await again.createChannel()).checkExchange('amq.direct');
  });

  it('a content header announcing a large body reserves nothing: the body is assembled as it arrives', async () => {
    const { url, server } = await broker();
    const client = await openRaw(url);
    const before = process.memoryUsage().arrayBuffers;
    // Eight channels each announce a 128 MiB body (RabbitMQ's max_message_size) and send none of it.
    for (let ch = 2; ch <= 9; ch++) client.send(client.method(ch, M('ChannelOpen'), { outOfBand: '' }));
    await client.waitForCount(M('ChannelOpenOk'), 9);
    for (let ch = 2; ch <= 9; ch++) {
      client.send(defs.encodeMethod(M('BasicPublish'), ch, { exchange: '', routingKey: 'nowhere', mandatory: false, immediate: false }));
      client.send(defs.encodeProperties(60, ch, 128 * 2 ** 20, {}));
    }
    // A round trip on channel 1 after them: the broker has handled every header by the time it answers.
    client.send(
      client.method(1, M('ExchangeDeclare'), {
        exchange: 'amq.direct',
        type: 'direct',
        passive: true,
        durable: false,
        autoDelete: false,
        internal: false,
        nowait: false,
        arguments: {},
      }),
    );
    await client.waitFor(M('ExchangeDeclareOk'));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
    expect(server.memory.usedBytes).toBeLessThan(2 ** 20);

    // A body sent in many frames arrives whole.
    const conn = await connect(url);
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    const body = Buffer.alloc(1_000_000);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    await ch.close();
    const own = await openRaw(url);
    own.send(defs.encodeMethod(M('QueueDeclare'), 1, queueDeclareFields('big')));
    await own.waitFor(M('QueueDeclareOk'));
    own.send(defs.encodeMethod(M('BasicPublish'), 1, { exchange: '', routingKey: 'big', mandatory: false, immediate: false }));
    own.send(defs.encodeProperties(60, 1, body.length, {}));
    for (let at = 0; at < body.length; at += 100_000) own.send(bodyFrame(1, body.subarray(at, at + 100_000)));
    const reader = await conn.createChannel();
    await vi.waitFor(() => expect(server.listQueues().find((q) => q.name === 'big')?.messages).toBe(1));
    const got = await reader.get('big', { noAck: true });
    expect(got && Buffer.compare(got.content, body)).toBe(0);
    expect(queue).toMatch(/^amq\.gen-/);
  });

  it('the memory high watermark blocks a publisher (connection.blocked) until a consumer drains the queue; nothing is lost', async () => {
    const watermark = 4 * 2 ** 20;
    const { url, server } = await broker({ memoryHighWatermark: { bytes: watermark } });
    const publisher = await connect(url);
    const events: string[] = [];
    publisher.on('blocked', (reason: string) => events.push(`blocked: ${reason}`));
    publisher.on('unblocked', () => events.push('unblocked'));
    const pch = await publisher.createChannel();
    const queue = 'flood';
    await pch.assertQueue(queue, { durable: false });
    const body = Buffer.alloc(64 * 1024, 1);
    // Twice the watermark, published without waiting: the broker must stop reading the publisher half way.
    const total = (2 * watermark) / body.length;
    for (let i = 0; i < total; i++) pch.sendToQueue(queue, body);
    await vi.waitFor(() => expect(events).toEqual(['blocked: low on memory']), { timeout: 20_000 });
    expect(server.memory.alarm).toBe(true);
    // A round trip on another connection: the broker is serving, and the publisher's input stays unread.
    const consumerConn = await connect(url);
    const cch = await consumerConn.createChannel();
    const held = (await cch.checkQueue(queue)).messageCount;
    expect(held).toBeLessThan(total);
    expect(held * body.length).toBeLessThan(watermark + 2 * body.length);
    expect(server.memory.usedBytes).toBeLessThan(watermark + 8 * body.length);

    let consumed = 0;
    await cch.prefetch(50);
    await cch.consume(queue, (m) => {
      consumed++;
      cch.ack(m!);
    });
    await vi.waitFor(() => expect(consumed).toBe(total), { timeout: 30_000 });
    expect(events).toContain('unblocked');
    expect(events[0]).toBe('blocked: low on memory');
    await vi.waitFor(() => expect(server.memory.alarm).toBe(false));
  });

  it('what the watermark counts goes back to nothing once messages are acked, dropped, purged, expired or deleted', async () => {
    const { url, server } = await broker();
    const conn = await connect(url);
    const ch = await conn.createConfirmChannel();
    const body = Buffer.alloc(10_000, 2);
    await ch.assertQueue('a', { durable: false });
    await ch.assertQueue('b', { durable: false, arguments: { 'x-message-ttl': 1 } });
    await ch.assertExchange('fan', 'fanout', { durable: false });
    await ch.bindQueue('a', 'fan', '');
    await ch.bindQueue('b', 'fan', '');
    for (let i = 0; i < 20; i++) ch.publish('fan', '', body);
    for (let i = 0; i < 5; i++) ch.publish('', 'nowhere', body, { mandatory: true });
    await ch.waitForConfirms();
    expect(server.memory.usedBytes).toBeGreaterThan(20 * body.length);
    expect(server.memory.usedBytes).toBeLessThan(2 * 20 * body.length); // fanned out, counted once
    // Unacked deliveries, a nack with requeue, acks, a get without ack, then a channel closed holding some.
    const other = await conn.createChannel();
    await other.prefetch(5);
    const held: ConsumeMessage[] = [];
    await other.consume('a', (m) => held.push(m!));
    await vi.waitFor(() => expect(held).toHaveLength(5));
    other.nack(held[0]!, false, true);
    other.ack(held[1]!);
    await ch.get('a', { noAck: true });
    await other.close();
    await ch.purgeQueue('a');
    await vi.waitFor(async () => expect((await ch.checkQueue('b')).messageCount).toBe(0)); // expired
    for (let i = 0; i < 3; i++) ch.sendToQueue('a', body);
    await ch.waitForConfirms();
    await ch.deleteQueue('a');
    await ch.deleteQueue('b');
    await vi.waitFor(() => expect(server.memory.usedBytes).toBe(0));
  });

  it('a client that never reads stops being read: get-oks and returns do not pile up in the broker', async () => {
    const { url, server } = await broker({ outputBound: 1 * 2 ** 20 });
    const conn = await connect(url);
    const ch = await conn.createConfirmChannel();
    const queue = 'never-read';
    await ch.assertQueue(queue, { durable: false });
    const body = Buffer.alloc(256 * 1024, 7);
    const count = 400; // 100 MiB of get-oks asked for
    for (let i = 0; i < count; i++) ch.sendToQueue(queue, body);
    await ch.waitForConfirms();

    const reader = await openRaw(url);
    reader.socket.pause(); // it reads nothing from now on
    const gets = Buffer.concat(Array.from({ length: count }, () => defs.encodeMethod(M('BasicGet'), 1, { queue, noAck: true })));
    reader.send(gets);
    await vi.waitFor(async () => expect((await ch.checkQueue(queue)).messageCount).toBeLessThan(count));
    for (let i = 0; i < 5; i++) await ch.checkQueue(queue);
    // The kernel's socket buffers take some; the broker stopped long before answering all of them.
    expect((await ch.checkQueue(queue)).messageCount).toBeGreaterThan(count / 2);
    expect(server.memory.usedBytes - (await ch.checkQueue(queue)).messageCount * body.length).toBeLessThan(32 * 2 ** 20);

    reader.socket.resume(); // reading again: every get is answered, none lost
    expect(await reader.waitForCount(M('BasicGetOk'), count)).toBe(count);
    expect((await ch.checkQueue(queue)).messageCount).toBe(0);
  });

  it.skipIf(outsideAddress === undefined)(
    "guest may log in only from loopback, as RabbitMQ's loopback_users; other users from anywhere",
    async () => {
      const lines: string[] = [];
      const { port, server } = await broker({
        host: '0.0.0.0',
        users: { guest: 'guest', ops: 'secret' },
        loginFailureDelayMs: 0,
        logger: createLogger({ level: 'warning', write: (l) => lines.push(l) }),
      });
      const outside = `amqp://guest:guest@${outsideAddress}:${port}/`;
      await expect(amqp.connect(outside)).rejects.toThrow(
        'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.',
      );
      expect(lines.join('\n')).toContain("PLAIN login refused: user 'guest' can only connect via localhost");
      await connect(`amqp://guest:guest@127.0.0.1:${port}/`);
      await connect(`amqp://ops:secret@${outsideAddress}:${port}/`);
      expect(server.openConnectionCount).toBe(2);
    },
  );

  it('failed logins from an address are answered one per delay, later logins from there wait their turn, others do not', async () => {
    const clock = new ManualClock();
    const { url, port, server } = await broker({ clock, loginFailureDelayMs: 1000 });
    const bad = url.replace('guest:guest', 'guest:wrong');
    const outcomes: string[] = [];
    const attempt = (label: string, target: string) =>
      amqp.connect(target).then(
        (c) => {
          outcomes.push(`${label} ok`);
          connections.push(c);
          c.on('error', () => {});
        },
        (e: Error) => outcomes.push(`${label} ${/403/.test(e.message) ? 'refused' : e.message}`),
      );
    await attempt('first', bad);
    expect(outcomes).toEqual(['first refused']);
    const rest = [attempt('second', bad), attempt('third', bad)];
    await vi.waitFor(() => expect(server.waitingLogins).toBe(2));
    const good = attempt('right password', url);
    await vi.waitFor(() => expect(server.waitingLogins).toBe(3));
    if (outsideAddress !== undefined) {
      // Another address is not held up. (The broker listens on 127.0.0.1 only, so this is a raw socket's view.)
      const other = await raw(`amqp://127.0.0.1:${port}/`, { localAddress: '127.0.0.2' });
      expect(await other.login('guest', 'guest')).toBeDefined();
    }
    expect(outcomes).toEqual(['first refused']);
    clock.advance(1000);
    await vi.waitFor(() => expect(outcomes).toEqual(['first refused', 'second refused']));
    clock.advance(1000);
    await vi.waitFor(() => expect(outcomes).toEqual(['first refused', 'second refused', 'third refused']));
    clock.advance(1000);
    await Promise.all([...rest, good]);
    expect(outcomes).toEqual(['first refused', 'second refused', 'third refused', 'right password ok']);
  });

  it('a message whose headers table is nested too deep to decode closes its connection with 501, not an internal error', async () => {
    const lines: string[] = [];
    const { url } = await broker({ logger: createLogger({ level: 'warning', write: (l) => lines.push(l) }) });
    const client = await openRaw(url);
    const depth = 15_000; // 105 kB: within frame_max, far beyond what a recursive decoder survives
    const table = Buffer.alloc(7 * depth + 4);
    for (let i = 0; i < depth; i++) {
      table.writeUInt32BE(7 * (depth - i), 7 * i);
      table.set([1, 0x61, 0x46], 7 * i + 4); // {a: {a: ...}}
    }
    const header = Buffer.concat([Buffer.from([0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0x20, 0]), table]); // headers only
    client.send(defs.encodeMethod(M('BasicPublish'), 1, { exchange: 'amq.headers', routingKey: '', mandatory: false, immediate: false }));
    const headerFrame = Buffer.concat([Buffer.from([2, 0, 1]), Buffer.alloc(4), header, Buffer.from([206])]);
    headerFrame.writeUInt32BE(header.length, 3);
    client.send(Buffer.concat([headerFrame, bodyFrame(1, Buffer.from('abc'))]));
    const close = await client.waitFor(M('ConnectionClose'));
    expect(close?.fields).toMatchObject({ replyCode: 501 });
    expect(String(close?.fields['replyText'])).toMatch(/^FRAME_ERROR - cannot decode content header properties/);
    expect(lines.join('\n')).not.toMatch(/internal error/i);
  });

  it('user, vhost and mechanism names are escaped in log lines, so a name cannot forge a line', async () => {
    const lines: string[] = [];
    const { port } = await broker({ logger: createLogger({ level: 'info', write: (l) => lines.push(l) }), loginFailureDelayMs: 0 });
    const forged = "x\n[2026-01-01 00:00:00,000: INFO/MainProcess] connection 127.0.0.1:1: user 'admin' opened vhost '/'\x1b[2K";
    const client = await raw(`amqp://127.0.0.1:${port}/`);
    expect(await client.login(forged, 'wrong')).toBeUndefined();
    expect(await client.waitFor(M('ConnectionClose'))).toBeDefined();
    const text = lines.join('\n');
    expect(text).toContain("user 'x\\n[2026-01-01 00:00:00,000: INFO/MainProcess] connection 127.0.0.1:1: user 'admin'");
    expect(text).toContain('\\x1b[2K');
    for (const line of text.split('\n')) expect(line).toMatch(/^\[\d{4}-\d\d-\d\d /);
  });
});
