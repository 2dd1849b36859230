/**
 * The shipped example task modules, examples/tasks.js and examples/tasks.ts, run by the real `camq worker` bin and
 * called by a Python Celery client, on each broker (RabbitMQ, and the embedded one as `camq broker`): every example
 * task answers the same way from either module (the TypeScript one in the thread pool, so its threads load the .ts
 * module too).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteQueues, startCamqWorker } from '../helpers/camq-worker.js';
import { brokerTargets, describeBrokers } from '../helpers/brokers.js';
import { usePythonCelery, runPython } from '../helpers/python-celery.js';

const hasPython = await usePythonCelery('the example task tests are skipped');
const targets = hasPython ? await brokerTargets({ embedded: 'child-process' }) : [];

const CALLS = [
  'import json',
  'from tasks import app, add, noop, sleep, fail, retry_me',
  'out = {}',
  'out["add"] = add.apply_async((2, 3), queue=Q).get(timeout=20)',
  'out["add_kwargs"] = add.apply_async(kwargs={"x": 1, "y": 5}, queue=Q).get(timeout=20)',
  'out["noop"] = noop.apply_async(queue=Q).get(timeout=20)',
  'out["sleep"] = sleep.apply_async((0.2,), queue=Q).get(timeout=20)',
  'out["fib"] = app.send_task("tasks.fib", (20,), queue=Q).get(timeout=20)',
  'for name, call in (("fail", lambda: fail.apply_async(("boom",), queue=Q)), ("retry_me", lambda: retry_me.apply_async((1,), queue=Q))):',
  '    try:',
  '        call().get(timeout=30)',
  '    except Exception as e:',
  '        out[name] = repr(e)',
  'print(json.dumps(out))',
].join('\n');

describeBrokers('the example task modules', targets, ({ url }) => {
  describe.each([
    ['examples/tasks.js', ['-c', '4']],
    ['examples/tasks.ts', ['--pool', 'threads', '-c', '2']],
  ])('camq worker -A %s', (module, args) => {
    const queue = `camq-test-${randomUUID()}`;
    afterAll(async () => {
      await deleteQueues(url, [queue]);
    });

    it('answers every example task as Python expects', async () => {
      const worker = await startCamqWorker({ brokerUrl: url, module, queues: queue, args });
      try {
        const out = JSON.parse(await runPython(url, `Q = ${JSON.stringify(queue)}\n${CALLS}`, { timeoutMs: 90_000 })) as Record<string, unknown>;
        expect(out).toEqual({
          add: 5,
          add_kwargs: 6,
          noop: null,
          sleep: 0.2,
          fib: 6765,
          fail: "RuntimeError('boom')",
          retry_me: "ValueError('boom 2')",
        });
      } finally {
        expect(await worker.stop()).toBe(0);
      }
    }, 120_000);
  });
});
