/**
 * Issue 9, worker items 1, 2, 5, 6 and 7, against real brokers (RabbitMQ and the embedded one) with the Worker
 * engine in this process: what used to crash, stall or loop the worker, each now refused with one line or handled,
 * and after it the worker still consumes and a normal task still runs.
 */
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { afterAll, afterEach, expect, it, vi } from 'vitest';
import { parseBrokerUrl } from '../../src/amqp/index.js';
import { ControlClient } from '../../src/control/control-client.js';
import { buildTaskMessage, parseIsoDate, signature, type TaskSendOptions } from '../../src/protocol/index.js';
import { createLogger } from '../../src/util/logger.js';
import { CamqApp, Worker } from '../../src/worker/index.js';
import { deleteQueues } from '../helpers/camq-worker.js';
import { brokerTargets, describeBrokers } from '../helpers/brokers.js';

const targets = await brokerTargets();

function deep(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describeBrokers('worker hardening (issue 9)', targets, ({ url, inspector }) => {
  const queues: string[] = [];
  const workers: Worker[] = [];
  const apps: CamqApp[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop('cold');
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    for (const close of closers) await close().catch(() => {});
    await deleteQueues(url, queues);
  });

  /** A worker in this process on a queue of its own, with info logging and task events (what made repr run). */
  async function start(options: { etaDelayAfter?: number | null } = {}) {
    const queue = `camq-test-${randomUUID()}`;
    queues.push(queue);
    const ran: string[] = [];
    const app = new CamqApp({ defaultQueue: queue });
    app.task('tasks.add', function (x: number, y: number) {
      ran.push(this.id);
      return x + y;
    });
    app.task('tasks.add_async', async function (x: number, y: number) {
      ran.push(this.id);
      return x + y;
    });
    app.task('tasks.deep', (n: number) => deep(n));
    app.task('tasks.sleep', async (ms: number) => {
      await new Promise((r) => setTimeout(r, ms));
      return 'slept';
    });
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', write: (line) => lines.push(line) });
    const hostname = `hardening-${randomUUID().slice(0, 8)}@test`;
    const worker = new Worker({ app, broker: url, hostname, concurrency: 2, queues: [queue], logger, taskEvents: true, ...options });
    workers.push(worker);
    await worker.start();
    const client = new CamqApp({ broker: url, defaultQueue: queue });
    apps.push(client);
    const u = parseBrokerUrl(url);
    const conn = await amqp.connect({ hostname: u.hostname, port: u.port, username: u.username, password: u.password, vhost: u.vhost });
    closers.push(() => conn.close());
    const raw = await conn.createChannel();
    return {
      queue,
      worker,
      ran,
      lines,
      count: (re: RegExp) => lines.filter((l) => re.test(l)).length,
      waitForLog: (re: RegExp) => vi.waitFor(() => expect(lines.some((l) => re.test(l))).toBe(true), { timeout: 15_000, interval: 20 }),
      /** Publish a task message as a producer would, after `edit` changed its headers or its body. */
      send(options: Omit<TaskSendOptions, 'queue'>, edit: (headers: Record<string, unknown>, body: unknown[]) => string | void = () => {}) {
        const built = buildTaskMessage({ ...options, queue });
        const headers = { ...(built.properties.headers as Record<string, unknown>) };
        const body = JSON.parse(built.content.toString()) as unknown[];
        const text = edit(headers, body);
        raw.sendToQueue(queue, Buffer.from(text ?? JSON.stringify(body)), { ...built.properties, headers });
        return built.id;
      },
      /** A normal task still runs and returns through the worker. */
      async stillWorks() {
        const add = client.taskOf<[number, number], number>('tasks.add');
        expect(await (await add.applyAsync({ args: [20, 22] })).get({ timeout: 20 })).toBe(42);
      },
      async settled() {
        await vi.waitFor(async () => expect(await inspector.queue(queue)).toMatchObject({ messages: 0, unacked: 0, consumers: 1 }), {
          timeout: 15_000,
          interval: 200,
        });
      },
    };
  }

  it('refuses a bad embed on receipt (callbacks [null], chain [null], a garbage callback ETA), runs nothing, keeps its consumer', async () => {
    const w = await start();
    const bad = [
      ['callbacks: [null]', { callbacks: [null] }],
      ['chain: [null]', { chain: [null] }],
      ["options.eta: 'garbage'", { callbacks: [signature('tasks.add', [1], {}, { options: { eta: 'garbage' } })] }],
    ] as const;
    const ids: string[] = [];
    for (const [, embed] of bad) {
      for (const name of ['tasks.add', 'tasks.add_async']) ids.push(w.send({ name, args: [1, 2] }, (_h, body) => void (body[2] = embed)));
    }
    await w.stillWorks();
    await w.settled();
    expect(w.ran.filter((id) => ids.includes(id))).toEqual([]);
    expect(w.count(/Received invalid task message: callback 0 is null, not a signature dict/)).toBeGreaterThanOrEqual(1);
    expect(w.lines.join('\n')).not.toMatch(/TypeError|internal error/);
  });

  it('says so when the broker closes the task consumer channel, consumes again, and loses nothing', async () => {
    const w = await start();
    // An ack of a delivery tag the channel never had: the broker closes the channel (406), not the connection.
    const channel = (w.worker.consumer as unknown as { channel: amqp.Channel }).channel;
    channel.ack({ fields: { deliveryTag: 999_999 } } as amqp.Message);
    await w.waitForLog(/the task consumer's channel was closed \(.*\); consuming again on a new channel/);
    await w.stillWorks();
    await w.settled();
  });

  it('a consumer channel the broker keeps closing (6 times in a minute) stops the worker cold, with a critical line', async () => {
    const w = await start();
    const consumer = w.worker.consumer as unknown as { channel: amqp.Channel | undefined };
    for (let i = 0; i < 6; i++) {
      // Close the channel once the worker consumes on it again (a close while it re-attaches is another path).
      await vi.waitFor(() => expect(w.count(/consuming again from/)).toBe(i), { timeout: 15_000, interval: 20 });
      await vi.waitFor(() => expect(consumer.channel).toBeDefined(), { timeout: 15_000, interval: 20 });
      consumer.channel!.ack({ fields: { deliveryTag: 999_999 } } as amqp.Message);
      await vi.waitFor(() => expect(w.count(/task consumer's channel was closed/)).toBe(i + 1), { timeout: 15_000, interval: 20 });
    }
    expect(await w.worker.done).toEqual({ mode: 'cold' });
    expect(w.count(/CRITICAL.*the task consumer's channel was closed 6 times in a minute .*; stopping/)).toBe(1);
  });

  it('a lost connection is a reconnect, not a consumer-channel loss: no false line, one consumer after it', async () => {
    const w = await start();
    let ready = 0;
    w.worker.on('ready', () => ready++);
    expect(await inspector.closeConnectionsNamed(`camq worker ${w.worker.hostname}`, 'camq test: forced close')).toBe(1);
    await vi.waitFor(() => expect(ready).toBe(1), { timeout: 30_000, interval: 50 });
    await w.stillWorks();
    await w.settled();
    expect(w.lines.join('\n')).not.toMatch(/task consumer's channel was closed/);
  });

  it('a task returning 100 000 levels of nesting fails with EncodeError (no stack overflow); 2 000 levels succeed', async () => {
    const w = await start();
    const client = apps.at(-1)!;
    const task = client.taskOf<[number], unknown>('tasks.deep');
    await expect((await task.applyAsync({ args: [100_000] })).get({ timeout: 20 })).rejects.toThrow(/EncodeError|not JSON/);
    expect(JSON.stringify(await (await task.applyAsync({ args: [2000] })).get({ timeout: 20 })).length).toBe(2000 * 2 + 1);
    // The log says what the result says: the 100 000-level one failed (EncodeError), the 2 000-level one succeeded,
    // its repr cut at 100 levels with reprlib's marker.
    expect(w.count(/tasks\.deep\[.*\] raised unexpected: EncodeError/)).toBe(1);
    expect(w.count(/tasks\.deep\[.*\] succeeded in .*: \[\[\[.*\[\.\.\.\]/)).toBe(1);
    // Deep args: refused as undecodable (as Python's decoder would), in one line.
    w.send({ name: 'tasks.add', args: [] }, () => `[[${'['.repeat(5000)}1${']'.repeat(5000)}], {}, {}]`);
    await w.waitForLog(/Can't decode message body: it nests more than 1000 levels deep/);
    await w.stillWorks();
    await w.settled();
  });

  it('an ETA 30 days away waits (no 1 ms re-arm, no TimeoutOverflowWarning) and is listed with a valid ISO date; a time limit of 1e10 s does not fire', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      // Held in memory (--eta-delay-after off): this is about the worker's own timer; docs/worker.md's long ETAs
      // would otherwise put it in the broker's delay queues.
      const w = await start({ etaDelayAfter: null });
      const eta = new Date(Date.now() + 30 * 86_400_000);
      const id = w.send({ name: 'tasks.add', args: [1, 1], eta });
      await vi.waitFor(() => expect(w.worker.scheduled().map((e) => e.request.id)).toContain(id), { timeout: 15_000, interval: 20 });
      const [entry] = w.worker.scheduled();
      expect(entry!.eta).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
      expect(Math.abs(parseIsoDate(entry!.eta)! - eta.getTime())).toBeLessThan(1);
      const client = apps.at(-1)!;
      const sleep = client.taskOf<[number], string>('tasks.sleep');
      expect(await (await sleep.applyAsync({ args: [50], timeLimit: 1e10, softTimeLimit: 1e10 })).get({ timeout: 20 })).toBe('slept');
      await w.stillWorks();
      expect(w.ran).not.toContain(id);
      expect(warnings).not.toContain('TimeoutOverflowWarning');
      // Dates Python would refuse are refused, one line each.
      for (const bad of ['2026-02-31T00:00:00', '2026-01-01T00:00:00+99:99', '0000-00-00T00:00:00'])
        w.send({ name: 'tasks.add', args: [1, 1] }, (h) => void (h['eta'] = bad));
      // The three lines are of one kind: the first is written, the others counted (RepeatLimiter).
      await w.waitForLog(/invalid ETA value '2026-02-31T00:00:00'/);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it("refuses negative retries and a body its compression header lies about; a callback with queue '' goes to the default queue, leaving no amq.gen-* queue", async () => {
    const w = await start();
    const negative = w.send({ name: 'tasks.add', args: [1, 1] }, (h) => void (h['retries'] = -1_000_000));
    const compressed = w.send({ name: 'tasks.add', args: [1, 1] }, (h) => void (h['compression'] = 'application/x-gzip'));
    await w.waitForLog(/retries -1000000 is not a whole number ≥ 0/);
    // Plain JSON under `compression: application/x-gzip`: not a zlib stream, so dropped as undecodable (as Celery does).
    await w.waitForLog(/Can't decode message body: DecodeError\("incorrect header check"\) \[type:'application\/json'/);
    const client = apps.at(-1)!;
    const add = client.taskOf<[number, number], number>('tasks.add');
    const callbackId = randomUUID();
    await (
      await add.applyAsync({ args: [1, 2], link: [signature('tasks.add', [10], {}, { options: { queue: '', task_id: callbackId } })] })
    ).get({ timeout: 20 });
    await vi.waitFor(() => expect(w.ran).toContain(callbackId), { timeout: 15_000, interval: 20 });
    expect(w.ran).not.toContain(negative);
    expect(w.ran).not.toContain(compressed);
    expect((await inspector.listQueues()).filter((q) => q.name.startsWith('amq.gen-'))).toEqual([]);
    await w.settled();
  });

  it('add_consumer with exchange_type bogus is refused with a reply saying why, and no reconnect; pool_grow is capped', async () => {
    const w = await start();
    const control = await ControlClient.connect(url, { timeout: 5 });
    closers.push(() => control.close());
    const extra = `camq-test-${randomUUID()}`;
    queues.push(extra);
    // As a Python client (or any producer) can send it: camq's own client refuses the type before sending.
    const command = { method: 'add_consumer', arguments: { queue: extra, exchange: extra, exchange_type: 'bogus', routing_key: extra } };
    const refused = await control.broadcast(command, { destination: [w.worker.hostname] });
    expect(refused.replies.get(w.worker.hostname)).toEqual({ error: expect.stringMatching(/exchange_type 'bogus' is not an exchange type/) });
    const plugin = {
      method: 'add_consumer',
      arguments: { queue: extra, exchange: `${extra}-x`, exchange_type: 'x-delayed-message', routing_key: extra },
    };
    expect((await control.broadcast(plugin, { destination: [w.worker.hostname] })).replies.get(w.worker.hostname)).toEqual({
      error: expect.stringMatching(
        /exchange .* of type x-delayed-message does not exist, and camq declares only direct, topic, fanout, headers exchanges; declare it first/,
      ),
    });
    const grown = await control.poolGrow(1000, { destination: [w.worker.hostname] });
    expect(grown.replies.get(w.worker.hostname)).toEqual({ ok: expect.stringMatching(/^pool will grow to \d+, its maximum/) });
    expect((await control.ping({ destination: [w.worker.hostname] })).replies.get(w.worker.hostname)).toEqual({ ok: 'pong' });
    await w.stillWorks();
    expect(w.lines.join('\n')).not.toMatch(/Connection to broker lost|Cannot connect/);
    expect(w.worker.activeQueues().map((q) => q.name)).toEqual([w.queue]);
  });
});
