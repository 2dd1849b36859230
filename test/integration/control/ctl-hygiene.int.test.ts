/**
 * What celeryctl leaves on the broker and how it ends, on each broker (RabbitMQ, and the embedded one as `camq
 * broker`): reply queues are exclusive and auto-delete and none remain after many commands (read with the broker's
 * inspector: this test inspects raw broker state on purpose), casts reach the broker even when the process ends
 * right after, and the real bin's exit codes 0/1/2/3. A Python Celery worker answers the commands.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BrokerConnection, parseBrokerUrl, type ConsumeMessage } from '../../../src/amqp/index.js';
import { ControlClient } from '../../../src/control/control-client.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { usePythonCelery } from '../../helpers/python-celery.js';
import { ctlFixture, type NamedWorker } from './ctl-fixture.js';

const hasPython = await usePythonCelery('the celeryctl hygiene tests are skipped');
const targets = hasPython ? await brokerTargets({ embedded: 'child-process' }) : [];

/** Every request on the celery.pidbox fanout, seen through a private queue bound to it. */
async function tapPidbox(connection: BrokerConnection): Promise<ConsumeMessage[]> {
  const seen: ConsumeMessage[] = [];
  const channel = await connection.createChannel();
  await channel.assertExchange('celery.pidbox', 'fanout', { durable: false, autoDelete: false });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, 'celery.pidbox', '');
  await channel.consume(queue, (msg) => msg && seen.push(msg), { noAck: true });
  return seen;
}

describeBrokers('celeryctl broker hygiene and exit codes', targets, ({ url: brokerUrl, inspector }) => {
  const { celeryctl, startNamedWorker, stopNamedWorkers } = ctlFixture(brokerUrl);
  const listQueueNames = async () => (await inspector.listQueues()).map((q) => q.name);
  let w: NamedWorker;
  let tap: BrokerConnection;
  let requests: ConsumeMessage[];

  beforeAll(async () => {
    w = await startNamedWorker('hygiene');
    tap = await new BrokerConnection({ url: brokerUrl }).connect();
    requests = await tapPidbox(tap);
  });

  afterAll(async () => {
    await tap?.close();
    await stopNamedWorkers([w]);
  });

  it('declares its reply queue exclusive, auto-delete and transient, and it goes away with the client', async () => {
    const client = await ControlClient.connect(brokerUrl);
    await client.open();
    // Declared with nowait: open() does not wait for the broker to have done it. Each rabbitmqctl call starts an
    // Erlang VM (0.5 s idle, over 1 s with both brokers' runs and their Python workers busy), so wait long enough
    // for several calls: waitFor's 1 s default let a loaded CI machine time out on the first.
    await vi.waitFor(
      async () => expect(await inspector.queue(client.replyQueue)).toMatchObject({ durable: false, autoDelete: true, exclusive: true }),
      { timeout: 15_000, interval: 100 },
    );
    await client.close();
    await vi.waitFor(async () => expect(await listQueueNames()).not.toContain(client.replyQueue), { timeout: 15_000, interval: 100 });
  });

  it('leaves no queue behind after 100 commands (one connection each, as the CLI does) and a few real runs', async () => {
    // Python clients' reply queues linger for x-expires (10 s) after other tests; only queues made here count.
    const before = new Set(await listQueueNames());
    for (let i = 0; i < 100; i++) {
      const client = await ControlClient.connect(brokerUrl);
      try {
        const result = await client.ping({ destination: [w.nodename], timeout: 5 });
        expect(result.replies.get(w.nodename)).toEqual({ ok: 'pong' });
      } finally {
        await client.close();
      }
    }
    for (const args of [['ping'], ['status'], ['inspect', 'stats'], ['inspect', 'reserved'], ['rate-limit', 'tasks.noop', '0']]) {
      const r = await celeryctl([...args, '-d', w.nodename]);
      expect(r.code, r.stderr).toBe(0);
    }
    await vi.waitFor(async () => expect((await listQueueNames()).filter((q) => !before.has(q))).toEqual([]), { timeout: 15_000, interval: 250 });
  });

  it('keeps Python workers alive once its clock header passes 127 (amqplib would tag it as a short string)', async () => {
    const client = await ControlClient.connect(brokerUrl);
    try {
      // The tap may see the first request after the first ping returned: count from before it, and take the second.
      const requestsBefore = requests.length;
      await client.ping({ destination: [w.nodename], timeout: 5 });
      const second = await client.ping({ destination: [w.nodename], timeout: 5 });
      expect(second.replies.get(w.nodename)).toEqual({ ok: 'pong' });
      await vi.waitFor(() => expect(requests.length).toBeGreaterThanOrEqual(requestsBefore + 2));
      expect(requests[requestsBefore + 1]!.properties.headers?.['clock']).toBeGreaterThan(127);
    } finally {
      await client.close();
    }
    expect(w.worker.process.exitCode).toBeNull();
    expect(w.worker.output()).not.toContain('Unrecoverable error');
  });

  it('a cast sent right before closing reaches the broker', async () => {
    const marker = `camq-test-${randomUUID()}`;
    for (let i = 0; i < 5; i++) {
      const client = await ControlClient.connect(brokerUrl);
      await client.cast({ method: 'heartbeat', arguments: {} }, { destination: [marker] });
      await client.close();
    }
    await vi.waitFor(() => expect(requests.filter((m) => m.content.toString().includes(marker))).toHaveLength(5));
  });

  describe('exit codes of the real bin', () => {
    const url = parseBrokerUrl(brokerUrl);
    const closedPort = `amqp://guest:guest@127.0.0.1:1/${encodeURIComponent(url.vhost)}`;

    it('0: a worker replied', async () => {
      const r = await celeryctl(['ping', '-d', w.nodename]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`-> ${w.nodename}: OK pong`);
    });

    it('1: bad input, refused before any connection (even to a broker that is down)', async () => {
      for (const args of [['rate-limit', 'tasks.add', '10/x'], ['revoke'], ['inspect', 'nope'], ['call', 'ping', '--args', 'not json']]) {
        const r = await celeryctl(args, { broker: closedPort });
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr).not.toMatch(/cannot reach/);
        expect(r.stdout).toBe('');
      }
    });

    it('2: unreachable broker or refused login, naming the masked URL', async () => {
      const down = await celeryctl(['ping'], { broker: closedPort });
      expect(down.code).toBe(2);
      expect(down.stderr).toBe(
        `Error: cannot reach amqp://guest:**@127.0.0.1:1/${url.vhost === '/' ? '/' : url.vhost}: connection refused (ECONNREFUSED); is the broker running? Set -b/--broker or CAMQ_BROKER_URL\n`,
      );
      const secret = `s3cret-${randomUUID().slice(0, 6)}`;
      const refused = await celeryctl(['ping'], { broker: `amqp://guest:${secret}@${url.hostname}:${url.port}/${encodeURIComponent(url.vhost)}` });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^Error: amqp:\/\/guest:\*\*@.* refused the login for user 'guest'/);
      expect(refused.stderr).not.toContain(secret);
    });

    it('3: no worker replied', async () => {
      const r = await celeryctl(['ping', '-d', `nobody-${randomUUID()}@nowhere`, '-t', '0.3']);
      expect(r.code).toBe(3);
      expect(r.stderr).toBe('Error: No nodes replied within time constraint.\n');
    });
  });
});
