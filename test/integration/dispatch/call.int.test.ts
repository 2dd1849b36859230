/**
 * `camq call` round trips through the built bin: a Python Celery worker and a `camq worker` each run the call and the
 * result comes back over rpc:// (`--wait`), on RabbitMQ and on the embedded broker (`camq broker`, so the workers
 * and the bin share it). Bad options and `--read-only` are refused before anything is sent.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { deleteQueues, startCamqWorker, type CamqWorker } from '../../helpers/camq-worker.js';
import { startPythonWorker, usePythonCelery, type PythonWorker } from '../../helpers/python-celery.js';
import { runBin } from '../../helpers/run-bin.js';

const hasPython = await usePythonCelery('camq call with a Python worker is skipped');
const targets = hasPython ? await brokerTargets({ embedded: 'child-process' }) : [];

describeBrokers('camq call', targets, ({ url }) => {
  const pyQueue = `camq-test-call-py-${randomUUID().slice(0, 8)}`;
  const jsQueue = `camq-test-call-js-${randomUUID().slice(0, 8)}`;
  let python: PythonWorker;
  let camq: CamqWorker;

  beforeAll(async () => {
    [python, camq] = await Promise.all([
      startPythonWorker({ brokerUrl: url, nodename: `py-${randomUUID().slice(0, 6)}@testhost`, queues: pyQueue, concurrency: 1 }),
      startCamqWorker({ brokerUrl: url, queues: jsQueue, args: ['--accept-content', 'json,msgpack'] }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([python?.stop(), camq?.stop()]);
    await deleteQueues(url, [pyQueue, jsQueue]);
  });

  const call = (args: readonly string[], env: Record<string, string> = {}) =>
    runBin('camq', ['-b', url, 'call', ...args], { env, timeoutMs: 40_000 });

  it('prints the id, and with --wait the result a Python worker computed', async () => {
    const r = await call(['tasks.add', '--args', '[2, 3]', '-Q', pyQueue, '--wait', '--timeout', '20']);
    expect(r.stderr).toBe('');
    const [id, result] = r.stdout.trim().split('\n');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result).toBe('5');
    expect(r.code).toBe(0);
  });

  it('round trips with a camq worker, keyword arguments, countdown and expires, as JSON', async () => {
    const r = await call([
      'tasks.add',
      '--kwargs',
      '{"x": 40, "y": 2}',
      '-Q',
      jsQueue,
      '--countdown',
      '0.2',
      '--expires',
      '60',
      '--wait',
      '--timeout',
      '20',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ result: 42 });
  });

  it('sends msgpack with an ETA and a priority, which a camq worker that accepts msgpack decodes', async () => {
    const eta = new Date(Date.now() + 300).toISOString();
    const r = await call([
      'tasks.add',
      '--args',
      '[20, 22]',
      '-Q',
      jsQueue,
      '--eta',
      eta,
      '--priority',
      '3',
      '--serializer',
      'msgpack',
      '--wait',
      '--timeout',
      '20',
    ]);
    expect(r.stdout.trim().split('\n')[1]).toBe('42');
    expect(r.code).toBe(0);
  });

  it('exits 1 with the exception of a task that fails', async () => {
    const r = await call(['tasks.fail', '--kwargs', '{"message": "nope"}', '-Q', pyQueue, '--wait', '--timeout', '20']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('Error: RuntimeError: nope');
  });

  it('only prints the id without --wait, and the Python worker receives the task', async () => {
    const r = await call(['tasks.add', '--args', '[1, 1]', '-Q', pyQueue]);
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    await python.waitForLog(new RegExp(`Task tasks.add\\[${id}\\] received`), 20_000);
  });

  it('refuses bad JSON, dates and numbers with one line each, exit 1, before connecting', async () => {
    const cases: [string[], RegExp][] = [
      [['--args', '[2,'], /^Error: --args is not valid JSON .*; give e\.g\. '\[2, 2\]'$/],
      [['--args', '{"x": 1}'], /^Error: --args must be a JSON array/],
      [['--kwargs', '[1]'], /^Error: --kwargs must be a JSON object/],
      [['--eta', 'tomorrow'], /^Error: --eta 'tomorrow' is not an ISO 8601 date/],
      [['--expires', '2026-02-30T00:00:00'], /^Error: --expires '2026-02-30T00:00:00' is neither seconds/],
      [['--countdown', '-1'], /^Error: --countdown '-1' is not a number of seconds/],
      [['--priority', '256'], /^Error: --priority '256' is not a whole number from 0 to 255$/],
      [['--timeout', '5'], /^Error: --timeout applies to --wait/],
      [['--result-backend', 'redis://127.0.0.1:1/0'], /^Error: --result-backend applies to --wait/],
      [['--wait', '--result-backend', 'mongodb://u:secret@db/1'], /^Error: unsupported result backend 'mongodb:\/\/u:\*\*@db\/1'/],
    ];
    for (const [args, message] of cases) {
      const r = await runBin('camq', ['-b', 'amqp://guest:guest@127.0.0.1:1/nothing', 'call', 'tasks.add', ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr.trim(), args.join(' ')).toMatch(message);
    }
  });

  it('is refused by --read-only and CAMQ_READ_ONLY=1', async () => {
    for (const r of [
      await call(['tasks.add', '-Q', pyQueue], { CAMQ_READ_ONLY: '1' }),
      await runBin('camq', ['-b', url, '--read-only', 'call', 'tasks.add', '-Q', pyQueue]),
    ]) {
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(
        'Error: refused task.call: it changes the cluster and camq runs read-only (--read-only or CAMQ_READ_ONLY=1); run without it to act',
      );
    }
  });
});
