/**
 * `camq queues` and its engine (src/queues) on both brokers, held to the same results: RabbitMQ with its management
 * API (found on 15672 from the broker URL) and the embedded broker serving the same API (on a free port, given as
 * the API URL). Both APIs sample every 5 s, so figures are polled until they show. Then the fallback without an API
 * (AMQP passive declares), on both, and the CLI's one line for it.
 */
import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { ControlClient } from '../../../src/control/control-client.js';
import { QueueGrowth, QueueLister, queueMarkers, workerQueueNames, type QueueFigures, type QueueListing } from '../../../src/queues/index.js';
import { createTransport, parseBrokerUrl, type Transport } from '../../../src/transport/index.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { closedPortUrl, startBadApi } from '../../helpers/bad-http-peer.js';
import { startCamqWorker } from '../../helpers/camq-worker.js';
import { whenExited } from '../../helpers/child-exit.js';
import { ROOT, runBin } from '../../helpers/run-bin.js';

const targets = await brokerTargets({ management: true });

/** A port where nothing listens: what a broker with the management plugin off looks like from camq. */
const NOTHING_LISTENS = await closedPortUrl();

describeBrokers('camq queues', targets, ({ name, url, apiUrl }) => {
  const id = randomUUID().slice(0, 8);
  const waiting = `camq-test-${id}-waiting`;
  const consumed = `camq-test-${id}-consumed`;
  const events = `celeryev.camq-test-${id}`;
  const vhost = parseBrokerUrl(url).vhost;
  let conn: ChannelModel;
  let ch: Channel;
  const apiArgs = apiUrl === undefined ? [] : ['--api', apiUrl];

  beforeAll(async () => {
    conn = await amqp.connect(url);
    ch = await conn.createChannel();
    await ch.assertQueue(waiting, { durable: false });
    await ch.assertQueue(consumed, { durable: false });
    await ch.assertQueue(events, { durable: false, autoDelete: false });
    for (let i = 0; i < 3; i++) ch.sendToQueue(waiting, Buffer.from(`w${i}`));
    for (let i = 0; i < 2; i++) ch.sendToQueue(consumed, Buffer.from(`c${i}`));
    const consumer = await conn.createChannel();
    await consumer.prefetch(1);
    await consumer.consume(consumed, () => {}); // holds one unacked, one stays ready
  });

  afterAll(async () => {
    for (const q of [waiting, consumed, events]) await ch.deleteQueue(q).catch(() => {});
    await conn.close();
  });

  const ours = (listing: QueueListing) => listing.queues.filter((q) => q.name.includes(id));
  const byName = (queues: readonly QueueFigures[]) => Object.fromEntries(queues.map((q) => [q.name, q]));

  it(`lists the vhost's queues from the management API, with counts and markers (${name})`, async () => {
    const lister = new QueueLister({ broker: parseBrokerUrl(url), apiUrl });
    // The API samples every 5 s: wait until the counts of all three queues are in.
    const listing = await vi.waitFor(
      async () => {
        const l = await lister.list();
        const q = byName(ours(l));
        expect(q[waiting]?.ready).toBe(3);
        expect(q[consumed]?.unacked).toBe(1);
        expect(q[consumed]?.consumers).toBe(1);
        return l;
      },
      { timeout: 20_000, interval: 1000 },
    );
    expect(listing.source).toBe('api');
    expect(listing.missing).toBeNull();
    const q = byName(ours(listing));
    expect(q[waiting]).toMatchObject({ vhost, type: 'classic', ready: 3, unacked: 0, consumers: 0 });
    expect(q[consumed]).toMatchObject({ vhost, type: 'classic', ready: 1, unacked: 1, consumers: 1 });
    expect(q[events]).toMatchObject({ ready: 0, consumers: 0 });
    expect(queueMarkers(q[waiting]!)).toContain('no-consumer');
    expect(queueMarkers(q[consumed]!)).not.toContain('no-consumer');
    expect(queueMarkers(q[events]!)).toEqual(['housekeeping']);
    expect(typeof q[waiting]!.publishRate).toBe('number');
    expect(typeof q[waiting]!.deliverRate).toBe('number');
  });

  it(`hides housekeeping queues unless --all, which lists them apart (${name})`, async () => {
    const plain = await runBin('camq', ['queues', '-b', url, ...apiArgs, `*${id}*`]);
    expect(plain.stderr).toBe('');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain(waiting);
    expect(plain.stdout).not.toContain(events);
    expect(plain.stdout).toContain('(1 housekeeping queue hidden; --all shows them)');
    expect(plain.stdout).toMatch(new RegExp(`${waiting}.*no consumer`));

    const all = await runBin('camq', ['queues', '-b', url, ...apiArgs, '--all', `*${id}*`]);
    expect(all.code).toBe(0);
    const [main, apart] = all.stdout.split('housekeeping queues:');
    expect(main).toContain(waiting);
    expect(main).not.toContain(events);
    expect(apart).toContain(events);
  });

  it(`filters by name pattern, sorts, and prints JSON (${name})`, async () => {
    const res = await runBin('camq', ['queues', '-b', url, ...apiArgs, '--json', '--sort', 'ready', `camq-test-${id}-*`]);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as {
      source: string;
      queues: { name: string; ready: number; markers: string[] }[];
      hiddenHousekeeping: number;
    };
    expect(doc.source).toBe('api');
    expect(doc.queues.map((q) => [q.name, q.ready])).toEqual([
      [waiting, 3],
      [consumed, 1],
    ]);
    expect(doc.queues[0]!.markers).toContain('no-consumer');
    expect(doc.hiddenHousekeeping).toBe(0);

    const substring = await runBin('camq', ['queues', '-b', url, ...apiArgs, '--json', `${id}-cons`]);
    expect((JSON.parse(substring.stdout) as { queues: { name: string }[] }).queues.map((q) => q.name)).toEqual([consumed]);

    const bad = await runBin('camq', ['queues', '-b', url, ...apiArgs, '--sort', 'size']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')[0]).toMatch(/unknown sort column 'size': use one of name, vhost/);
  });

  it(`without the API, declares the queues it can name passively and says what is missing (${name})`, async () => {
    let transport: Transport | undefined;
    const lister = new QueueLister({
      broker: parseBrokerUrl(url),
      apiCandidates: [NOTHING_LISTENS],
      names: [waiting, consumed, `camq-test-${id}-absent`],
      transport: async () => (transport = await createTransport(url).connect()),
    });
    try {
      const listing = await lister.list();
      expect(listing.source).toBe('amqp');
      expect(listing.missing).toBe(
        `no management API (cannot reach the management API at ${NOTHING_LISTENS} (ECONNREFUSED: connect ECONNREFUSED ${NOTHING_LISTENS.slice(7)}); ` +
          `is the rabbitmq_management plugin enabled?): showing ready and consumer counts of the queues camq can name only; ` +
          `enable it with 'rabbitmq-plugins enable rabbitmq_management' (camq broker: --management) or point --api at it`,
      );
      const q = byName(ours(listing));
      expect(Object.keys(q).sort()).toEqual([consumed, waiting]);
      expect(q[waiting]).toEqual({
        vhost,
        name: waiting,
        type: null,
        ready: 3,
        unacked: null,
        consumers: 0,
        publishRate: null,
        deliverRate: null,
        readyRate: null,
        idleSince: null,
      });
      expect(q[consumed]).toMatchObject({ ready: 1, consumers: 1, unacked: null });
      expect(queueMarkers(q[waiting]!)).toContain('no-consumer');
    } finally {
      await transport?.close();
    }
  });

  it(`marks a queue that keeps growing, allowing for the API's 5 s sampling (${name})`, async () => {
    const growing = `camq-test-${id}-growing`;
    await ch.assertQueue(growing, { durable: false });
    const feed = setInterval(() => ch.sendToQueue(growing, Buffer.from('g')), 100);
    try {
      const lister = new QueueLister({ broker: parseBrokerUrl(url), apiUrl });
      const growth = new QueueGrowth();
      await vi.waitFor(
        async () => {
          const listing = await lister.list();
          growth.observe(listing);
          const q = listing.queues.find((x) => x.name === growing);
          expect(q && queueMarkers(q, growth)).toEqual(['no-consumer', 'growing']);
        },
        { timeout: 25_000, interval: 1000 },
      );
    } finally {
      clearInterval(feed);
      await ch.deleteQueue(growing);
    }
  });

  it(`--watch lists again until interrupted, one JSON document per listing (${name})`, async () => {
    const child = spawn(process.execPath, [`${ROOT}bin/camq`, 'queues', '-b', url, ...apiArgs, '--json', '--watch', '0.5', `*${id}*`], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = whenExited(child);
    await vi.waitFor(() => expect(out.split('\n').filter((l) => l !== '').length).toBeGreaterThanOrEqual(3), { timeout: 15_000 });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const docs = out
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { takenAt: string; queues: { name: string }[] });
    expect(new Set(docs.map((d) => d.takenAt)).size).toBe(docs.length);
    for (const doc of docs) expect(doc.queues.map((q) => q.name)).toEqual([consumed, waiting]);
  });

  it(`without the API, also declares the queues workers report in active_queues (${name})`, async () => {
    const workerQueue = `camq-test-${id}-worker`;
    const worker = await startCamqWorker({ brokerUrl: url, queues: workerQueue });
    let transport: Transport | undefined;
    try {
      const lister = new QueueLister({
        broker: parseBrokerUrl(url),
        apiCandidates: [NOTHING_LISTENS],
        transport: async () => (transport = await createTransport(url).connect()),
        workerQueueNames: async () => {
          const client = await ControlClient.connect(url);
          try {
            return await workerQueueNames(client);
          } finally {
            await client.close();
          }
        },
      });
      const listing = await lister.list();
      expect(listing.source).toBe('amqp');
      expect(listing.queues.find((q) => q.name === workerQueue)).toMatchObject({ ready: 0, consumers: 1 });
    } finally {
      await transport?.close();
      await worker.stop();
      // The worker declared the queue and, as kombu does, a direct exchange of the same name.
      await ch.deleteQueue(workerQueue);
      await ch.deleteExchange(workerQueue);
    }
  });

  it(`an --api that answers HTML, hangs or refuses the login is one line and exit 2 (${name})`, async () => {
    const peer = await startBadApi();
    try {
      for (const [path, pattern] of [
        ['html', /answered GET \/api\/queues\/.* with an HTML page, not JSON/],
        ['unauthorized', /refused the login \(401\)/],
        ['forbidden', /refused GET \/api\/queues\/.* \(403\)/],
        ['hang', /did not answer GET \/api\/queues\/.* within 0\.5 s/],
      ] as const) {
        const res = await runBin('camq', ['queues', '-b', url, '--api', `${peer.url}/${path}`, '--api-timeout', '0.5']);
        expect(res.code, res.stderr).toBe(2);
        expect(res.stdout).toBe('');
        const lines = res.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(pattern);
      }
    } finally {
      await peer.close();
    }
  });
});

/**
 * The CLI without an API: the embedded broker here has none (started without it, so discovery finds RabbitMQ's
 * API describing another broker on 15672 and nothing on port + 10000); RabbitMQ's plugin cannot be turned off from a
 * test, so its run asks for the same fallback with --no-api.
 */
describeBrokers('camq queues without a management API', await brokerTargets(), ({ name, url }) => {
  it(`prints the passive-declare figures and one line on stderr (${name})`, async () => {
    const id = randomUUID().slice(0, 8);
    const queue = `camq-test-${id}`;
    const conn = await amqp.connect(url);
    const ch = await conn.createChannel();
    await ch.assertQueue(queue, { durable: false });
    ch.sendToQueue(queue, Buffer.from('x'));
    try {
      await vi.waitFor(async () => expect((await ch.checkQueue(queue)).messageCount).toBe(1));
      const res = await runBin('camq', ['queues', '-b', url, '-Q', queue, ...(name === 'rabbitmq' ? ['--no-api'] : []), queue]);
      expect(res.code, res.stderr).toBe(0);
      const lines = res.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^note: no management API \(.*\): showing ready and consumer counts of the queues camq can name only; enable it/);
      const row = res.stdout.split('\n').find((l) => l.includes(queue));
      expect(row?.trim().split(/ {2,}/)).toEqual([parseBrokerUrl(url).vhost, queue, '-', '1', '-', '0', '-', '-', '-', 'no consumer']);
    } finally {
      await ch.deleteQueue(queue);
      await conn.close();
    }
  });
});
