/**
 * camq worker under bad input, lost connections, restarts and shutdown under load, on each broker (RabbitMQ, and the
 * embedded one as `camq broker`). Some tests inspect raw broker state on purpose (queue depth and closing the
 * worker's connection, through the broker's inspector).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { expect, it, vi } from 'vitest';
import { buildTaskMessage, PICKLE_CONTENT_TYPE } from '../../src/protocol/index.js';
import { TaskRevokedError } from '../../src/worker/index.js';
import { useWorkerSuite } from '../helpers/worker-suite.js';
import { brokerTargets, describeBrokers } from '../helpers/brokers.js';
import { runBin } from '../helpers/run-bin.js';
import { usePythonCelery, runCeleryCli, startPythonWorker } from '../helpers/python-celery.js';
import { parseBrokerUrl } from '../../src/amqp/index.js';

const hasPython = await usePythonCelery('the worker robustness tests are skipped');
const targets = hasPython ? await brokerTargets({ embedded: 'child-process' }) : [];
const FIXTURE = 'test/fixtures/worker/tasks.js';

describeBrokers('camq worker robustness', targets, ({ url, inspector }) => {
  const { newQueue, start, client, workers } = useWorkerSuite(url, FIXTURE);

  it('survives malformed messages, never runs them, and keeps serving', async () => {
    const queue = newQueue();
    const worker = await start(queue);
    const u = parseBrokerUrl(url);
    const conn = await amqp.connect({ hostname: u.hostname, port: u.port, username: u.username, password: u.password, vhost: u.vhost });
    const ch = await conn.createChannel();
    const good = buildTaskMessage({ name: 'tasks.add', args: [1, 2], queue });
    const send = (content: Buffer | string, props: object) => ch.sendToQueue(queue, Buffer.from(content), props);
    send('{not json', good.properties);
    send(Buffer.from([0x80, 0x04, 0x95]), { ...good.properties, contentType: PICKLE_CONTENT_TYPE, contentEncoding: 'binary' });
    const noId = { ...(good.properties.headers as Record<string, unknown>) };
    delete noId['id'];
    send(good.content, { ...good.properties, headers: noId });
    send(good.content, { ...good.properties, contentType: undefined });
    send('{"args": 1}', good.properties);
    send('[1, 2]', { contentType: 'application/json' });
    send(good.content, { ...good.properties, headers: { ...(good.properties.headers as object), task: 'tasks.nope', id: randomUUID() } });
    send(good.content, { ...good.properties, headers: { ...(good.properties.headers as object), eta: 'not-a-date' } });
    await ch.close();
    await conn.close();
    await worker.waitForLog(/Can't decode message body/);
    await worker.waitForLog(/Refusing to deserialize untrusted content of type pickle \(application\/x-python-serialize\)/);
    await worker.waitForLog(/has no 'id' header/);
    await worker.waitForLog(/no content_type property/);
    await worker.waitForLog(/Received and deleted unknown message\. {2}Wrong destination\?!\?/);
    await worker.waitForLog(/Received unregistered task of type 'tasks\.nope'\./);
    await worker.waitForLog(/invalid ETA value 'not-a-date'/);
    expect(worker.output()).not.toMatch(/tasks\.add\[.*\] succeeded/);
    const add = client().taskOf<[number, number], number>('tasks.add');
    expect(await (await add.applyAsync({ args: [2, 2], queue })).get({ timeout: 20 })).toBe(4);
    expect(worker.process.exitCode).toBeNull();
    // Rejected, not requeued: no poison loop. Early acks are coalesced to the end of the event-loop turn, and a
    // synchronous task may finish (and publish its result) within that turn, so the caller can have its result a
    // moment before the broker reads the ack: wait for the count to settle. A requeued message
    // would be ready or unacked at every moment, never 0/0; and each bad message was handled exactly once.
    await vi.waitFor(async () => expect(await inspector.queue(queue)).toMatchObject({ messages: 0, unacked: 0 }), { timeout: 15_000, interval: 100 });
    expect(worker.count(/invalid ETA value 'not-a-date'/)).toBe(1);
    expect(worker.count(/Received unregistered task of type 'tasks\.nope'\./)).toBe(1);
  });

  it.each([
    ['acks-late', 'tasks.late_sleep'],
    ['early (coalesced) acks', 'tasks.early_sleep'],
  ])(
    'SIGTERM under load loses no task (%s): N published, worker 1 stopped mid-way, worker 2 finishes, N distinct successes',
    async (_acks, task) => {
      const queue = newQueue();
      const N = 200;
      const app = client();
      const sleep = app.taskOf<[number], string>(task);
      const results = await Promise.all(Array.from({ length: N }, () => sleep.applyAsync({ args: [0.05], queue })));
      const first = await start(queue, ['-c', '8']);
      await vi.waitFor(() => expect(first.count(/succeeded in/)).toBeGreaterThanOrEqual(40), { timeout: 30_000, interval: 20 });
      expect(await first.stop('SIGTERM')).toBe(0);
      const doneByFirst = first.count(/succeeded in/);
      expect(doneByFirst).toBeLessThan(N);
      expect(first.output()).toMatch(/Restored \d+ unstarted task\(s\) to the queue/);
      const second = await start(queue, ['-c', '8']);
      const ids = await Promise.all(results.map((r) => r.get({ timeout: 60 })));
      expect(new Set(ids).size).toBe(N);
      expect(ids.sort()).toEqual(results.map((r) => r.id).sort());
      expect(second.count(/succeeded in/)).toBeGreaterThan(0);
      expect(first.output()).not.toMatch(/PRECONDITION_FAILED|unknown delivery tag/);
      await second.stop();
      // nothing left behind: no message stuck unacked or requeued after the last ack went out (RabbitMQ applies acks
      // in the queue's own process, a moment after the connection closed)
      await vi.waitFor(async () => expect(await inspector.queue(queue)).toMatchObject({ messages: 0, unacked: 0 }), {
        timeout: 15_000,
        interval: 100,
      });
    },
    120_000,
  );

  it('reconnects after the broker closes its connection; the held ETA task comes back and runs', async () => {
    const queue = newQueue();
    const worker = await start(queue);
    const app = client();
    const add = app.taskOf<[number, number], number>('tasks.add');
    const held = await add.applyAsync({ args: [3, 3], queue, countdown: 3 });
    await worker.waitForLog(new RegExp(`${held.id}\\] received`));
    expect(await inspector.closeConnectionsNamed(`camq worker ${worker.nodename}`, 'camq test: forced close')).toBe(1);
    await worker.waitForLog(/Connection to broker lost/);
    await vi.waitFor(() => expect(worker.count(/ ready\./)).toBe(2), { timeout: 30_000 });
    expect(await held.get({ timeout: 30 })).toBe(6);
    expect(await (await add.applyAsync({ args: [1, 1], queue })).get({ timeout: 20 })).toBe(2);
    expect((await runCeleryCli(url, ['inspect', 'ping', '-d', worker.nodename, '-j'])).stdout).toContain('pong');
  });

  it('declares its mailbox exclusive, so a second worker with the same node name is refused and the first keeps its commands', async () => {
    const queue = newQueue();
    const first = await start(queue);
    const mailbox = `${first.nodename}.celery.pidbox`;
    expect(await inspector.queue(mailbox)).toMatchObject({ durable: false, autoDelete: true, exclusive: true, consumers: 1 });
    const second = await runBin('camq', ['-b', url, 'worker', '-A', FIXTURE, '-n', first.nodename, '-Q', queue, '--no-banner']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `Error: the mailbox queue ${mailbox} belongs to another connection: a worker named ${first.nodename} is already running on this broker`,
    );
    expect(second.stderr).not.toMatch(/\n\s+at /);
    const ping = await runCeleryCli(url, ['inspect', 'ping', '-d', first.nodename, '-j']);
    expect(JSON.parse(ping.stdout)).toEqual({ [first.nodename]: { ok: 'pong' } });
    await first.stop();
    await vi.waitFor(async () => expect(await inspector.queue(mailbox)).toBeUndefined(), { timeout: 15_000, interval: 100 });
  });

  it('consumes and sends to a queue that another client declared with other arguments, as it is, with a warning', async () => {
    const queue = newQueue();
    const u = parseBrokerUrl(url);
    const conn = await amqp.connect({ hostname: u.hostname, port: u.port, username: u.username, password: u.password, vhost: u.vhost });
    const ch = await conn.createChannel();
    await ch.assertQueue(queue, { durable: true, arguments: { 'x-message-ttl': 600_000 } });
    await conn.close();
    const worker = await start(queue);
    expect(worker.output()).toContain(
      `queue ${queue} exists with other settings than camq declares (inequivalent arg 'x-message-ttl' for queue '${queue}'`,
    );
    const add = client().taskOf<[number, number], number>('tasks.add');
    expect(await (await add.applyAsync({ args: [2, 3], queue })).get({ timeout: 20 })).toBe(5);
    expect(await inspector.queue(queue)).toMatchObject({ durable: true, arguments: { 'x-message-ttl': 600_000 } });
  });

  // Quorum queues (consumed with per-consumer prefetch since issue 16): test/integration/worker-quorum.int.test.ts.

  it('--statedb keeps revoked ids across restarts', async () => {
    const queue = newQueue();
    const dir = mkdtempSync(join(tmpdir(), 'camq-statedb-'));
    const statedb = join(dir, 'w.state');
    const nodename = `camq-test-${randomUUID().slice(0, 8)}@testhost`;
    try {
      const id = randomUUID();
      let worker = await start(queue, ['--statedb', statedb], nodename);
      const revoke = await runCeleryCli(url, ['control', 'revoke', id, '-d', nodename, '-j']);
      expect(revoke.stdout).toContain('flagged as revoked');
      await worker.stop();
      workers.splice(workers.indexOf(worker), 1);
      worker = await start(queue, ['--statedb', statedb], nodename);
      const revoked = await runCeleryCli(url, ['inspect', 'revoked', '-d', nodename, '-j']);
      expect(JSON.parse(revoked.stdout)[nodename]).toContain(id);
      const add = client().taskOf<[number, number], number>('tasks.add');
      await expect((await add.applyAsync({ args: [1, 1], queue, id })).get({ timeout: 20 })).rejects.toBeInstanceOf(TaskRevokedError);
      // The REVOKED result can reach the caller before the worker's log line reaches us: wait for the line.
      await worker.waitForLog(new RegExp(`Discarding revoked task: tasks\\.add\\[${id}\\]`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(['threads', 'processes'])('--pool %s runs CPU-bound tasks and kills a slot at the hard time limit', async (pool) => {
    const queue = newQueue();
    const worker = await start(queue, ['--pool', pool, '-c', '2']);
    const app = client();
    expect(await (await app.taskOf<[number], number>('tasks.fib').applyAsync({ args: [25], queue })).get({ timeout: 20 })).toBe(75025);
    const spin = await app.taskOf<[number], number>('tasks.spin').applyAsync({ args: [30], queue, timeLimit: 1 });
    await expect(spin.get({ timeout: 20 })).rejects.toMatchObject({ excType: 'TimeLimitExceeded' });
    await worker.waitForLog(/Hard time limit \(1s\) exceeded for tasks\.spin/);
    // the slot was replaced and the pool still works
    expect(await (await app.taskOf<[number, number], number>('tasks.add').applyAsync({ args: [2, 3], queue })).get({ timeout: 20 })).toBe(5);
  });

  it('terminate kills a running task in the process pool; the caller gets TaskRevokedError', async () => {
    const queue = newQueue();
    const worker = await start(queue, ['--pool', 'processes', '-c', '1']);
    const app = client();
    const spin = await app.taskOf<[number], number>('tasks.spin').applyAsync({ args: [30], queue });
    await worker.waitForLog(new RegExp(`${spin.id}\\] received`));
    await new Promise((r) => setTimeout(r, 300));
    const r = await runCeleryCli(url, ['control', 'terminate', 'SIGKILL', spin.id, '-d', worker.nodename, '-j']);
    expect(JSON.parse(r.stdout)).toEqual([{ [worker.nodename]: { ok: `terminate: ${spin.id}` } }]);
    await expect(spin.get({ timeout: 20 })).rejects.toBeInstanceOf(TaskRevokedError);
  });

  it('tasks sent from Node run on a Python worker (the Node sender writes what Python expects)', async () => {
    const queue = newQueue();
    const py = await startPythonWorker({ brokerUrl: url, nodename: `py-${randomUUID().slice(0, 8)}@testhost`, queues: queue, concurrency: 1 });
    try {
      const app = client();
      const add = app.taskOf<[number, number], number>('tasks.add');
      expect(await (await add.applyAsync({ args: [2, 2], queue })).get({ timeout: 20 })).toBe(4);
      const t0 = Date.now();
      expect(await (await add.applyAsync({ args: [1, 2], queue, countdown: 1 })).get({ timeout: 20 })).toBe(3);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
      await expect((await app.taskOf('tasks.fail').applyAsync({ args: ['x'], queue })).get({ timeout: 20 })).rejects.toMatchObject({
        excType: 'RuntimeError',
      });
    } finally {
      await py.stop();
    }
  });
});
