/**
 * The request lifecycle of the worker engine against an in-memory transport (test/fakes/fake-transport.ts) and a
 * ManualClock: what it acks, rejects, publishes (results, retries, events) and when.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildTaskMessage,
  decodeTaskMessage,
  jsonProperties,
  PICKLE_CONTENT_TYPE,
  signature,
  type TaskSendOptions,
} from '../../../src/protocol/index.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { CamqApp, Worker, type TaskContext } from '../../../src/worker/index.js';
import { FakeTransport, type FakeChannel } from '../../fakes/fake-transport.js';

const Q = 'q1';
const REPLY = 'reply-oid';
const tick = () => new Promise((r) => setImmediate(r));

interface Setup {
  worker: Worker;
  conn: FakeTransport;
  clock: ManualClock;
  tasks: FakeChannel;
  send(options: Omit<TaskSendOptions, 'queue'>): { id: string; tag: number };
  results(id?: string): { status: string; result: unknown; task_id: string }[];
  events(): Record<string, unknown>[];
}

let running: Worker[] = [];
const connections: FakeTransport[] = [];
afterEach(async () => {
  for (const w of running) await w.stop('cold');
  running = [];
  // Nothing a worker did may have been a channel error on a real broker (a double ack, a multiple ack over a settled tag).
  for (const c of connections.splice(0)) expect(c.channels.flatMap((ch) => ch.errors)).toEqual([]);
});

async function setup(register: (app: CamqApp) => void, options: Partial<ConstructorParameters<typeof Worker>[0]> = {}): Promise<Setup> {
  const app = new CamqApp();
  register(app);
  const conn = new FakeTransport();
  connections.push(conn);
  const clock = new ManualClock();
  const worker = new Worker({ app, broker: conn, hostname: 'w1@test', concurrency: 2, queues: [Q], clock, taskEvents: true, ...options });
  running.push(worker);
  await worker.start();
  const tasks = conn.consumerOf(Q);
  return {
    worker,
    conn,
    clock,
    tasks,
    send(opts) {
      const msg = buildTaskMessage({ replyTo: REPLY, now: clock.now(), ...opts, queue: Q });
      return { id: msg.id, tag: tasks.deliver(Q, msg) };
    },
    results(id) {
      return conn.published
        .filter((p) => p.routingKey === REPLY)
        .map((p) => p.body as { status: string; result: unknown; task_id: string })
        .filter((b) => id === undefined || b.task_id === id);
    },
    events() {
      return conn.published
        .filter((p) => p.exchange === 'celeryev')
        .flatMap((p) => (Array.isArray(p.body) ? (p.body as Record<string, unknown>[]) : [p.body as Record<string, unknown>]));
    },
  };
}

/** A worker with `tasks.hang`, a task that never ends; `signal()` is the AbortSignal its last run was given. */
async function setupHang(): Promise<Setup & { signal(): AbortSignal }> {
  let signal: AbortSignal | undefined;
  const s = await setup((app) =>
    app.task('tasks.hang', function (this: TaskContext) {
      signal = this.signal;
      return new Promise(() => {});
    }),
  );
  return { ...s, signal: () => signal! };
}

describe('worker request lifecycle', () => {
  it('sets QoS to concurrency × multiplier with global=true and consumes with acks', async () => {
    const { tasks } = await setup(() => {}, { concurrency: 3, prefetchMultiplier: 4 });
    expect(tasks.prefetches[0]).toEqual({ count: 12, global: true });
    expect([...tasks.consumers.values()][0]!.noAck).toBe(false);
  });

  it('acks when the task starts, publishes the rpc result and sends batched task events with repr strings', async () => {
    const s = await setup((app) => app.task('tasks.add', (x: number, y: number) => x + y));
    const { id, tag } = s.send({ name: 'tasks.add', args: [2, 2] });
    expect(s.tasks.acked).toEqual([]); // acks leave at the end of the event-loop turn
    await tick();
    expect(s.tasks.acked).toEqual([tag]);
    const [result] = s.results(id);
    expect(result).toMatchObject({ task_id: id, status: 'SUCCESS', result: 4, traceback: null, children: [] });
    const reply = s.conn.published.find((p) => p.routingKey === REPLY)!;
    expect(reply.exchange).toBe('');
    expect(reply.properties.correlationId).toBe(id);
    await tick();
    const batches = s.conn.published.filter((p) => p.routingKey === 'task.multi');
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.every((b) => Array.isArray(b.body))).toBe(true);
    const types = s
      .events()
      .filter((e) => e['uuid'] === id)
      .map((e) => e['type']);
    expect(types).toEqual(['task-received', 'task-started', 'task-succeeded']);
    const received = s.events().find((e) => e['type'] === 'task-received')!;
    expect(received).toMatchObject({
      name: 'tasks.add',
      args: '(2, 2)',
      kwargs: '{}',
      retries: 0,
      eta: null,
      hostname: 'w1@test',
      clock: expect.any(Number),
    });
    expect(s.events().find((e) => e['type'] === 'task-succeeded')).toMatchObject({ result: '4', runtime: expect.any(Number) });
  });

  it('binds Python keyword arguments through params', async () => {
    const s = await setup((app) => app.task('tasks.add', (x: number, y: number) => x + y, { params: ['x', 'y'] }));
    const { id } = s.send({ name: 'tasks.add', args: [1], kwargs: { y: 5 } });
    expect(s.results(id)[0]).toMatchObject({ status: 'SUCCESS', result: 6 });
  });

  it('with acks-late acks only after the task finished', async () => {
    let release!: () => void;
    const s = await setup((app) => app.task('tasks.wait', () => new Promise<void>((r) => (release = r)), { acksLate: true }));
    const { tag } = s.send({ name: 'tasks.wait' });
    await tick();
    expect(s.tasks.acked).toEqual([]);
    expect(s.worker.active().map((r) => r.info().acknowledged)).toEqual([false]);
    release();
    await tick(); // the handler's promise settles, the ack is asked for ...
    await tick(); // ... and leaves at the end of that turn
    expect(s.tasks.acked).toEqual([tag]);
  });

  it('runs at most -c tasks at once and lists the others as reserved', async () => {
    const releases: (() => void)[] = [];
    const s = await setup((app) => app.task('tasks.wait', () => new Promise<void>((r) => releases.push(r))), { concurrency: 2 });
    const ids = [1, 2, 3].map(() => s.send({ name: 'tasks.wait' }).id);
    expect(s.worker.active().map((r) => r.id)).toEqual(ids.slice(0, 2));
    expect(s.worker.reserved().map((r) => r.id)).toEqual([ids[2]]);
    expect(s.worker.reserved()[0]!.info()).toMatchObject({ acknowledged: false, time_start: null, worker_pid: null, type: 'tasks.wait' });
    releases[0]!();
    await tick();
    expect(s.worker.active().map((r) => r.id)).toEqual([ids[1], ids[2]]);
  });

  it('holds ETA tasks unacked, raises the QoS by one each, lists them as scheduled, runs them at the ETA', async () => {
    const s = await setup((app) => app.task('tasks.add', (x: number, y: number) => x + y), { concurrency: 2 });
    const { id, tag } = s.send({ name: 'tasks.add', args: [1, 1], countdown: 2 });
    await tick();
    expect(s.tasks.prefetches.at(-1)).toEqual({ count: 9, global: true });
    expect(s.worker.scheduled()).toEqual([
      expect.objectContaining({
        priority: 6,
        eta: expect.stringMatching(/\.\d{6}\+00:00$/),
        request: expect.objectContaining({ id, acknowledged: false }),
      }),
    ]);
    expect(s.worker.reserved()).toEqual([]);
    s.clock.advance(1999);
    await tick();
    expect(s.tasks.acked).toEqual([]);
    s.clock.advance(1);
    await tick();
    expect(s.tasks.acked).toEqual([tag]);
    expect(s.results(id)[0]).toMatchObject({ status: 'SUCCESS', result: 2 });
    await tick();
    expect(s.tasks.prefetches.at(-1)).toEqual({ count: 8, global: true });
    expect(s.worker.stats().prefetch_count).toBe(8);
  });

  it('discards a revoked ETA task when it comes due: ack, task-revoked, REVOKED result, never run', async () => {
    let ran = false;
    const s = await setup((app) => app.task('tasks.add', () => (ran = true)));
    const { id, tag } = s.send({ name: 'tasks.add', countdown: 5 });
    s.worker.revoked.add(id);
    expect(s.worker.scheduled()).toHaveLength(1); // revoke never touches the held message (§7 trap 16)
    s.clock.advance(5000);
    expect(ran).toBe(false);
    await tick();
    expect(s.tasks.acked).toEqual([tag]);
    expect(s.results(id)[0]).toMatchObject({
      status: 'REVOKED',
      result: { exc_type: 'TaskRevokedError', exc_message: ['revoked'], exc_module: 'celery.exceptions' },
    });
    await tick();
    expect(s.events().find((e) => e['type'] === 'task-revoked')).toMatchObject({ uuid: id, terminated: false, signum: null, expired: false });
  });

  it('treats a past expires as revoked (expired) on receipt', async () => {
    let ran = false;
    const s = await setup((app) => app.task('tasks.add', () => (ran = true)));
    const { id } = s.send({ name: 'tasks.add', expires: new Date(s.clock.now() - 1000) });
    expect(ran).toBe(false);
    expect(s.results(id)[0]).toMatchObject({ status: 'REVOKED', result: { exc_message: ['expired'] } });
    expect(s.worker.revoked.has(id)).toBe(true);
    await tick();
    expect(s.events().find((e) => e['type'] === 'task-revoked')).toMatchObject({ expired: true });
  });

  it('publishes FAILURE with a Python exception Celery can rebuild, and task-failed with repr and traceback', async () => {
    const s = await setup((app) =>
      app.task('tasks.fail', () => {
        throw Object.assign(new Error('kaboom'), { name: 'RuntimeError' });
      }),
    );
    const { id } = s.send({ name: 'tasks.fail' });
    expect(s.results(id)[0]).toMatchObject({
      status: 'FAILURE',
      result: { exc_type: 'RuntimeError', exc_message: ['kaboom'], exc_module: 'builtins' },
    });
    await tick();
    const failed = s.events().find((e) => e['type'] === 'task-failed');
    expect(failed).toMatchObject({ exception: "RuntimeError('kaboom')", traceback: expect.stringContaining('RuntimeError: kaboom') });
    // The handler's frame is there; Node's own (node:internal/...) are not.
    expect(failed!['traceback']).toMatch(/^Traceback \(most recent call last\):\n {4}at .*worker-lifecycle\.test\.ts:\d+:\d+/);
    expect(failed!['traceback']).not.toContain('node:');
  });

  it('retries: republishes the same id with retries+1, an ETA, parent_id = itself, to the default exchange; stops at maxRetries', async () => {
    const s = await setup((app) =>
      app.task(
        'tasks.retry_me',
        function (this: TaskContext) {
          this.retry({ countdown: 20, exc: Object.assign(new Error(`boom ${this.retries}`), { name: 'ValueError' }) });
        },
        { maxRetries: 1 },
      ),
    );
    const { id } = s.send({ name: 'tasks.retry_me' });
    const retry = s.conn.published.find((p) => p.routingKey === Q)!;
    expect(retry.exchange).toBe('');
    const headers = retry.properties.headers as Record<string, unknown>;
    expect(headers).toMatchObject({ id, task: 'tasks.retry_me', retries: 1, parent_id: id, root_id: id, timelimit: [null, null] });
    expect(Date.parse(String(headers['eta']))).toBe(s.clock.now() + 20_000);
    expect(s.results(id)[0]).toMatchObject({ status: 'RETRY', result: { exc_type: 'ValueError', exc_message: ['boom 0'] } });
    await tick();
    expect(s.events().find((e) => e['type'] === 'task-retried')).toMatchObject({ uuid: id, exception: "ValueError('boom 0')" });
    // The redelivered retry (retries: 1) is past maxRetries: the exc is raised instead.
    s.tasks.deliver(Q, { content: retry.content, properties: { ...retry.properties, headers: { ...headers, eta: null } } });
    expect(s.results(id).at(-1)).toMatchObject({ status: 'FAILURE', result: { exc_type: 'ValueError', exc_message: ['boom 1'] } });
  });

  it("retries in the task's own serializer and compression (msgpack + gzip), not the incoming message's JSON (issue 17)", async () => {
    const s = await setup((app) =>
      app.task(
        'tasks.retry_packed',
        function (this: TaskContext, x: number, k: string) {
          this.retry({ countdown: 5, exc: new Error(`again ${x} ${k}`) });
        },
        { serializer: 'msgpack', compression: 'gzip', params: ['x', 'k'] },
      ),
    );
    const { id } = s.send({ name: 'tasks.retry_packed', args: [7], kwargs: { k: 'v' } });
    const retry = s.conn.published.find((p) => p.routingKey === Q)!;
    expect(retry.properties).toMatchObject({ contentType: 'application/x-msgpack', contentEncoding: 'binary' });
    expect(retry.properties.headers).toMatchObject({ compression: 'application/x-gzip', retries: 1, id });
    const decoded = decodeTaskMessage(
      { content: retry.content, properties: retry.properties, fields: { exchange: '', routingKey: Q, redelivered: false, deliveryTag: 1 } },
      new Set(['application/x-msgpack']),
    );
    expect(decoded).toMatchObject({ ok: true, task: { id, retries: 1, args: [7], kwargs: { k: 'v' }, parentId: id } });
  });

  it("sends a callback in its registered task's serializer, unless the signature's options say otherwise (issue 17)", async () => {
    const s = await setup((app) => {
      app.task('tasks.add', (x: number, y: number) => x + y);
      app.task('tasks.packed', (x: number) => x, { serializer: 'msgpack', compression: 'bzip2' });
    });
    s.send({
      name: 'tasks.add',
      args: [1, 1],
      link: [signature('tasks.packed', []), signature('tasks.packed', [], {}, { options: { serializer: 'yaml' } }), signature('tasks.elsewhere', [])],
    });
    await tick();
    const sentOn = s.conn.published.filter((p) => p.routingKey === 'celery');
    expect(sentOn.map((p) => [p.properties.contentType, (p.properties.headers as Record<string, unknown>)['compression']])).toEqual([
      ['application/x-msgpack', 'application/x-bz2'],
      ['application/x-yaml', 'application/x-bz2'], // the signature's serializer, the task's compression (Celery merges per key)
      ['application/json', undefined], // not registered here: the app default
    ]);
  });

  it('fires the AbortSignal at the soft time limit and kills the slot at the hard one', async () => {
    const s = await setupHang();
    // timelimit header is [hard, soft] (§7 trap 2)
    const { id, tag } = s.send({ name: 'tasks.hang', timeLimit: 3, softTimeLimit: 1 });
    expect(s.worker.active()[0]!.hardLimit).toBe(3);
    expect(s.worker.active()[0]!.softLimit).toBe(1);
    s.clock.advance(1000);
    expect(s.signal().aborted).toBe(true);
    expect((s.signal().reason as Error).name).toBe('SoftTimeLimitExceeded');
    expect(s.worker.active()).toHaveLength(1);
    s.clock.advance(2000);
    expect(s.worker.active()).toHaveLength(0);
    expect(s.results(id)[0]).toMatchObject({ status: 'FAILURE', result: { exc_type: 'TimeLimitExceeded' } });
    await tick();
    expect(s.tasks.acked).toEqual([tag]);
  });

  it('time_limit changes the task limits live', async () => {
    const s = await setupHang();
    s.worker.registry.get('tasks.hang')!.timeLimit = 2;
    const { id } = s.send({ name: 'tasks.hang' });
    s.clock.advance(2000);
    expect(s.results(id)[0]).toMatchObject({ status: 'FAILURE', result: { exc_type: 'TimeLimitExceeded' } });
  });

  it('terminate stops a running task: REVOKED terminated and task-revoked with the signal number', async () => {
    const s = await setupHang();
    const { id } = s.send({ name: 'tasks.hang' });
    expect(s.worker.terminate([id, 'nope'], 'SIGKILL')).toEqual([id]);
    expect(s.signal().aborted).toBe(true);
    expect(s.results(id)[0]).toMatchObject({ status: 'REVOKED', result: { exc_message: ['terminated'] } });
    await tick();
    expect(s.events().find((e) => e['type'] === 'task-revoked')).toMatchObject({ terminated: true, signum: 9 });
  });

  it('rejects an unknown task, publishes NotRegistered and sends task-failed', async () => {
    const s = await setup(() => {});
    const { id, tag } = s.send({ name: 'tasks.nope', args: [1] });
    expect(s.tasks.rejected).toEqual([{ tag, requeue: false }]);
    expect(s.results(id)[0]).toMatchObject({
      status: 'FAILURE',
      result: { exc_type: 'NotRegistered', exc_message: ['tasks.nope'], exc_module: 'celery.exceptions' },
    });
    await tick();
    expect(s.events().find((e) => e['type'] === 'task-failed')).toEqual(
      expect.objectContaining({ uuid: id, exception: "NotRegistered('tasks.nope')" }),
    );
  });

  it('never runs bad input and keeps serving: invalid JSON is acked, pickle and missing id are rejected', async () => {
    let runs = 0;
    const s = await setup((app) => app.task('tasks.add', () => ++runs));
    const good = buildTaskMessage({ name: 'tasks.add', queue: Q });
    const badJson = s.tasks.deliver(Q, { content: Buffer.from('{not json'), properties: good.properties });
    const pickle = s.tasks.deliver(Q, {
      content: Buffer.from([0x80, 0x04]),
      properties: { ...good.properties, contentType: PICKLE_CONTENT_TYPE, contentEncoding: 'binary' },
    });
    const headers = { ...(good.properties.headers as Record<string, unknown>) };
    delete headers['id'];
    const noId = s.tasks.deliver(Q, { content: good.content, properties: { ...good.properties, headers } as never });
    const noType = s.tasks.deliver(Q, { content: good.content, properties: { ...good.properties, contentType: undefined } });
    const shape = s.tasks.deliver(Q, { content: Buffer.from('{"a": 1}'), properties: good.properties });
    const unknown = s.tasks.deliver(Q, { content: Buffer.from('[1, 2]'), properties: jsonProperties() });
    expect(runs).toBe(0);
    await tick();
    expect(s.tasks.acked).toEqual([badJson]);
    expect(s.tasks.rejected).toEqual([pickle, noId, noType, shape, unknown].map((tag) => ({ tag, requeue: false })));
    s.send({ name: 'tasks.add' });
    expect(runs).toBe(1);
    await tick();
    expect(
      s
        .events()
        .filter((e) => e['type'] === 'task-rejected')
        .map((e) => e['uuid']),
    ).toContain(good.id);
  });

  it('accepts a protocol v1 body', async () => {
    const s = await setup((app) => app.task('tasks.add', (x: number, y: number) => x + y));
    const body = { task: 'tasks.add', id: 'v1-id', args: [3, 4], kwargs: {}, retries: 0, eta: null, expires: null, utc: true };
    s.tasks.deliver(Q, { content: Buffer.from(JSON.stringify(body)), properties: jsonProperties({ replyTo: REPLY, correlationId: 'v1-id' }) });
    expect(s.results('v1-id')[0]).toMatchObject({ status: 'SUCCESS', result: 7 });
  });

  it('applies rate limits per task type without listing waiting tasks anywhere', async () => {
    const s = await setup((app) => app.task('tasks.add', () => 1, { rateLimit: '2/s' }));
    const ids = [0, 1, 2].map(() => s.send({ name: 'tasks.add' }).id);
    expect(s.results().length).toBe(1);
    expect(s.worker.reserved()).toEqual([]);
    expect(s.worker.scheduled()).toEqual([]);
    s.clock.advance(500);
    expect(s.results().length).toBe(2);
    s.clock.advance(500);
    expect(s.results().map((r) => r.task_id)).toEqual(ids);
  });

  it('drops unstarted requests of a lost connection (their tags died) and never acks on the new channel', async () => {
    const releases: (() => void)[] = [];
    const s = await setup((app) => app.task('tasks.wait', () => new Promise<void>((r) => releases.push(r)), { acksLate: true }), { concurrency: 1 });
    s.send({ name: 'tasks.wait' });
    s.send({ name: 'tasks.wait', countdown: 10 });
    s.send({ name: 'tasks.wait' });
    expect(s.worker.reserved()).toHaveLength(1);
    await s.conn.bounce();
    expect(s.worker.reserved()).toHaveLength(0);
    expect(s.worker.scheduled()).toHaveLength(0);
    const fresh = s.conn.consumerOf(Q);
    expect(fresh).not.toBe(s.tasks);
    releases[0]!();
    await tick();
    expect(fresh.acked).toEqual([]);
    expect(s.tasks.acked).toEqual([]);
  });

  it('warm shutdown gives reserved and ETA-held messages back, waits for active tasks, then sends worker-offline', async () => {
    const releases: (() => void)[] = [];
    const s = await setup((app) => app.task('tasks.wait', () => new Promise<void>((r) => releases.push(r))), { concurrency: 1 });
    const active = s.send({ name: 'tasks.wait' });
    const reserved = s.send({ name: 'tasks.wait' });
    const eta = s.send({ name: 'tasks.wait', countdown: 60 });
    const stopping = s.worker.stop('warm');
    await tick();
    expect(s.tasks.rejected).toEqual(
      expect.arrayContaining([
        { tag: reserved.tag, requeue: true },
        { tag: eta.tag, requeue: true },
      ]),
    );
    expect(s.tasks.consumers.size).toBe(0);
    expect(s.events().some((e) => e['type'] === 'worker-offline')).toBe(false);
    releases[0]!();
    await stopping;
    expect(s.results(active.id)[0]).toMatchObject({ status: 'SUCCESS' });
    expect(s.events().at(-1)).toMatchObject({ type: 'worker-offline', hostname: 'w1@test', sw_ident: 'camq' });
  });

  it('cold shutdown puts a running acks-late task back and says nothing failed, even when it turns cold at once', async () => {
    const s = await setup((app) => app.task('tasks.wait', () => new Promise<void>(() => {}), { acksLate: true }), { concurrency: 1 });
    const running = s.send({ name: 'tasks.wait' });
    await tick();
    expect(s.worker.active().map((r) => r.id)).toEqual([running.id]);
    // The second signal comes while the warm shutdown still cancels its consumers.
    const warm = s.worker.stop('warm');
    void s.worker.stop('cold');
    await warm;
    expect(s.tasks.rejected).toEqual([{ tag: running.tag, requeue: true }]);
    expect(s.tasks.acked).toEqual([]);
    expect(s.results(running.id)).toEqual([]);
    expect(
      s
        .events()
        .filter((e) => e['uuid'] === running.id)
        .map((e) => e['type']),
    ).toEqual(['task-received', 'task-started']);
    expect(await s.worker.done).toEqual({ mode: 'cold' });
  });

  it('sends worker-online and a heartbeat every 2 s with Celery fields, even without -E', async () => {
    const s = await setup((app) => app.task('tasks.add', () => 1), { taskEvents: false });
    s.clock.advance(4000);
    const beats = s.conn.published.filter((p) => p.routingKey === 'worker.heartbeat').map((p) => p.body as Record<string, unknown>);
    expect(s.conn.published.find((p) => p.routingKey === 'worker.online')).toBeDefined();
    expect(beats).toHaveLength(2);
    expect(Object.keys(beats[0]!).sort()).toEqual(
      ['active', 'clock', 'freq', 'hostname', 'loadavg', 'pid', 'processed', 'sw_ident', 'sw_sys', 'sw_ver', 'timestamp', 'type', 'utcoffset'].sort(),
    );
    expect(beats[0]).toMatchObject({ freq: 2, active: 0, processed: 0, hostname: 'w1@test' });
    s.send({ name: 'tasks.add' });
    await tick();
    expect(s.conn.published.some((p) => p.routingKey === 'task.multi')).toBe(false);
  });
});

describe('results and backpressure', () => {
  it('starts no new task while a result waits for room in the write buffer, and goes on when it drained', async () => {
    const s = await setup((app) => app.task('tasks.add', (x: number, y: number) => x + y), { concurrency: 1 });
    s.conn.writeBufferFull = true;
    const first = s.send({ name: 'tasks.add', args: [1, 1] });
    await tick();
    expect(s.results(first.id)).toHaveLength(1);
    const second = s.send({ name: 'tasks.add', args: [2, 2] });
    await tick();
    expect(s.worker.reserved().map((r) => r.id)).toEqual([second.id]);
    expect(s.results(second.id)).toEqual([]);
    s.conn.writeBufferFull = false;
    const resultChannel = s.conn.channels.find((c) => c.published.some((p) => p.routingKey === REPLY))!;
    resultChannel.emit('drain');
    await tick();
    expect(s.worker.reserved()).toEqual([]);
    expect(s.results(second.id)).toMatchObject([{ status: 'SUCCESS', result: 4 }]);
  });
});

describe('task events under load', () => {
  it('go out in full task.multi batches of 24, as Python flushes them, plus one partial batch per turn', async () => {
    const s = await setup((app) => app.task('tasks.noop', () => null), { concurrency: 64 });
    for (let i = 0; i < 100; i++) s.send({ name: 'tasks.noop' }); // one busy turn: 300 task events
    await tick();
    const sizes = s.conn.published.filter((p) => p.routingKey === 'task.multi').map((p) => (p.body as unknown[]).length);
    expect(sizes).toEqual([...Array<number>(12).fill(24), 12]);
  });
});

describe('worker acks on the wire (coalesced per event-loop turn)', () => {
  it('acks a burst of tasks with one multiple ack', async () => {
    const s = await setup((app) => app.task('tasks.noop', () => null), { concurrency: 8 });
    const sent = Array.from({ length: 8 }, () => s.send({ name: 'tasks.noop' }).tag);
    await tick();
    expect(s.tasks.ackFrames).toEqual([{ tag: sent.at(-1)!, multiple: true }]);
    expect(s.tasks.acked).toEqual(sent);
  });

  it('keeps an ETA-held message open while later tasks are acked one by one around it, then acks it when it ran', async () => {
    const s = await setup((app) => app.task('tasks.noop', () => null), { concurrency: 4 });
    const first = s.send({ name: 'tasks.noop' }).tag;
    const held = s.send({ name: 'tasks.noop', countdown: 10 }).tag;
    const after = [1, 2, 3].map(() => s.send({ name: 'tasks.noop' }).tag);
    await tick();
    expect(s.tasks.ackFrames).toEqual([{ tag: first, multiple: false }, ...after.map((tag) => ({ tag, multiple: false }))]);
    expect([...s.tasks.unacked]).toEqual([held]);
    s.clock.advance(10_000);
    await tick();
    expect(s.tasks.ackFrames.at(-1)).toEqual({ tag: held, multiple: false });
    expect(s.tasks.unacked.size).toBe(0);
  });

  it('keeps a rate-limited waiter open; the multiple ack stops before it', async () => {
    const s = await setup(
      (app) => {
        app.task('tasks.limited', () => 1, { rateLimit: '1/s' });
        app.task('tasks.noop', () => null);
      },
      { concurrency: 4 },
    );
    const a = s.send({ name: 'tasks.limited' }).tag;
    const b = s.send({ name: 'tasks.noop' }).tag;
    const waiting = s.send({ name: 'tasks.limited' }).tag;
    const d = s.send({ name: 'tasks.noop' }).tag;
    await tick();
    expect(s.tasks.ackFrames).toEqual([
      { tag: b, multiple: true },
      { tag: d, multiple: false },
    ]);
    expect(s.tasks.acked).toEqual([a, b, d]);
    s.clock.advance(1000);
    await tick();
    expect(s.tasks.acked.at(-1)).toBe(waiting);
  });

  it('never lets an early ack cover a running acks-late task', async () => {
    let release!: () => void;
    const s = await setup(
      (app) => {
        app.task('tasks.late', () => new Promise<void>((r) => (release = r)), { acksLate: true });
        app.task('tasks.noop', () => null);
      },
      { concurrency: 4 },
    );
    const late = s.send({ name: 'tasks.late' }).tag;
    const early = [1, 2].map(() => s.send({ name: 'tasks.noop' }).tag);
    await tick();
    expect([...s.tasks.unacked]).toEqual([late]);
    expect(s.tasks.acked).toEqual(early);
    release();
    await tick();
    await tick();
    expect(s.tasks.acked).toEqual([...early, late]);
  });

  it('drops the acks a lost connection did not send: nothing goes to the old channel or the new one', async () => {
    const s = await setup((app) => app.task('tasks.noop', () => null));
    s.send({ name: 'tasks.noop' });
    s.send({ name: 'tasks.noop' });
    await s.conn.bounce(); // before the turn ends
    await tick();
    const fresh = s.conn.consumerOf(Q);
    expect(s.tasks.ackFrames).toEqual([]);
    expect(fresh.ackFrames).toEqual([]);
    const tag = fresh.deliver(Q, buildTaskMessage({ name: 'tasks.noop', queue: Q }));
    await tick();
    expect(fresh.acked).toEqual([tag]);
  });

  it('a warm shutdown sends the acks of the last turn before closing', async () => {
    const s = await setup((app) => app.task('tasks.noop', () => null));
    const tag = s.send({ name: 'tasks.noop' }).tag;
    await s.worker.stop('warm');
    expect(s.tasks.acked).toEqual([tag]);
  });
});

describe('worker canvas (callbacks, errbacks, chains)', () => {
  const lines: string[] = [];
  const logger = {
    level: 'debug' as const,
    debug: () => {},
    info: () => {},
    warning: (m: string) => lines.push(`W ${m}`),
    error: (m: string) => lines.push(`E ${m}`),
    critical: () => {},
  };

  it('on success sends the callback and the next chain step (declaring their queue first), and lists them as children', async () => {
    const s = await setup((app) => app.task('tasks.add', (x: number, y: number) => x + y));
    const next = signature('tasks.add', [100], {}, { options: { task_id: 'next-id', reply_to: REPLY } });
    const { id } = s.send({ name: 'tasks.add', args: [1, 1], link: [signature('tasks.log', [])], chain: [next] });
    await tick();
    const sentOn = s.conn.published.filter((p) => p.routingKey === 'celery');
    expect(sentOn.map((p) => [(p.properties.headers as Record<string, unknown>)['task'], (p.body as unknown[])[0]])).toEqual([
      ['tasks.log', [2]],
      ['tasks.add', [2, 100]],
    ]);
    expect(s.conn.channels.some((c) => c.declared.includes('queue:celery') && c.closed)).toBe(true);
    const [result] = s.results(id);
    expect(result).toMatchObject({ status: 'SUCCESS', result: 2 });
    expect((result as unknown as { children: unknown[] }).children).toEqual([
      [[expect.any(String), null], null],
      [['next-id', null], null],
    ]);
  });

  it('on failure sends the errbacks with the failed task id, and no callbacks', async () => {
    const s = await setup((app) =>
      app.task('tasks.fail', () => {
        throw new Error('boom');
      }),
    );
    const { id } = s.send({ name: 'tasks.fail', link: [signature('tasks.cb', [])], linkError: [signature('tasks.on_error', [])] });
    await tick();
    const sentOn = s.conn.published.filter((p) => p.routingKey === 'celery');
    expect(sentOn.map((p) => [(p.properties.headers as Record<string, unknown>)['task'], (p.body as unknown[])[0]])).toEqual([
      ['tasks.on_error', [id]],
    ]);
    expect(s.results(id)[0]).toMatchObject({ status: 'FAILURE' });
  });

  it('says clearly that chords are not supported', async () => {
    lines.length = 0;
    const s = await setup((app) => app.task('tasks.add', () => 1), { logger });
    const chordBody = signature('tasks.body', []);
    s.send({ name: 'tasks.add', chord: chordBody, link: [{ ...signature('celery.chord', []), subtask_type: 'chord' }] });
    await tick();
    expect(lines).toEqual([
      expect.stringMatching(/^W Task tasks\.add\[.*\] is part of a chord: camq does not run chords/),
      expect.stringMatching(/^E Task tasks\.add\[.*\]: cannot apply a chord signature \(celery\.chord\)/),
    ]);
    expect(s.conn.published.filter((p) => p.routingKey === 'celery')).toEqual([]);
  });
});
