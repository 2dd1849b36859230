/** Remote-control replies of the worker's pidbox, checked against Celery 5.2.6's shapes (PROTOCOL.md §3.3–3.8). */
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { buildControlRequest, buildTaskMessage, decodeControlRequest } from '../../../src/protocol/index.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { MAX_POOL_RULE } from '../../../src/worker/builtin-commands.js';
import { CamqApp, Worker } from '../../../src/worker/index.js';
import { FakeTransport } from '../../fakes/fake-transport.js';

let worker: Worker | undefined;
afterEach(async () => {
  await worker?.stop('cold');
  worker = undefined;
});

async function setup(options: { taskEvents?: boolean } = {}) {
  const app = new CamqApp();
  app.task('tasks.add', (x: number, y: number) => x + y, { rateLimit: '10/s' });
  app.task('tasks.wait', () => new Promise(() => {}));
  app.controlCommand('custom_echo', (_t, args) => ({ ok: `echo ${String(args['text'])}` }), { args: [{ name: 'text' }] });
  const conn = new FakeTransport();
  const clock = new ManualClock();
  worker = new Worker({ app, broker: conn, hostname: 'w1@test', concurrency: 1, queues: ['q'], clock, taskEvents: options.taskEvents ?? false });
  await worker.start();
  const w = worker;
  const call = async (
    method: string,
    args: Record<string, unknown> = {},
    extra: { destination?: string[]; pattern?: string; matcher?: 'glob' | 'pcre' } = {},
  ) => {
    const msg = buildControlRequest({ method, arguments: args, replyRoutingKey: 'oid-1', ticket: 't-1', ...extra });
    const decoded = decodeControlRequest({
      content: msg.content,
      properties: msg.properties,
      fields: { exchange: '', routingKey: '', redelivered: false, deliveryTag: 1 },
    });
    if (!decoded.ok) throw new Error(decoded.error);
    const reply = await w.panel.handle(decoded.request);
    if (!reply) return undefined;
    const body = JSON.parse(reply.content.toString()) as Record<string, unknown>;
    return { value: body['w1@test'], headers: reply.properties.headers, reply };
  };
  const deliver = (opts: Parameters<typeof buildTaskMessage>[0]) =>
    conn.consumerOf('q').deliver('q', buildTaskMessage({ queue: 'q', now: clock.now(), ...opts }));
  return { worker: w, conn, clock, call, deliver };
}

describe('control panel', () => {
  it('answers ping with {ok: pong}, the ticket and the mailbox clock, on reply.celery.pidbox', async () => {
    const { call } = await setup();
    const r = (await call('ping'))!;
    expect(r.value).toEqual({ ok: 'pong' });
    expect(r.headers).toEqual({ ticket: 't-1', clock: expect.any(Number) });
    expect(r.reply.exchange).toBe('reply.celery.pidbox');
    expect(r.reply.routingKey).toBe('oid-1');
    expect(r.reply.properties.deliveryMode).toBe(1);
  });

  it('declares its mailbox like kombu and consumes it without acks', async () => {
    const { conn } = await setup();
    const channel = conn.consumerOf('w1@test.celery.pidbox');
    expect(channel.declared).toEqual(
      expect.arrayContaining(['exchange:celery.pidbox', 'queue:w1@test.celery.pidbox', 'bind:celery.pidbox->w1@test.celery.pidbox:']),
    );
    expect([...channel.consumers.values()][0]!.noAck).toBe(true);
  });

  it('honours destination and pattern', async () => {
    const { call } = await setup();
    expect(await call('ping', {}, { destination: ['other@host'] })).toBeUndefined();
    expect((await call('ping', {}, { destination: ['w1@test'] }))!.value).toEqual({ ok: 'pong' });
    expect((await call('ping', {}, { pattern: 'w1@*', matcher: 'glob' }))!.value).toEqual({ ok: 'pong' });
    expect(await call('ping', {}, { pattern: '^w2', matcher: 'pcre' })).toBeUndefined();
  });

  it('replies Python reprs for unknown methods and bad arguments', async () => {
    const { call } = await setup();
    expect((await call('no_such_cmd'))!.value).toEqual({ error: "KeyError('no_such_cmd')" });
    expect((await call('enable_events', { foo: 1 }))!.value).toEqual({
      error: `TypeError("enable_events() got an unexpected keyword argument 'foo'")`,
    });
    expect((await call('rate_limit'))!.value).toEqual({
      error: `TypeError("rate_limit() missing 2 required positional arguments: 'task_name' and 'rate_limit'")`,
    });
  });

  it('rate_limit: set, disable, unknown task, bad number, unknown unit', async () => {
    const { call, worker } = await setup();
    expect((await call('rate_limit', { task_name: 'tasks.add', rate_limit: '5/m' }))!.value).toEqual({ ok: 'new rate limit set successfully' });
    expect(worker.registry.get('tasks.add')!.rateLimit).toBe('5/m');
    expect((await call('rate_limit', { task_name: 'tasks.add', rate_limit: null }))!.value).toEqual({ ok: 'rate limit disabled successfully' });
    expect((await call('rate_limit', { task_name: 'tasks.nope', rate_limit: '1/s' }))!.value).toEqual({ error: 'unknown task' });
    expect((await call('rate_limit', { task_name: 'tasks.add', rate_limit: 'abc/s' }))!.value).toEqual({
      error: `Invalid rate limit string: ValueError("could not convert string to float: 'abc'")`,
    });
    expect((await call('rate_limit', { task_name: 'tasks.add', rate_limit: '5/d' }))!.value).toEqual({ error: "KeyError('d')" });
  });

  it('revoke and terminate reply like Celery and fill the revoked list', async () => {
    const { call, deliver } = await setup();
    expect((await call('revoke', { task_id: 'a-1', terminate: false, signal: 'SIGTERM' }))!.value).toEqual({ ok: 'tasks a-1 flagged as revoked' });
    expect((await call('revoke', { task_id: ['b-2', 'c-3'] }))!.value).toEqual({ ok: 'tasks b-2, c-3 flagged as revoked' });
    expect((await call('revoke', { task_id: 'zz', terminate: true }))!.value).toEqual({ ok: 'terminate: tasks unknown' });
    deliver({ name: 'tasks.wait', id: 'run-1' });
    expect((await call('terminate', { signal: 'KILL', task_id: ['run-1', 'x'] }))!.value).toEqual({ ok: 'terminate: run-1' });
    expect((await call('revoked'))!.value).toEqual(['a-1', 'b-2', 'c-3', 'zz', 'run-1', 'x']);
    expect((await call('dump_revoked'))!.value).toEqual(['a-1', 'b-2', 'c-3', 'zz', 'run-1', 'x']);
  });

  it('time_limit sets the task limits; unknown task is an error', async () => {
    const { call, worker } = await setup();
    expect((await call('time_limit', { task_name: 'tasks.add', soft: 10, hard: 20 }))!.value).toEqual({ ok: 'time limits set successfully' });
    expect(worker.registry.get('tasks.add')).toMatchObject({ softTimeLimit: 10, timeLimit: 20 });
    expect((await call('time_limit', { task_name: 'nope', soft: 1 }))!.value).toEqual({ error: 'unknown task' });
  });

  it('enable_events/disable_events follow Celery, including the -E quirk', async () => {
    const plain = await setup();
    expect((await plain.call('enable_events'))!.value).toEqual({ ok: 'task events enabled' });
    expect((await plain.call('enable_events'))!.value).toEqual({ ok: 'task events already enabled' });
    expect((await plain.call('disable_events'))!.value).toEqual({ ok: 'task events disabled' });
    expect((await plain.call('disable_events'))!.value).toEqual({ ok: 'task events already disabled' });
    await worker!.stop('cold');
    const withE = await setup({ taskEvents: true });
    expect((await withE.call('disable_events'))!.value).toEqual({ ok: 'task events already disabled' });
    expect(withE.worker.events.taskEventsEnabled).toBe(true);
    expect((await withE.call('enable_events'))!.value).toEqual({ ok: 'task events already enabled' });
  });

  it('heartbeat replies null and sends a freq-5 heartbeat with only the software fields', async () => {
    const { call, conn } = await setup();
    expect((await call('heartbeat'))!.value).toBeNull();
    const beat = conn.published.filter((p) => p.routingKey === 'worker.heartbeat').at(-1)!.body as Record<string, unknown>;
    expect(beat).toMatchObject({ freq: 5, sw_ident: 'camq', sw_sys: expect.any(String) });
    expect(beat).not.toHaveProperty('active');
  });

  it('registered lists sorted names with non-null attributes; stats has Celery shape with clock as a string', async () => {
    const { call } = await setup();
    expect((await call('registered'))!.value).toEqual(['tasks.add [rate_limit=10/s]', 'tasks.wait']);
    expect((await call('registered', { taskinfoitems: ['max_retries'] }))!.value).toEqual([
      'tasks.add [max_retries=3]',
      'tasks.wait [max_retries=3]',
    ]);
    expect((await call('registered', { taskinfoitems: ['serializer'] }))!.value).toEqual([
      'tasks.add [serializer=json]',
      'tasks.wait [serializer=json]',
    ]);
    // What a Python worker answers for a task that sets none of these (None ones are left out, as Celery does).
    const items = [
      'acks_late',
      'ignore_result',
      'track_started',
      'send_events',
      'default_retry_delay',
      'time_limit',
      'priority',
      'exchange',
      'routing_key',
      'queue',
      'expires',
    ];
    expect((await call('registered', { taskinfoitems: items }))!.value).toEqual([
      'tasks.add [acks_late=False ignore_result=False track_started=False send_events=True default_retry_delay=180]',
      'tasks.wait [acks_late=False ignore_result=False track_started=False send_events=True default_retry_delay=180]',
    ]);
    const stats = (await call('stats'))!.value as Record<string, unknown>;
    expect(stats).toMatchObject({ total: {}, pid: process.pid, clock: expect.any(String), uptime: expect.any(Number), prefetch_count: 4 });
    expect(stats['pool']).toMatchObject({ 'max-concurrency': 1, processes: [process.pid] });
    expect(stats['rusage']).toMatchObject({ utime: expect.any(Number), maxrss: expect.any(Number) });
    expect((await call('clock'))!.value).toEqual({ clock: expect.any(Number) });
  });

  it('reserved, active (safe), scheduled and query_task list TaskInfo', async () => {
    const { call, deliver } = await setup();
    deliver({ name: 'tasks.wait', id: 'act', args: [1] });
    deliver({ name: 'tasks.wait', id: 'res', args: [2] });
    deliver({ name: 'tasks.wait', id: 'eta', countdown: 100 });
    const active = (await call('active', { safe: true }))!.value as Record<string, unknown>[];
    expect(active).toEqual([expect.objectContaining({ id: 'act', args: '(1,)', acknowledged: true, worker_pid: process.pid, hostname: 'w1@test' })]);
    expect(((await call('reserved'))!.value as { id: string; args: unknown }[]).map((r) => [r.id, r.args])).toEqual([['res', [2]]]);
    const scheduled = (await call('scheduled'))!.value as { eta: string; priority: number; request: { id: string } }[];
    expect(scheduled.map((s) => [s.priority, s.request.id])).toEqual([[6, 'eta']]);
    const q = (await call('query_task', { ids: ['act', 'res', 'eta'] }))!.value as Record<string, [string, { id: string }]>;
    expect(Object.fromEntries(Object.entries(q).map(([k, v]) => [k, v[0]]))).toEqual({ act: 'active', res: 'reserved' });
  });

  it('pool_grow/shrink, autoscale, pool_restart, active_queues, add/cancel consumer', async () => {
    const { call, worker, conn } = await setup();
    expect((await call('pool_grow', { n: 2 }))!.value).toEqual({ ok: 'pool will grow' });
    expect(worker.stats().pool['max-concurrency']).toBe(3);
    expect(worker.stats().prefetch_count).toBe(12);
    expect((await call('pool_shrink'))!.value).toEqual({ ok: 'pool will shrink' });
    expect((await call('autoscale', { max: 4, min: 1 }))!.value).toEqual({ error: "ValueError('Autoscale not enabled')" });
    expect((await call('pool_restart'))!.value).toEqual({ error: "ValueError('Pool restarts not enabled')" });
    expect(((await call('active_queues'))!.value as { name: string }[]).map((q) => q.name)).toEqual(['q']);
    expect((await call('add_consumer', { queue: 'extra' }))!.value).toEqual({ ok: 'add consumer extra' });
    await new Promise((r) => setTimeout(r, 10));
    expect(() => conn.consumerOf('extra')).not.toThrow();
    expect((await call('cancel_consumer', { queue: 'extra' }))!.value).toEqual({ ok: 'no longer consuming from extra' });
    await new Promise((r) => setTimeout(r, 10));
    expect(((await call('active_queues'))!.value as { name: string }[]).map((q) => q.name)).toEqual(['q']);
  });

  it('pool_grow stops at 4 × the CPU cores (or the starting concurrency) and says so; a bad n is refused', async () => {
    const { call, worker } = await setup();
    const max = Math.max(1, 4 * availableParallelism());
    expect((await call('pool_grow', { n: 1000 }))!.value).toEqual({ ok: `pool will grow to ${max}, its maximum (${MAX_POOL_RULE})` });
    expect(worker.stats().pool['max-concurrency']).toBe(max);
    expect((await call('pool_grow', { n: 1 }))!.value).toEqual({
      error: `the pool is at its maximum of ${max} (${MAX_POOL_RULE}); start the worker with a higher --concurrency for more`,
    });
    expect(worker.stats().pool['max-concurrency']).toBe(max);
    for (const n of [1_000_000, -3, 'abc', 1.5])
      expect((await call('pool_grow', { n }))!.value).toEqual({
        error: expect.stringMatching(/^ValueError\("n must be a whole number from 1 to 1000/),
      });
    expect((await call('pool_shrink', { n: 1e9 }))!.value).toEqual({ error: expect.stringMatching(/^ValueError/) });
  });

  it('add_consumer refuses an unknown exchange type, an empty or reserved queue name, and names over 255 bytes, before declaring', async () => {
    const { call, conn } = await setup();
    const refused = async (args: Record<string, unknown>) => ((await call('add_consumer', args))!.value as { error: string }).error;
    expect(await refused({ queue: 'extra', exchange_type: 'bogus' })).toBe(
      `ValueError("exchange_type 'bogus' is not an exchange type (direct, topic, fanout, headers, or a plugin's x-…)")`,
    );
    expect(await refused({ queue: '' })).toMatch(/queue must be a non-empty name/);
    expect(await refused({ queue: 'amq.x' })).toMatch(/reserved by the broker/);
    expect(await refused({ queue: 'é'.repeat(128) })).toMatch(/longer than 255 bytes/);
    expect(await refused({ queue: 'extra', routing_key: 5 })).toMatch(/routing_key must be a string/);
    expect(() => conn.consumerOf('extra')).toThrow();
    expect(((await call('active_queues'))!.value as { name: string }[]).map((q) => q.name)).toEqual(['q']);
    expect((await call('time_limit', { task_name: 'tasks.add', hard: -1 }))!.value).toEqual({ error: expect.stringMatching(/time limit must be 0/) });
  });

  it('a custom command whose value is not JSON replies with EncodeError, through the mailbox consumer too', async () => {
    const { call, conn, worker } = await setup();
    worker.registerCommand('bigint', () => ({ ok: 10n }));
    expect((await call('bigint'))!.value).toEqual({ error: expect.stringMatching(/^EncodeError\('the reply to bigint is not JSON: /) });
    const request = buildControlRequest({ method: 'bigint', arguments: {}, replyRoutingKey: 'oid-2', ticket: 't-2' });
    conn.consumerOf('w1@test.celery.pidbox').deliver('w1@test.celery.pidbox', request);
    await new Promise((r) => setTimeout(r, 10));
    expect(conn.published.filter((p) => p.routingKey === 'oid-2').map((p) => p.body)).toEqual([
      { 'w1@test': { error: expect.stringMatching(/^EncodeError/) } },
    ]);
  });

  it('hello answers with revoked times that are JSON floats, and null to itself', async () => {
    const { call, worker } = await setup();
    worker.revoked.add('r-1'); // the ManualClock reads a whole number of seconds
    const value = (await call('hello', { from_node: 'py@host', revoked: { 'py-1': [12.5, 'py-1'] } }))!.value as {
      revoked: Record<string, [number, string]>;
      clock: number;
    };
    expect(Object.keys(value.revoked).sort()).toEqual(['py-1', 'r-1']);
    expect(Number.isInteger(value.revoked['r-1']![0])).toBe(false);
    expect((await call('hello', { from_node: 'w1@test' }))!.value).toBeNull();
  });

  it('report and conf answer; conf masks the password', async () => {
    const { call } = await setup();
    expect((await call('report'))!.value).toEqual({ ok: expect.stringContaining('software -> camq') });
    const conf = (await call('conf'))!.value as Record<string, unknown>;
    expect(conf).toMatchObject({ result_backend: 'rpc://', worker_concurrency: 1 });
    expect(String(conf['broker_url'])).not.toContain('guest:guest');
  });

  it('shutdown never replies and stops the worker warm', async () => {
    const { call, worker } = await setup();
    expect(await call('shutdown')).toBeUndefined();
    await expect(worker.done).resolves.toEqual({ mode: 'warm' });
  });

  it('runs custom commands registered on the app (Panel.register)', async () => {
    const { call, worker } = await setup();
    expect((await call('custom_echo', { text: 'hi' }))!.value).toEqual({ ok: 'echo hi' });
    worker.registerCommand('answer', () => 42);
    expect((await call('answer'))!.value).toBe(42);
  });
});
