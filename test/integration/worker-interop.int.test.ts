/**
 * camq worker with Python Celery 5 as the peer: Python clients call it, Python's `celery inspect|control|events`
 * operate it (issue 4, "Must show"), on each broker (RabbitMQ, and the embedded one as `camq broker`). Each test
 * uses its own queue and node name; every worker is stopped.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { deleteQueues, startCamqWorker, type CamqWorker } from '../helpers/camq-worker.js';
import { brokerTargets, describeBrokers } from '../helpers/brokers.js';
import { FIXTURE_DIR, PYTHON, usePythonCelery, runCeleryCli, runPython, startPythonWorker } from '../helpers/python-celery.js';

const hasPython = await usePythonCelery('the worker interop tests are skipped');
const targets = hasPython ? await brokerTargets({ embedded: 'child-process' }) : [];
const FIXTURE = 'test/fixtures/worker/tasks.js';

describeBrokers('camq worker operated by Python Celery', targets, ({ url }) => {
  const queue = `camq-test-${randomUUID()}`;
  let worker: CamqWorker;

  beforeAll(async () => {
    worker = await startCamqWorker({ brokerUrl: url, module: FIXTURE, queues: queue, args: ['-E', '-c', '4'] });
  });
  afterAll(async () => {
    await worker?.stop();
    await deleteQueues(url, [queue]);
  });

  const py = (code: string) => runPython(url, `Q = ${JSON.stringify(queue)}\n${code}`);
  const inspect = async (command: string, ...args: string[]) => {
    const r = await runCeleryCli(url, ['inspect', command, ...args, '-d', worker.nodename, '-j'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    return (JSON.parse(r.stdout) as Record<string, unknown>)[worker.nodename];
  };

  it("a Python client's add.delay(2, 2).get() returns 4", async () => {
    const out = await py(`from tasks import add\nprint(add.apply_async((2, 2), queue=Q).get(timeout=20))`);
    expect(out.trim()).toBe('4');
    // The result can reach the caller before the worker's log line reaches us: wait for the line.
    await worker.waitForLog(/Task tasks\.add\[[0-9a-f-]+\] received/);
    await worker.waitForLog(/Task tasks\.add\[[0-9a-f-]+\] succeeded in [\d.e-]+s: 4/);
  });

  it('a failing task raises the Python exception type in the caller', async () => {
    const out = await py(
      `from tasks import fail\ntry:\n    fail.apply_async(('boom',), queue=Q).get(timeout=20)\nexcept RuntimeError as e:\n    print('caught', repr(e))`,
    );
    expect(out.trim()).toBe("caught RuntimeError('boom')");
  });

  it('celery inspect ping, registered, stats, reserved and scheduled answer', async () => {
    expect(await inspect('ping')).toEqual({ ok: 'pong' });
    expect(await inspect('registered')).toEqual(expect.arrayContaining(['tasks.add', 'tasks.limited [rate_limit=10/s]', 'tasks.noop']));
    const stats = (await inspect('stats')) as Record<string, unknown>;
    expect(stats).toMatchObject({
      pid: worker.process.pid,
      clock: expect.any(String),
      prefetch_count: 16,
      pool: expect.objectContaining({ 'max-concurrency': 4 }),
    });
    expect(await inspect('reserved')).toEqual([]);
    // ignore_result: nobody waits for this result, so the client declares no rpc reply queue that would outlive it.
    const id = await py(`from tasks import add\nprint(add.apply_async((1, 1), countdown=60, queue=Q, ignore_result=True).id)`).then((s) => s.trim());
    await worker.waitForLog(new RegExp(`${id}\\] received`));
    const scheduled = (await inspect('scheduled')) as { eta: string; priority: number; request: { id: string } }[];
    expect(scheduled).toEqual([
      expect.objectContaining({
        priority: 6,
        eta: expect.stringMatching(/\.\d{6}\+00:00$/),
        request: expect.objectContaining({ id, name: 'tasks.add', args: [1, 1] }),
      }),
    ]);
    // the held ETA task raised the QoS by one (PROTOCOL.md §7 trap 15)
    expect(((await inspect('stats')) as { prefetch_count: number }).prefetch_count).toBe(17);
    const revoke = await runCeleryCli(url, ['control', 'revoke', id, '-d', worker.nodename, '-j']);
    expect(JSON.parse(revoke.stdout)).toEqual([{ [worker.nodename]: { ok: `tasks ${id} flagged as revoked` } }]);
    expect(await inspect('revoked')).toContain(id);
  });

  it('celery control rate_limit takes effect, and 0 removes it', async () => {
    /**
     * Five additions at once; the seconds between the first and the last result, as the Python client times them
     * itself (no interpreter start-up in the figure): about 2 s at 2/s (one at once, then one every 0.5 s), next to
     * nothing without a limit.
     */
    const fiveAdds = async () => {
      const out = await py(
        [
          'import time',
          'from tasks import add',
          'rs = [add.apply_async((i, i), queue=Q) for i in range(5)]',
          'values, at = [], []',
          'for r in rs:',
          '    values.append(r.get(timeout=30))',
          '    at.append(time.monotonic())',
          'print(values, round(at[-1] - at[0], 3))',
        ].join('\n'),
      );
      const [values, spread] = out.trim().split('] ');
      expect(values + ']').toBe('[0, 2, 4, 6, 8]');
      return Number(spread);
    };
    const set = await runCeleryCli(url, ['control', 'rate_limit', 'tasks.add', '2/s', '-d', worker.nodename, '-j']);
    expect(JSON.parse(set.stdout)).toEqual([{ [worker.nodename]: { ok: 'new rate limit set successfully' } }]);
    expect(await inspect('registered')).toContain('tasks.add [rate_limit=2/s]');
    expect(await fiveAdds()).toBeGreaterThanOrEqual(1.8);

    const off = await runCeleryCli(url, ['control', 'rate_limit', 'tasks.add', '0', '-d', worker.nodename, '-j']);
    // The CLI sends the string '0', which is truthy in Python too: Celery answers "set" and rate('0') disables it.
    expect(JSON.parse(off.stdout)).toEqual([{ [worker.nodename]: { ok: 'new rate limit set successfully' } }]);
    // Celery keeps the '0' it was given and lists it (`tasks.add [rate_limit=0]`), as camq does.
    expect(await inspect('registered')).toContain('tasks.add [rate_limit=0]');
    // With the limit still on, the last result would come about 2 s after the first.
    expect(await fiveAdds()).toBeLessThan(1);
  });

  it('a countdown of 2 s runs no earlier than 2 s', async () => {
    const out = await py(
      `import time\nfrom tasks import add\nt0 = time.time()\nr = add.apply_async((2, 3), countdown=2, queue=Q)\nv = r.get(timeout=20)\nprint(v, time.time() - t0)`,
    );
    const [value, elapsed] = out.trim().split(' ');
    expect(value).toBe('5');
    expect(Number(elapsed)).toBeGreaterThanOrEqual(2);
  });

  it("a revoked ETA task never runs and its Python caller's get() raises TaskRevokedError", async () => {
    const out = await py(
      [
        'import time',
        'from tasks import app, add',
        'from celery.exceptions import TaskRevokedError',
        'r = add.apply_async((7, 7), countdown=2, queue=Q)',
        'print(r.id)',
        'time.sleep(0.5)',
        'app.control.revoke(r.id)',
        'try:',
        '    print("RAN", r.get(timeout=20))',
        'except TaskRevokedError as e:',
        '    print("REVOKED", repr(e))',
      ].join('\n'),
    );
    const [id, verdict] = out.trim().split('\n');
    expect(verdict).toMatch(/^REVOKED TaskRevokedError\('revoked'\)/);
    await worker.waitForLog(new RegExp(`Discarding revoked task: tasks\\.add\\[${id}\\]`));
    expect(worker.output()).not.toMatch(new RegExp(`tasks\\.add\\[${id}\\] succeeded`));
  });

  it('50 tasks limited to 10/s take at least 4.5 s', async () => {
    const out = await py(
      `import time\nfrom tasks import app\nt0 = time.time()\nrs = [app.send_task('tasks.limited', queue=Q) for _ in range(50)]\nts = [r.get(timeout=60) for r in rs]\nprint(len(ts), time.time() - t0, max(ts) - min(ts))`,
    );
    const [count, elapsed, spread] = out.trim().split(' ').map(Number);
    expect(count).toBe(50);
    expect(elapsed).toBeGreaterThanOrEqual(4.5);
    expect(spread).toBeGreaterThanOrEqual(4.5);
  }, 90_000);

  it('a retrying task stops at maxRetries', async () => {
    const out = await py(
      `from tasks import app\nr = app.send_task('tasks.retry_me', (1,), queue=Q)\ntry:\n    r.get(timeout=30)\nexcept ValueError as e:\n    print(r.id, repr(e))`,
    );
    const [id] = out.trim().split(' ');
    expect(out).toContain("ValueError('boom 2')");
    expect(worker.count(new RegExp(`tasks\\.retry_me\\[${id}\\] retry: Retry in 0.2s`))).toBe(2); // maxRetries: 2
    expect(worker.count(new RegExp(`tasks\\.retry_me\\[${id}\\] received`))).toBe(3);
  });

  it('canvas: a chain sent by Python runs step by step on the camq worker and the last result is 112', async () => {
    const out = await py(
      [
        'from celery import chain',
        'from tasks import add',
        'r = chain(add.s(1, 1).set(queue=Q), add.s(10).set(queue=Q), add.s(100).set(queue=Q)).apply_async()',
        'print(r.get(timeout=20), r.parent.get(timeout=20), r.parent.parent.get(timeout=20))',
      ].join('\n'),
    );
    expect(out.trim()).toBe('112 12 2');
    expect(worker.count(/Task tasks\.add\[[0-9a-f-]+\] succeeded in [\d.e-]+s: (2|12|112)$/)).toBeGreaterThanOrEqual(3);
  });

  it('canvas: the chain step a camq worker sends runs on a Python worker (its message is what Python expects)', async () => {
    const pyQueue = `camq-test-${randomUUID()}`;
    const pyWorker = await startPythonWorker({
      brokerUrl: url,
      nodename: `py-${randomUUID().slice(0, 8)}@testhost`,
      queues: pyQueue,
      concurrency: 1,
    });
    try {
      const out = await py(
        [
          'from celery import chain',
          'from tasks import add',
          `r = chain(add.s(1, 1).set(queue=Q), add.s(10).set(queue=${JSON.stringify(pyQueue)})).apply_async()`,
          'print(r.get(timeout=20), r.id)',
        ].join('\n'),
      );
      const [value, id] = out.trim().split(' ');
      expect(value).toBe('12');
      await pyWorker.waitForLog(new RegExp(`Task tasks\\.add\\[${id}\\] succeeded in [\\d.e-]+s: 12`));
    } finally {
      await pyWorker.stop();
      await deleteQueues(url, [pyQueue]);
    }
  });

  it('canvas: a link runs with the result prepended, and the parent result lists it as a child', async () => {
    const out = await py(
      [
        'from tasks import add',
        'r = add.apply_async((2, 2), link=add.s(10).set(queue=Q), queue=Q)',
        'print(r.get(timeout=20))',
        'child = r.children[0]',
        'print(child.id, child.get(timeout=20))',
      ].join('\n'),
    );
    const [parent, child] = out.trim().split('\n');
    expect(parent).toBe('4');
    const [childId, value] = child!.split(' ');
    expect(value).toBe('14');
    await worker.waitForLog(new RegExp(`Task tasks\\.add\\[${childId}\\] succeeded`));
  });

  it('canvas: an errback runs when the task fails, with the failed task id', async () => {
    const out = await py(
      [
        'from uuid import uuid4',
        'from tasks import app, fail',
        'eid = str(uuid4())',
        "r = fail.apply_async(('boom',), link_error=app.signature('tasks.on_error').set(queue=Q, task_id=eid), queue=Q)",
        'try:',
        '    r.get(timeout=20)',
        'except RuntimeError:',
        '    pass',
        'print(r.id, app.AsyncResult(eid).get(timeout=20))',
      ].join('\n'),
    );
    const [failedId, ...handled] = out.trim().split(' ');
    expect(handled.join(' ')).toBe(`handled ${failedId}`);
  });

  it("celery events --dump shows camq's heartbeats and task events", async () => {
    const dump = spawn(PYTHON, ['-m', 'celery', '-A', 'tasks', 'events', '--dump'], {
      cwd: FIXTURE_DIR,
      env: { ...process.env, CAMQ_TEST_BROKER_URL: url, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    dump.stdout.on('data', (c: Buffer) => (text += c.toString()));
    try {
      await vi.waitFor(() => expect(text.includes(`${worker.nodename} [`)).toBe(true), { timeout: 20_000 });
      await py(`from tasks import add\nprint(add.apply_async((20, 22), queue=Q).get(timeout=20))`);
      await vi.waitFor(() => expect(/task succeeded: tasks\.add\([0-9a-f-]+\) .*result=42/.test(text)).toBe(true), { timeout: 20_000 });
      await vi.waitFor(() => expect(/\] heartbeat: active=/.test(text)).toBe(true), { timeout: 20_000 });
    } finally {
      dump.kill('SIGTERM');
    }
    const lines = text.split('\n').filter((l) => l.startsWith(worker.nodename));
    expect(lines.some((l) => /\] heartbeat: active=\d+, clock=\d+, freq=2, loadavg=.*processed=\d+, sw_ident=camq/.test(l))).toBe(true);
    expect(lines.some((l) => /task received: tasks\.add\([0-9a-f-]+\) args=\(20, 22\)/.test(l))).toBe(true);
    expect(lines.some((l) => /task started:/.test(l))).toBe(true);
  });
});
