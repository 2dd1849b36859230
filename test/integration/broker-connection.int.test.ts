/**
 * BrokerConnection against each broker (RabbitMQ, the embedded one): connect, the errors users see for a bad password, an unknown vhost, a
 * closed port and a silent peer, channel errors as data, and reconnect after the broker drops the connection.
 * The reconnect test closes the connection from the broker side (rabbitmqctl, or the embedded broker's server).
 */
import { createServer, type Server } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnection } from '../../src/amqp/broker-connection.js';
import { parseBrokerUrl } from '../../src/amqp/broker-url.js';
import { BrokerConnectionError, BrokerError } from '../../src/errors/index.js';
import { brokerTargets, describeBrokers } from '../helpers/brokers.js';

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
    const err = await new BrokerConnection({ url: `amqp://guest:guest@${url.hostname}:${url.port}/no-such-vhost-${randomUUID()}` }).connect().catch((e: unknown) => e);
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
    const err = await new BrokerConnection({ url: `amqp://guest:pw@127.0.0.1:${silentPort}//`, connectTimeoutMs: 300 }).connect().catch((e: unknown) => e);
    expect((err as BrokerConnectionError).code).toBe('broker.timeout');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('retries the first connection with backoff when asked', async () => {
    const conn = new BrokerConnection({ url: `amqp://guest:pw@127.0.0.1:${silentPort}//`, connectTimeoutMs: 100, connectRetries: 2, backoff: { initialMs: 10, jitter: 0 } });
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
