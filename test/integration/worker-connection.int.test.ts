/**
 * camq worker (the built bin, as a user runs it) and its broker connection: publishes the broker refuses, deliveries
 * its decoder cannot take, cold shutdown with acks-late, and what it says when the connection goes. On each broker
 * (RabbitMQ, and the embedded one as `camq broker`). Some tests read raw broker state on purpose (queue depth,
 * closing the worker's connection) through the broker's inspector.
 */
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { expect, it, vi } from 'vitest';
import { parseBrokerUrl } from '../../src/amqp/index.js';
import { signature } from '../../src/protocol/index.js';
import { brokerTargets, describeBrokers } from '../helpers/brokers.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { publishDeepHeaders } from '../helpers/deep-headers.js';
import { startCamqWorker } from '../helpers/camq-worker.js';
import { runBin } from '../helpers/run-bin.js';
import { useWorkerSuite } from '../helpers/worker-suite.js';

const FIXTURE = 'test/fixtures/worker/tasks.js';

/** Events seen on the broker's celeryev exchange under `key` (task.multi batches flattened), for one vhost. */
async function watchTaskEvents(
  brokerUrl: string,
  key = 'task.#',
): Promise<{ events: { type: string; uuid: string; hostname: string }[]; close(): Promise<void> }> {
  const u = parseBrokerUrl(brokerUrl);
  const conn = await amqp.connect({ hostname: u.hostname, port: u.port, username: u.username, password: u.password, vhost: u.vhost });
  const ch = await conn.createChannel();
  await ch.assertExchange('celeryev', 'topic', { durable: true, autoDelete: false });
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, 'celeryev', key);
  const events: { type: string; uuid: string; hostname: string }[] = [];
  await ch.consume(
    queue,
    (m) => {
      if (!m) return;
      const body = JSON.parse(m.content.toString()) as unknown;
      for (const e of Array.isArray(body) ? body : [body]) events.push(e as { type: string; uuid: string; hostname: string });
    },
    { noAck: true },
  );
  return { events, close: () => conn.close() };
}

describeBrokers('camq worker and its connection', await brokerTargets({ embedded: 'child-process' }), ({ name, url, inspector }) => {
  const { newQueue, start, client, workers } = useWorkerSuite(url, FIXTURE);

  it('a callback to an exchange that does not exist is reported once; later results still go out (no publish spin)', async () => {
    const queue = newQueue();
    const worker = await start(queue);
    const add = client().taskOf<[number, number], number>('tasks.add');
    const missing = `camq-test-missing-${randomUUID()}`;
    const first = await add.applyAsync({
      args: [1, 1],
      queue,
      link: [signature('tasks.add', [10], {}, { options: { exchange: missing, routing_key: 'x' } })],
    });
    expect(await first.get({ timeout: 20 })).toBe(2);
    for (let i = 0; i < 5; i++) expect(await (await add.applyAsync({ args: [i, 1], queue })).get({ timeout: 20 })).toBe(i + 1);
    await worker.waitForLog(
      new RegExp(
        `not sending task tasks\\.add\\[[^\\]]+\\] to exchange '${missing}' with routing key 'x': exchange '${missing}' does not exist \\(404 NOT_FOUND\\)`,
      ),
    );
    expect(worker.count(/does not exist \(404 NOT_FOUND\)/)).toBe(1);
    expect(worker.output()).not.toMatch(/retrying after reconnect|Channel closed/);
  });

  it('a callback that expires in 1e308 s (once expiration "Infinity", a 406) is refused on receipt; later results still go out', async () => {
    // A relative expiry past Python's last date is refused with the message (src/protocol/task-embed.ts), as Celery's
    // own apply_async would fail with OverflowError; before, the worker ran the task and the callback's 406 closed its
    // publish channel for good.
    const queue = newQueue();
    const worker = await start(queue);
    const add = client().taskOf<[number, number], number>('tasks.add');
    const first = await add.applyAsync({ args: [2, 2], queue, link: [signature('tasks.add', [10], {}, { options: { expires: 1e308, queue } })] });
    await worker.waitForLog(new RegExp(`Received invalid task message: .*expires.*${first.id}`));
    expect(await (await add.applyAsync({ args: [3, 3], queue })).get({ timeout: 20 })).toBe(6);
    expect(worker.output()).not.toMatch(/PRECONDITION_FAILED|retrying after reconnect|Channel closed/);
  });

  it.skipIf(name === 'embedded')(
    'a delivery whose header table overflows the decoder is rejected without requeue; the worker stays connected',
    async () => {
      const queue = newQueue();
      const worker = await start(queue);
      const correlationId = randomUUID();
      await publishDeepHeaders(url, queue, { depth: 15_000, correlationId });
      await worker.waitForLog(
        new RegExp(
          `rejected a message of queue ${queue} \\(correlation id ${correlationId}\\) without requeue: the header table is nested too deep to decode`,
        ),
      );
      const add = client().taskOf<[number, number], number>('tasks.add');
      expect(await (await add.applyAsync({ args: [2, 3], queue })).get({ timeout: 20 })).toBe(5);
      await vi.waitFor(async () => expect(await inspector.queue(queue)).toMatchObject({ messages: 0, unacked: 0 }), {
        timeout: 15_000,
        interval: 100,
      });
      expect(worker.count(/without requeue: the header table is nested too deep/)).toBe(1);
      expect(worker.output()).not.toMatch(/Connection to broker lost/);
    },
  );

  it('cold shutdown (a second SIGTERM) with acks-late puts the running task back, fails nothing, exits 1; another worker runs it', async () => {
    const queue = newQueue();
    const watcher = await watchTaskEvents(url);
    try {
      const first = await start(queue, ['-E', '--acks-late']);
      const sleep = client().taskOf<[number], string>('tasks.late_sleep');
      const result = await sleep.applyAsync({ args: [2], queue });
      await vi.waitFor(() => expect(watcher.events.some((e) => e.type === 'task-started' && e.uuid === result.id)).toBe(true), {
        timeout: 15_000,
        interval: 20,
      });
      first.process.kill('SIGTERM');
      await first.waitForLog(/Warm shutdown/);
      first.process.kill('SIGTERM');
      expect(await first.exited).toBe(1);
      expect(first.output()).toMatch(/Warm shutdown turned cold: stopping 1 running task\(s\) now/);
      expect(first.output()).toMatch(
        new RegExp(`Task tasks\\.late_sleep\\[${result.id}\\] stopped by the shutdown and put back in the queue \\(acks-late\\)`),
      );
      expect(first.output()).not.toMatch(/raised unexpected|worker shutting down|ERROR/);
      const second = await start(queue, ['-E']);
      // The first READY result wins: a FAILURE from the first worker would be what get() returns.
      expect(await result.get({ timeout: 30 })).toBe(result.id);
      await vi.waitFor(() => expect(watcher.events.some((e) => e.type === 'task-succeeded' && e.uuid === result.id)).toBe(true), { timeout: 10_000 });
      const mine = watcher.events.filter((e) => e.uuid === result.id);
      expect(mine.filter((e) => e.type === 'task-failed')).toEqual([]);
      expect(mine.find((e) => e.type === 'task-succeeded')!.hostname).toBe(second.nodename);
    } finally {
      await watcher.close();
    }
  }, 90_000);

  it('control requests whose reply_to the broker refuses (missing: 404, internal: 403) get one line each; remote control still answers', async () => {
    const worker = await start(newQueue());
    const missing = `camq-test-missing-${randomUUID()}`;
    const internal = `camq-test-internal-${randomUUID()}`;
    const u = parseBrokerUrl(url);
    const conn = await amqp.connect({ hostname: u.hostname, port: u.port, username: u.username, password: u.password, vhost: u.vhost });
    const ch = await conn.createChannel();
    try {
      await ch.assertExchange(internal, 'direct', { durable: false, internal: true });
      const request = (method: string, exchange: string) => {
        const body = {
          method,
          arguments: {},
          destination: [worker.nodename],
          pattern: null,
          matcher: null,
          ticket: randomUUID(),
          reply_to: { exchange, routing_key: 'r' },
        };
        ch.publish('celery.pidbox', '', Buffer.from(JSON.stringify(body)), {
          contentType: 'application/json',
          contentEncoding: 'utf-8',
          headers: { clock: 1, expires: Date.now() / 1000 + 10 },
        });
      };
      request('ping', missing);
      request('report', internal);
      // Once either closed the mailbox channel: no answer, and nothing said.
      const ping = await runBin('celeryctl', ['-b', url, 'ping', '-d', worker.nodename, '--json']);
      expect(ping.code, ping.stderr).toBe(0);
      expect(JSON.parse(ping.stdout).replies).toEqual({ [worker.nodename]: { ok: 'pong' } });
      await worker.waitForLog(
        new RegExp(
          `not sending the ping reply to exchange '${missing}' with routing key 'r': exchange '${missing}' does not exist \\(404 NOT_FOUND\\)`,
        ),
      );
      await worker.waitForLog(/the broker closed the channel remote-control replies go out on: .*ACCESS_REFUSED.*; reopening it for the next reply/);
      expect(worker.count(/does not exist \(404 NOT_FOUND\)|ACCESS_REFUSED/)).toBe(2);
    } finally {
      await ch.deleteExchange(internal);
      await conn.close();
    }
  });

  it('celeryev deleted under a running worker: its event channel is reopened with one line, and heartbeats go on', async () => {
    const worker = await start(newQueue());
    const u = parseBrokerUrl(url);
    const conn = await amqp.connect({ hostname: u.hostname, port: u.port, username: u.username, password: u.password, vhost: u.vhost });
    try {
      await (await conn.createChannel()).deleteExchange('celeryev');
    } finally {
      await conn.close();
    }
    // The next heartbeat (every 2 s) gets a 404 that closes the event channel: once, events stopped for good.
    await worker.waitForLog(/the broker closed the channel events go out on \(.*celeryev.*\); reopening it/, 15_000);
    const watcher = await watchTaskEvents(url, 'worker.#');
    try {
      await vi.waitFor(() => expect(watcher.events.some((e) => e.type === 'worker-heartbeat' && e.hostname === worker.nodename)).toBe(true), {
        timeout: 15_000,
        interval: 100,
      });
    } finally {
      await watcher.close();
    }
    expect(worker.count(/the broker closed the channel events go out on/)).toBe(1);
  }, 60_000);

  it('SIGTERM while it mingles at start-up: a warm shutdown that exits 0 and sends worker-offline, no task taken', async () => {
    const queue = newQueue();
    const watcher = await watchTaskEvents(url, 'worker.#');
    try {
      const worker = await startCamqWorker({ brokerUrl: url, module: FIXTURE, queues: queue, mingle: true, waitReady: false });
      workers.push(worker);
      // Mingle waits 1 s for replies: the signal lands while its control channel is open (once: exit 2, "the
      // control channel … was closed").
      await worker.waitForLog(/mingle: searching for neighbors/);
      worker.process.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(worker.output()).toMatch(/Warm shutdown/);
      expect(worker.output()).not.toMatch(/Error|Channel ended| ready\./);
      await vi.waitFor(() => expect(watcher.events.some((e) => e.type === 'worker-offline' && e.hostname === worker.nodename)).toBe(true), {
        timeout: 10_000,
      });
    } finally {
      await watcher.close();
    }
  }, 60_000);

  it('says the connection was lost (not "cannot connect"), what it dropped and which acks it could not send; all tasks still run', async () => {
    const queue = newQueue();
    const worker = await start(queue, ['-c', '1']);
    const sleep = client().taskOf<[number], string>('tasks.late_sleep');
    // The first runs long enough to outlast the forced close (rabbitmqctl takes a few seconds); the others wait behind it.
    const results = [];
    for (const seconds of [8, 0.1, 0.1, 0.1]) results.push(await sleep.applyAsync({ args: [seconds], queue }));
    await vi.waitFor(() => expect(worker.count(/tasks\.late_sleep\[.*\] received/)).toBe(4), { timeout: 15_000, interval: 20 });
    expect(await inspector.closeConnectionsNamed(`camq worker ${worker.nodename}`, 'camq test: forced close')).toBe(1);
    await worker.waitForLog(/consumer: Connection to broker lost: amqp:\/\/guest:\*\*@127\.0\.0\.1:\d+\/.* \(.*camq test: forced close.*\)/);
    await worker.waitForLog(/dropped 3 unstarted task\(s\) of the lost connection: they were never acked, so the broker requeues them/);
    await worker.waitForLog(/consumer: reconnecting to amqp:\/\/guest:\*\*@.* \(attempt 1, next in \d\.\d s\)/);
    // The running task ends after the loss: its ack has no channel left.
    await worker.waitForLog(/couldn't ack 1 message\(s\): the connection is gone; the broker redelivers them/, 30_000);
    const ids = await Promise.all(results.map((r) => r.get({ timeout: 60 })));
    expect(ids.sort()).toEqual(results.map((r) => r.id).sort());
    expect(worker.output()).not.toMatch(/Cannot connect|is the broker running|Set -b\/--broker/);
    expect(worker.count(/couldn't ack/)).toBe(1);
  }, 120_000);

  it.skipIf(name === 'rabbitmq')(
    'while the broker is down, each retry says why it failed and when the next comes, then resumes',
    async () => {
      const broker = await startBrokerProcess();
      let restarted: Awaited<ReturnType<typeof startBrokerProcess>> | undefined;
      try {
        const queue = `camq-test-${randomUUID()}`;
        const worker = await start(queue, [], undefined, broker.url);
        await broker.stop();
        await worker.waitForLog(/consumer: Connection to broker lost: /);
        await worker.waitForLog(
          /consumer: still no connection to amqp:\/\/guest:\*\*@127\.0\.0\.1:\d+\/\/ \(connection refused \(ECONNREFUSED\)\); reconnecting \(attempt 3, next in \d\.\d s\)/,
          20_000,
        );
        restarted = await startBrokerProcess(['--port', String(broker.port)]);
        await vi.waitFor(() => expect(worker.count(/ ready\./)).toBe(2), { timeout: 20_000, interval: 50 });
        expect(
          await (
            await client(broker.url)
              .taskOf<[number, number], number>('tasks.add')
              .applyAsync({ args: [4, 4], queue })
          ).get({ timeout: 20 }),
        ).toBe(8);
        expect(worker.output()).not.toMatch(/Cannot connect|is the broker running|Set -b\/--broker/);
      } finally {
        for (const w of workers.splice(0)) await w.stop();
        await restarted?.stop();
        await broker.stop();
      }
    },
    90_000,
  );
});
