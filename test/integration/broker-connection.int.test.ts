/**
 * BrokerConnection against each broker (RabbitMQ, the embedded one): connect, the errors users see for a bad password, an unknown vhost, a
 * closed port and a silent peer, channel errors as data, and reconnect after the broker drops the connection.
 * The reconnect test closes the connection from the broker side (rabbitmqctl, or the embedded broker's server).
 */
import { createServer, type Server } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnection } from '../../src/amqp/broker-connection.js';
import { parseBrokerUrl } from '../../src/transport/broker-url.js';
import { BrokerConnectionError, BrokerError } from '../../src/errors/index.js';
import { brokerTargets, describeBrokers } from '../helpers/brokers.js';
import { publishDeepHeaders } from '../helpers/deep-headers.js';
import { UNDECODABLE_HEADERS } from '../../src/transport/transport-channel.js';
import { ManualClock } from '../../src/util/manual-clock.js';
import type { ConsumeMessage } from 'amqplib';

describeBrokers('BrokerConnection', await brokerTargets(), ({ url: brokerUrl, inspector }) => {
  const url = parseBrokerUrl(brokerUrl);
  const withPassword = (password: string) => `amqp://${url.username}:${password}@${url.hostname}:${url.port}/${encodeURIComponent(url.vhost)}`;

  it('connects, opens channels and closes', async () => {
    const conn = await new BrokerConnection({ url: brokerUrl }).connect();
    expect(conn.isOpen).toBe(true);
    const channel = await conn.createChannel();
    const q = await channel.assertQueue('', { exclusive: true });
    expect(q.queue).toMatch(/^amq\.gen-/);
    await conn.close();
    expect(conn.isOpen).toBe(false);
    await conn.close();
  });

  it('names a refused login with the masked URL and never the password (exit 2)', async () => {
    const err = await new BrokerConnection({ url: withPassword('wr0ng-s3cret') }).connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerConnectionError);
    const e = err as BrokerConnectionError;
    expect(e.code).toBe('broker.auth-failed');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(`${url.protocol}://${url.username}:**@`);
    expect(e.message).not.toContain('wr0ng-s3cret');
    expect(e.message).toMatch(/refused the login for user 'guest'/);
  });

  it('explains an unknown vhost', async () => {
    const err = await new BrokerConnection({ url: `amqp://guest:guest@${url.hostname}:${url.port}/no-such-vhost-${randomUUID()}` })
      .connect()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerConnectionError);
    expect((err as Error).message).toMatch(/refused access to vhost 'no-such-vhost-.*' \(530 NOT_ALLOWED\)/);
  });

  it('turns channel closes into BrokerError data and keeps the connection', async () => {
    const conn = await new BrokerConnection({ url: brokerUrl }).connect();
    try {
      const channel = await conn.createChannel();
      const err = await channel.checkQueue(`camq-test-missing-${randomUUID()}`).catch((e: unknown) => e);
      const { translateAmqpError } = await import('../../src/amqp/amqp-error.js');
      const translated = translateAmqpError(err, conn.url);
      expect(translated).toBeInstanceOf(BrokerError);
      expect((translated as BrokerError).replyCode).toBe(404);
      expect((translated as BrokerError).isChannelError).toBe(true);
      expect(translated.message).toMatch(/^404 NOT_FOUND - no queue 'camq-test-missing-.*' in vhost '/);
      expect(conn.isOpen).toBe(true);
      const again = await conn.createChannel();
      await again.close();
    } finally {
      await conn.close();
    }
  });

  it('reconnects with backoff after the broker closes the connection, and re-runs setup hooks', async () => {
    const name = `camq-test-${randomUUID()}`;
    const conn = new BrokerConnection({ url: brokerUrl, reconnect: true, connectionName: name, backoff: { initialMs: 50, maxMs: 200 } });
    const events: string[] = [];
    conn.on('disconnected', (e) => events.push(`disconnected:${e.code}`));
    conn.on('reconnecting', ({ attempt }) => events.push(`reconnecting:${attempt}`));
    conn.on('connected', ({ isReconnect }) => events.push(isReconnect ? 'reconnected' : 'connected'));
    let setups = 0;
    await conn.connect();
    await conn.addSetup(() => {
      setups += 1;
    });
    expect(setups).toBe(1);
    try {
      expect(await inspector.closeConnectionsNamed(name)).toBe(1);
      await conn.whenOpen();
      await vi_waitFor(() => events.includes('reconnected'));
      expect(events.slice(0, 3)).toEqual(['connected', expect.stringMatching(/^disconnected:broker\./), 'reconnecting:1']);
      expect(events).toContain('reconnecting:1');
      expect(setups).toBe(2);
      const channel = await conn.createChannel();
      await channel.close();
    } finally {
      await conn.close();
    }
  });
});

describeBrokers('BrokerConnection losses', await brokerTargets(), ({ name: brokerName, url: brokerUrl, inspector }) => {
  it('keeps reconnecting when the connection is lost again while its setup hooks run', async () => {
    const name = `camq-test-${randomUUID()}`;
    const conn = new BrokerConnection({ url: brokerUrl, reconnect: true, connectionName: name, backoff: { initialMs: 20, maxMs: 50 } });
    const events: string[] = [];
    conn.on('disconnected', (e) => events.push(`disconnected:${e.code}`));
    conn.on('connected', ({ isReconnect }) => events.push(isReconnect ? 'reconnected' : 'connected'));
    let setups = 0;
    await conn.connect();
    try {
      await conn.addSetup(async () => {
        setups += 1;
        // The second run (the first reconnect) loses its connection too, and its own calls still succeed.
        if (setups === 2) {
          expect(await inspector.closeConnectionsNamed(name, 'camq test: lost during setup')).toBe(1);
          await vi_waitFor(() => !conn.isOpen);
        }
      });
      expect(await inspector.closeConnectionsNamed(name, 'camq test: first loss')).toBe(1);
      await vi_waitFor(() => setups >= 3 && conn.isOpen);
      expect(events.filter((e) => e.startsWith('disconnected'))).toHaveLength(2);
      expect(events.at(-1)).toBe('reconnected');
      const channel = await conn.createChannel();
      await channel.close();
    } finally {
      await conn.close();
    }
  });

  it.skipIf(brokerName === 'embedded')(
    'delivers a message whose header table is too deep for the decoder, without it, and keeps the connection',
    async () => {
      const conn = await new BrokerConnection({ url: brokerUrl }).connect();
      try {
        const channel = await conn.createChannel();
        const { queue } = await channel.assertQueue(`camq-test-deep-${randomUUID()}`, { autoDelete: true });
        const correlationId = randomUUID();
        await publishDeepHeaders(brokerUrl, queue, { depth: 15_000, correlationId, body: '{"ok": 1}' });
        channel.sendToQueue(queue, Buffer.from('after'), { headers: { plain: 1 } });
        const got: ConsumeMessage[] = [];
        await channel.consume(queue, (m) => m && got.push(m), { noAck: true });
        await vi_waitFor(() => got.length === 2);
        expect(got[0]!.properties.correlationId).toBe(correlationId);
        expect(got[0]!.properties.contentType).toBe('application/json');
        expect(got[0]!.properties.headers).toEqual({
          [UNDECODABLE_HEADERS]: expect.stringMatching(/^the header table is nested too deep to decode \(Maximum call stack size exceeded\)$/),
        });
        expect(got[0]!.content.toString()).toBe('{"ok": 1}');
        expect(got[1]!.properties.headers).toEqual({ plain: 1 });
        expect(conn.isOpen).toBe(true);
      } finally {
        await conn.close();
      }
    },
  );
});

describe('BrokerConnection (no broker needed)', () => {
  let silent: Server;
  let silentPort = 0;
  beforeAll(async () => {
    // A peer that accepts TCP and never speaks AMQP: only the connect timeout can end the wait.
    silent = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => silent.close(() => resolve())));

  it('says the broker is unreachable when nothing listens (exit 2)', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const err = await new BrokerConnection({ url: `amqp://guest:pw@127.0.0.1:${port}//` }).connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerConnectionError);
    expect((err as BrokerConnectionError).code).toBe('broker.unreachable');
    expect((err as Error).message).toBe(
      `cannot reach amqp://guest:**@127.0.0.1:${port}//: connection refused (ECONNREFUSED); is the broker running? Set -b/--broker or CAMQ_BROKER_URL`,
    );
  });

  it('gives up on a silent peer after the connect timeout', async () => {
    const started = Date.now();
    const err = await new BrokerConnection({ url: `amqp://guest:pw@127.0.0.1:${silentPort}//`, connectTimeoutMs: 300 })
      .connect()
      .catch((e: unknown) => e);
    expect((err as BrokerConnectionError).code).toBe('broker.timeout');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('retries on the default schedule, driven by its clock: each attempt after the last delay, capped at 2.5 s', async () => {
    // A peer that accepts and hangs up at once: every attempt is seen here, and fails fast.
    let accepted = 0;
    const rude = createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => rude.listen(0, '127.0.0.1', resolve));
    const port = (rude.address() as { port: number }).port;
    try {
      const clock = new ManualClock(0);
      const conn = new BrokerConnection({ url: `amqp://guest:pw@127.0.0.1:${port}//`, connectRetries: 8, clock, backoff: { random: () => 0 } });
      const seen: { attempt: number; delayMs: number; accepted: number; at: number; reason: string; wasConnected: boolean }[] = [];
      conn.on('reconnecting', ({ attempt, delayMs, reason, wasConnected }) => {
        seen.push({ attempt, delayMs, accepted, at: clock.now(), reason, wasConnected });
        // The sleep's timer is set right after this event: move the clock to its end on the next turn.
        setImmediate(() => clock.advance(delayMs));
      });
      await expect(conn.connect()).rejects.toBeInstanceOf(BrokerConnectionError);
      expect(seen.map((s) => s.delayMs)).toEqual([200, 400, 800, 1600, 2500, 2500, 2500, 2500]);
      // attempt n+1 was dialled only once the clock had passed the n-th delay
      expect(seen.map((s) => s.accepted)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(seen.map((s) => s.at)).toEqual([0, 200, 600, 1400, 3000, 5500, 8000, 10500]);
      expect(accepted).toBe(9);
      expect(seen.every((s) => !s.wasConnected && !/Set -b|is the broker running/.test(s.reason))).toBe(true);
    } finally {
      await new Promise<void>((resolve) => rude.close(() => resolve()));
    }
  });

  it('retries the first connection with backoff when asked', async () => {
    const conn = new BrokerConnection({
      url: `amqp://guest:pw@127.0.0.1:${silentPort}//`,
      connectTimeoutMs: 100,
      connectRetries: 2,
      backoff: { initialMs: 10, jitter: 0 },
    });
    const attempts: number[] = [];
    conn.on('reconnecting', ({ attempt }) => attempts.push(attempt));
    await expect(conn.connect()).rejects.toBeInstanceOf(BrokerConnectionError);
    expect(attempts).toEqual([1, 2]);
  });
});

async function vi_waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
