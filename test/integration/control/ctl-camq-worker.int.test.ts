/**
 * celeryctl against camq's own worker (issue 3: "with a real Python Celery 5 worker and, once it exists, camq's
 * worker"), on each broker (RabbitMQ, and the embedded one as `camq broker`). Every command goes through the built bin (or the ControlClient it uses) to `camq worker` processes
 * started by the test; the effect is read back from the workers (inspect replies, their logs) and from a Node
 * caller's rpc:// results. Also: a mixed cluster (a Python Celery worker beside a camq worker) answering together,
 * and Python's own `celery inspect` reading a camq worker whose mailbox clock passed 127.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ControlClient } from '../../../src/control/control-client.js';
import type { TaskInfo } from '../../../src/protocol/control-replies.js';
import { CamqApp } from '../../../src/worker/app.js';
import { TaskFailedError, type AsyncResult } from '../../../src/worker/async-result.js';
import type { ApplyOptions } from '../../../src/worker/task.js';
import { TaskRevokedError } from '../../../src/worker/task-errors.js';
import { deleteQueues } from '../../helpers/camq-worker.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { usePythonCelery, runCeleryCli } from '../../helpers/python-celery.js';
import { ctlFixture, type NamedCamqWorker, type NamedWorker } from './ctl-fixture.js';

const hasPython = await usePythonCelery('the tests with Python Celery workers are skipped');

describeBrokers('celeryctl with camq workers', await brokerTargets({ embedded: 'child-process' }), ({ url }) => {
  const fixture = ctlFixture(url);
  const { celeryctl, celeryctlJson, startNamedCamqWorker, startNamedWorker, stopNamedCamqWorkers, stopNamedWorkers } = fixture;
  let c1: NamedCamqWorker;
  let c2: NamedCamqWorker;
  let caller: CamqApp;
  const extraQueues: string[] = [];

  beforeAll(async () => {
    // One slot each, so tasks queue up behind a running one (reserved) and nothing runs in parallel.
    [c1, c2] = await Promise.all([startNamedCamqWorker('c1'), startNamedCamqWorker('c2')]);
    caller = new CamqApp({ broker: url });
  });

  afterAll(async () => {
    await caller?.close();
    await stopNamedCamqWorkers([c1, c2]);
    if (extraQueues.length > 0) await deleteQueues(url, extraQueues);
  });

  /** apply_async from Node, the way a Python caller's message looks, with the result on the caller's rpc queue. */
  const send = (name: string, options: ApplyOptions): Promise<AsyncResult> => caller.taskOf(name).applyAsync(options);

  it('ping: both workers answer a broadcast; -d addresses one of two and returns once it answered', async () => {
    await fixture.expectPing(c1, c2);
    const status = await celeryctl(['status', '-d', `${c1.nodename},${c2.nodename}`]);
    expect(status.stdout).toContain(`-> ${c1.nodename}: OK`);
    expect(status.stdout).toContain(`-> ${c2.nodename}: OK`);
    expect(status.stdout).toContain('2 nodes online.');
    // c2's log shows no trace of the commands addressed to c1 only.
    expect(c2.worker.output()).not.toContain('rate limit');
  });

  it('rate-limit takes effect on the addressed worker: registered shows it and its tasks are throttled; 0 removes it', async () => {
    await fixture.expectRateLimitSet(c1, c2, '2/s');

    /** Send five additions to a worker's queue and resolve with when each result arrived (ms). */
    const fiveAdds = async (queue: string): Promise<number[]> => {
      const results = await Promise.all([0, 1, 2, 3, 4].map((i) => send('tasks.add', { args: [i, i], queue })));
      return Promise.all(
        results.map(async (r, i) => {
          expect(await r.get({ timeout: 30 })).toBe(2 * i);
          return Date.now();
        }),
      );
    };
    const spread = (times: number[]) => Math.max(...times) - Math.min(...times);
    // Capacity 1 at 2/s: one at once, then one every 0.5 s, so the last ends about 2 s after the first.
    const limited = await fiveAdds(c1.queue);
    expect(spread(limited)).toBeGreaterThanOrEqual(1800);
    // The same burst on c2, which has no limit, is not spaced out.
    expect(spread(await fiveAdds(c2.queue))).toBeLessThan(1000);

    const off = await celeryctl(['rate-limit', 'tasks.add', '0', '-d', c1.nodename]);
    expect(off.stdout).toBe(`-> ${c1.nodename}: OK rate limit disabled successfully\n`);
    expect((await celeryctlJson<Record<string, string[]>>(['inspect', 'registered', '-d', c1.nodename]))[c1.nodename]).toContain('tasks.add');
    expect(spread(await fiveAdds(c1.queue))).toBeLessThan(1000);

    const unknown = await celeryctl(['rate-limit', 'tasks.nope', '1/s', '-d', c1.nodename]);
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toBe(`-> ${c1.nodename}: ERROR unknown task\n`);
  });

  it('inspect scheduled lists a countdown task; revoke stops it from running and the caller gets REVOKED', async () => {
    // The countdown leaves room for a slow machine to inspect and revoke before the task comes due.
    const result = await send('tasks.add', { args: [2, 3], countdown: 8, queue: c1.queue });
    const id = result.id;
    await fixture.expectScheduled(c1, id);

    const revoke = await celeryctl(['revoke', id, '-d', c1.nodename]);
    expect(revoke.stdout).toBe(`-> ${c1.nodename}: OK tasks ${id} flagged as revoked\n`);
    const revoked = await celeryctlJson<Record<string, string[]>>(['inspect', 'revoked', '-d', c1.nodename]);
    expect(revoked[c1.nodename]).toContain(id);

    // When the countdown ends the worker discards the task and reports it REVOKED instead of running it.
    await expect(result.get({ timeout: 30 })).rejects.toBeInstanceOf(TaskRevokedError);
    await c1.worker.waitForLog(new RegExp(`Discarding revoked task: tasks\\.add\\[${id}\\]`));
    expect(c1.worker.output()).not.toContain(`Task tasks.add[${id}] succeeded`);
  });

  it('revoke --terminate stops a running task; the caller gets REVOKED (terminated)', async () => {
    const result = await send('tasks.sleep', { args: [30], queue: c2.queue });
    await c2.worker.waitForLog(new RegExp(`tasks\\.sleep\\[${result.id}\\] received`));
    await vi.waitFor(
      async () => {
        const active = await celeryctlJson<Record<string, TaskInfo[]>>(['inspect', 'active', '-d', c2.nodename]);
        expect(active[c2.nodename]?.map((t) => t.id)).toEqual([result.id]);
      },
      { timeout: 5000, interval: 100 },
    );
    const r = await celeryctl(['revoke', result.id, '--terminate', '-d', c2.nodename]);
    expect(r.stdout).toBe(`-> ${c2.nodename}: OK terminate: ${result.id}\n`);
    const error = await result.get({ timeout: 10 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(TaskRevokedError);
    expect(String(error)).toContain('terminated');
  });

  it('inspect reserved lists prefetched tasks waiting behind a running one; active and query-task agree', async () => {
    const running = await send('tasks.sleep', { args: [4], queue: c2.queue });
    const waiting = [await send('tasks.add', { args: [1, 1], queue: c2.queue }), await send('tasks.add', { args: [2, 2], queue: c2.queue })];
    const waitingIds = waiting.map((r) => r.id);
    await fixture.expectReserved(c2, waitingIds);

    const active = await celeryctlJson<Record<string, TaskInfo[]>>(['inspect', 'active', '-d', c2.nodename]);
    expect(active[c2.nodename]?.map((t) => t.id)).toEqual([running.id]);
    const query = await celeryctlJson<Record<string, Record<string, [string, TaskInfo]>>>([
      'inspect',
      'query-task',
      running.id,
      ...waitingIds,
      '-d',
      c2.nodename,
    ]);
    expect(query[c2.nodename]?.[running.id]?.[0]).toBe('active');
    expect(query[c2.nodename]?.[waitingIds[0]!]?.[0]).toBe('reserved');
    expect(await Promise.all(waiting.map((r) => r.get({ timeout: 30 })))).toEqual([2, 4]);
    expect(await running.get({ timeout: 30 })).toBe(4);
  });

  it('every --json output parses, for every command and inspect target', async () => {
    const extra = `camq-test-consumer-${randomUUID()}`;
    extraQueues.push(extra);
    await fixture.expectEveryCommandParses(c1, extra);
    const d = ['-d', c1.nodename];
    const stats = await celeryctlJson<Record<string, { pid: number; pool: { 'max-concurrency': number } }>>(['inspect', 'stats', ...d]);
    expect(stats[c1.nodename]!.pool['max-concurrency']).toBe(1);
    expect(stats[c1.nodename]!.pid).toBe(c1.worker.process.pid);
    const queues = await celeryctlJson<Record<string, { name: string }[]>>(['inspect', 'active-queues', ...d]);
    expect(queues[c1.nodename]!.map((q) => q.name)).toEqual([c1.queue]);
    const autoscale = await celeryctlJson(['autoscale', '2', '1', ...d]);
    expect(autoscale[c1.nodename]).toEqual({ error: "ValueError('Autoscale not enabled')" });
  });

  it('time-limit, add-consumer and pool-grow change what a camq worker does, not only what it answers', async () => {
    // A worker of its own: these change its limits, queues and pool for the rest of its life.
    const c3 = await startNamedCamqWorker('c3');
    const extra = `camq-test-consumer-${randomUUID()}`;
    extraQueues.push(extra);
    const d = ['-d', c3.nodename];
    try {
      // time-limit: a 30 s sleep now ends at the 1 s soft limit, and the caller gets Celery's exception.
      expect((await celeryctl(['time-limit', 'tasks.sleep', '1', '2', ...d])).stdout).toBe(`-> ${c3.nodename}: OK time limits set successfully\n`);
      const limited = await send('tasks.sleep', { args: [30], queue: c3.queue });
      const error = await limited.get({ timeout: 15 }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(TaskFailedError);
      expect((error as TaskFailedError).excType).toBe('SoftTimeLimitExceeded');

      // add-consumer: the worker consumes a queue it did not start with, and runs what is sent there;
      // cancel-consumer: it stops again.
      // (A long reply goes on a line of its own, as Celery prints it.)
      expect((await celeryctl(['add-consumer', extra, ...d])).stdout).toMatch(new RegExp(`^-> ${c3.nodename}: OK\\s+add consumer ${extra}\\n$`));
      const queues = async () =>
        (await celeryctlJson<Record<string, { name: string }[]>>(['inspect', 'active-queues', ...d]))[c3.nodename]!.map((q) => q.name).sort();
      expect(await queues()).toEqual([c3.queue, extra].sort());
      expect(await (await send('tasks.add', { args: [20, 22], queue: extra })).get({ timeout: 15 })).toBe(42);
      expect((await celeryctl(['cancel-consumer', extra, ...d])).stdout).toMatch(
        new RegExp(`^-> ${c3.nodename}: OK\\s+no longer consuming from ${extra}\\n$`),
      );
      expect(await queues()).toEqual([c3.queue]);

      // pool-grow: with one slot, two sleeps run one after the other; grown to two, both are active at once.
      const maxConcurrency = async () =>
        (await celeryctlJson<Record<string, { pool: { 'max-concurrency': number } }>>(['inspect', 'stats', ...d]))[c3.nodename]!.pool[
          'max-concurrency'
        ];
      expect(await maxConcurrency()).toBe(1);
      expect((await celeryctl(['pool-grow', '1', ...d])).stdout).toBe(`-> ${c3.nodename}: OK pool will grow\n`);
      expect(await maxConcurrency()).toBe(2);
      const sleeps = await Promise.all([1, 2].map(() => send('tasks.sleep', { args: [0.8], queue: c3.queue })));
      await vi.waitFor(
        async () => {
          const active = await celeryctlJson<Record<string, TaskInfo[]>>(['inspect', 'active', ...d]);
          expect(active[c3.nodename]?.map((t) => t.id).sort()).toEqual(sleeps.map((r) => r.id).sort());
        },
        { timeout: 5000, interval: 50 },
      );
      expect(await Promise.all(sleeps.map((r) => r.get({ timeout: 15 })))).toEqual([0.8, 0.8]);
    } finally {
      await stopNamedCamqWorkers([c3]);
    }
  });

  it.skipIf(!hasPython)("Python's celery inspect still reads a camq worker's replies after its mailbox clock passed 127", async () => {
    // amqplib encoded header integers 128..32767 as 's' (short int), which py-amqp reads as a short string: once
    // the worker's Lamport clock passed 127, the `clock` header of its replies broke Python's `celery inspect`.
    const client = await ControlClient.connect(url);
    try {
      for (let i = 0; i < 140; i++) {
        const reply = await client.ping({ destination: [c2.nodename], timeout: 5 });
        expect(reply.replies.get(c2.nodename)).toEqual({ ok: 'pong' });
      }
    } finally {
      await client.close();
    }
    const clock = await celeryctlJson<Record<string, { clock: number }>>(['inspect', 'clock', '-d', c2.nodename]);
    expect(clock[c2.nodename]!.clock).toBeGreaterThan(140);

    const ping = await runCeleryCli(url, ['inspect', 'ping', '-d', c2.nodename, '-j', '-t', '5'], { timeoutMs: 30_000 });
    expect(ping.code, ping.stderr + ping.stdout).toBe(0);
    expect(JSON.parse(ping.stdout)).toEqual({ [c2.nodename]: { ok: 'pong' } });
    const stats = await runCeleryCli(url, ['inspect', 'stats', '-d', c2.nodename, '-j', '-t', '5'], { timeoutMs: 30_000 });
    expect(stats.code, stats.stderr + stats.stdout).toBe(0);
    const body = (JSON.parse(stats.stdout) as Record<string, { pid: number; clock: string }>)[c2.nodename]!;
    expect(body.pid).toBe(c2.worker.process.pid);
    expect(Number(body.clock)).toBeGreaterThan(140);
  });

  describe.skipIf(!hasPython)('a mixed cluster: a Python Celery worker beside a camq worker', () => {
    let py: NamedWorker;

    beforeAll(async () => {
      py = await startNamedWorker('py');
    });
    afterAll(async () => {
      await stopNamedWorkers([py]);
    });

    it('status and inspect registered answer from both kinds of worker together', async () => {
      const both = `${py.nodename},${c1.nodename}`;
      const status = await celeryctl(['status', '-d', both]);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`-> ${py.nodename}: OK`);
      expect(status.stdout).toContain(`-> ${c1.nodename}: OK`);
      expect(status.stdout).toContain('2 nodes online.');
      // A broadcast reaches them too (other workers in the vhost may answer as well).
      const broadcast = await celeryctlJson(['status']);
      expect(Object.keys(broadcast)).toEqual(expect.arrayContaining([py.nodename, c1.nodename]));

      const registered = await celeryctlJson<Record<string, string[]>>(['inspect', 'registered', '-d', both]);
      expect(Object.keys(registered).sort()).toEqual([py.nodename, c1.nodename].sort());
      // The same task names on both: Python's fixture app mirrors examples/tasks.js.
      for (const node of [py.nodename, c1.nodename])
        expect(registered[node]).toEqual(expect.arrayContaining(['tasks.add', 'tasks.fail', 'tasks.noop', 'tasks.sleep']));
      // Asked for task attributes, both describe a task that sets none of them the same way.
      const items = [
        'serializer',
        'max_retries',
        'default_retry_delay',
        'acks_late',
        'acks_on_failure_or_timeout',
        'ignore_result',
        'store_errors_even_if_ignored',
        'track_started',
        'send_events',
        'time_limit',
        'priority',
        'exchange',
        'routing_key',
      ];
      const detailed = await celeryctlJson<Record<string, string[]>>(['inspect', 'registered', ...items, '-d', both]);
      const addOf = (node: string) => detailed[node]!.find((line) => line.startsWith('tasks.add '));
      expect(addOf(py.nodename)).toMatch(/^tasks\.add \[serializer=json max_retries=3 /);
      expect(addOf(c1.nodename)).toBe(addOf(py.nodename));
      const human = await celeryctl(['inspect', 'registered', '-d', both]);
      expect(human.stdout).toContain(`-> ${py.nodename}: OK`);
      expect(human.stdout).toContain(`-> ${c1.nodename}: OK`);
      expect(human.stdout).toContain('    * tasks.add');

      const stats = await celeryctlJson<Record<string, { pid: number; pool: { 'max-concurrency': number; implementation?: string } }>>([
        'inspect',
        'stats',
        '-d',
        both,
      ]);
      expect(stats[c1.nodename]!.pool.implementation).toBe('camq:async');
      expect(stats[py.nodename]!.pid).toBe(py.worker.process.pid);
      expect(stats[py.nodename]!.pool['max-concurrency']).toBe(1);
    });
  });
});
