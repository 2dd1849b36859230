/**
 * `camq record --tap` (issue 14): with the firehose on (`rabbitmqctl trace_on` on a scratch vhost of this file's own,
 * never '/'; the embedded broker's `--trace /`), a Python apply_async whose argument is longer than the 1,024
 * characters senders keep of argsrepr is recorded by the recorder as a task-body record; the task fails on a Python
 * worker, and the retry engine, reading the body from the journal by task id, sends it again: the Python task records
 * that it received exactly the original arguments.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { planRetry } from '../../../src/dispatch/retry-plan.js';
import { TaskDispatcher } from '../../../src/dispatch/task-dispatcher.js';
import { journaledTaskBody, readJournal } from '../../../src/journal/index.js';
import { createTransport } from '../../../src/transport/index.js';
import { useRabbitmq } from '../../helpers/brokers.js';
import { rabbitmqTraceTarget, type TraceTarget } from '../../helpers/trace-target.js';
import { startBrokerProcess } from '../../helpers/broker-process.js';
import { deleteQueues } from '../../helpers/camq-worker.js';
import {
  waitForRecordedRun,
  runPython,
  startPythonWorker,
  usePythonCelery,
  type PythonWorker,
  type RecordedRun,
} from '../../helpers/python-celery.js';
import { ROOT, runBin } from '../../helpers/run-bin.js';

const hasPython = await usePythonCelery('camq record --tap with a Python worker is skipped');
const targets: TraceTarget[] = [];
if (hasPython) {
  if (await useRabbitmq('running against the embedded broker alone')) {
    targets.push(await rabbitmqTraceTarget('rectap'));
  }
  const broker = await startBrokerProcess(['--trace', '/']);
  afterAll(() => broker.stop());
  targets.push({ name: 'embedded', url: broker.url, vhost: '/', traceOn: async () => {}, traceOff: async () => {} });
}

describe.concurrent.each(targets)('$name', (target) => {
  describe.sequential('camq record --tap', () => {
    const id = randomUUID().slice(0, 8);
    const queue = `camq-test-rectap-${id}`;
    const recorderQueue = `camq-test-rectap-rec-${id}`;
    const dir = mkdtempSync(join(tmpdir(), 'camq-rectap-'));
    const journalDir = join(dir, 'journal');
    const recordFile = join(dir, 'received.jsonl');
    let recorder: ChildProcess | undefined;
    let worker: PythonWorker | undefined;

    afterAll(async () => {
      recorder?.kill('SIGTERM');
      await worker?.stop();
      await runBin('camq', ['-b', target.url, 'record', '--queue', recorderQueue, '--delete-queue']);
      await target.traceOff();
      await deleteQueues(target.url, [queue]);
      rmSync(dir, { recursive: true, force: true });
    });

    const waitForRecord = (match: (r: RecordedRun) => boolean) => waitForRecordedRun(recordFile, match);

    it('records the body of a Python task with a >1,024-character argument, and its failure is retried from the journal with the exact arguments', async () => {
      await target.traceOn();
      recorder = spawn(
        process.execPath,
        [
          `${ROOT}bin/camq`,
          '-b',
          target.url,
          'record',
          '--tap',
          '--journal',
          journalDir,
          '--queue',
          recorderQueue,
          '--json',
          '--status-interval',
          '1',
        ],
        { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      recorder.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      recorder.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      await vi.waitFor(() => expect(out).toContain('"status":"tapping"'), { timeout: 20_000, interval: 100 });
      if (target.name === 'rabbitmq') expect(out).toContain('rabbitmqctl trace_on -p');

      const long = 'x'.repeat(2000);
      const original = (
        await runPython(
          target.url,
          `from tasks import record_then_fail\nprint(record_then_fail.apply_async(args=('${long}', 7), kwargs={'k': 'v'}, queue='${queue}', ignore_result=True).id)`,
        )
      ).trim();
      const body = await vi.waitFor(
        () => {
          const found = journaledTaskBody(readJournal(journalDir), original);
          expect(found).toBeDefined();
          return found!;
        },
        { timeout: 20_000, interval: 200 },
      );
      expect(body).toMatchObject({ taskId: original, name: 'tasks.record_then_fail', routingKey: queue });
      expect((body.headers['argsrepr'] as string).length).toBeLessThan(long.length);

      worker = await startPythonWorker({
        brokerUrl: target.url,
        nodename: `rectap-${id}@testhost`,
        queues: queue,
        concurrency: 1,
        env: { CAMQ_TEST_RECORD_FILE: recordFile },
      });
      const first = await waitForRecord((r) => r.id === original);
      expect(first.argsrepr).toContain(long);

      const connection = await createTransport(target.url).connect();
      const dispatcher = new TaskDispatcher({ connection });
      try {
        const decision = planRetry({
          taskId: original,
          name: 'tasks.record_then_fail',
          tapped: journaledTaskBody(readJournal(journalDir), original),
        });
        if (!decision.ok) throw new Error(decision.refusal.reason);
        expect(decision.plan.kind).toBe('tapped');
        const sent = await dispatcher.retry(decision.plan);
        const again = await waitForRecord((r) => r.id === sent.id);
        expect(again).toEqual({ id: sent.id, argsrepr: first.argsrepr, kwargsrepr: first.kwargsrepr, retry_of: original });
      } finally {
        await dispatcher.close();
        await connection.close();
      }
    }, 90_000);
  });
});
