/**
 * The task tap and retry, end to end: with the firehose on (RabbitMQ's `rabbitmqctl trace_on` on this run's vhost,
 * the embedded broker's `traceOn`), a Python `apply_async` comes out of TaskTap byte-equal to what lands in its queue;
 * the task fails on a Python worker, and camq retries it — from the tapped body, and from its complete
 * argsrepr/kwargsrepr — and the Python task records that it received exactly the original arguments. A truncated
 * argsrepr is refused with the reason.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ActionPolicy } from '../../../src/audit/action-policy.js';
import { CollectingActionSink } from '../../../src/audit/action-record.js';
import { startEmbeddedBroker } from '../../../src/broker/embedded.js';
import { planRetry } from '../../../src/dispatch/retry-plan.js';
import { TaskDispatcher } from '../../../src/dispatch/task-dispatcher.js';
import type { TappedTaskBody } from '../../../src/protocol/trace-message.js';
import { TaskTap } from '../../../src/tap/task-tap.js';
import { createTransport, type Transport } from '../../../src/transport/index.js';
import { useRabbitmq } from '../../helpers/brokers.js';
import { rabbitmqTraceTarget, type TraceTarget } from '../../helpers/trace-target.js';
import { deleteQueues } from '../../helpers/camq-worker.js';
import {
  recordedRuns,
  waitForRecordedRun,
  runPython,
  startPythonWorker,
  usePythonCelery,
  type PythonWorker,
  type RecordedRun,
} from '../../helpers/python-celery.js';

const hasPython = await usePythonCelery('the task tap and retry with a Python worker are skipped');
const targets: TraceTarget[] = [];
if (hasPython) {
  if (await useRabbitmq('running against the embedded broker alone')) {
    targets.push(await rabbitmqTraceTarget('tap'));
  }
  const embedded = await startEmbeddedBroker({ port: 0 });
  afterAll(() => embedded.close());
  targets.push({
    name: 'embedded',
    url: embedded.url,
    vhost: '/',
    traceOn: async () => void embedded.server.traceOn('/'),
    traceOff: async () => void embedded.server.traceOff('/'),
  });
}

/** The Python task's record: what it received, and the task it retries. */
describe.concurrent.each(targets)('$name', (target) => {
  describe.sequential('the task tap and retry', () => {
    const queue = `camq-test-retry-${randomUUID().slice(0, 8)}`;
    const dir = mkdtempSync(join(tmpdir(), 'camq-retry-'));
    const recordFile = join(dir, 'received.jsonl');
    const tapped = new Map<string, TappedTaskBody>();
    const sink = new CollectingActionSink();
    let connection: Transport;
    let tap: TaskTap;
    let dispatcher: TaskDispatcher;
    let worker: PythonWorker | undefined;
    let original: string;

    const received = () => recordedRuns(recordFile);
    const waitForRecord = (match: (r: RecordedRun) => boolean) => waitForRecordedRun(recordFile, match);
    // ignore_result: Celery's rpc backend then declares no reply queue, which would outlive the script (x-expires 1 h).
    const applyAsync = async (args: string, kwargs: string) =>
      (
        await runPython(
          target.url,
          `from tasks import record_then_fail\nprint(record_then_fail.apply_async(args=${args}, kwargs=${kwargs}, queue='${queue}', ignore_result=True).id)`,
        )
      ).trim();

    beforeAll(async () => {
      await target.traceOn();
      connection = await createTransport(target.url).connect();
      tap = new TaskTap({ connection, onTask: (task) => void tapped.set(task.taskId, task) });
      await tap.start();
      dispatcher = new TaskDispatcher({ connection, actions: new ActionPolicy({ sink, who: 'test@host' }) });
    });

    afterAll(async () => {
      await worker?.stop();
      await tap?.stop();
      await dispatcher?.close();
      await connection?.close();
      await target.traceOff();
      await deleteQueues(target.url, [queue]);
      rmSync(dir, { recursive: true, force: true });
    });

    it('taps a Python apply_async: the body comes out byte-equal to the message in the queue', async () => {
      original = await applyAsync("(1, 'two', [3.5, None], {'k': True}, 'é😀')", "{'flag': 'x', 'n': -2}");
      const task = await vi.waitFor(() => tapped.get(original) ?? Promise.reject(new Error('not tapped yet')), { timeout: 10_000 });
      expect(task).toMatchObject({ name: 'tasks.record_then_fail', protocol: 2, exchange: '', routingKey: queue, contentType: 'application/json' });
      expect(task.headers['argsrepr']).toBe("(1, 'two', [3.5, None], {'k': True}, 'é😀')");
      const channel = await connection.openChannel();
      const queued = await channel.get(queue);
      if (queued === false) throw new Error('the task is not in its queue');
      expect(queued.properties.headers?.['id']).toBe(original);
      expect(queued.content.equals(task.body)).toBe(true);
      channel.nack(queued, false, true);
      await channel.close();
    });

    it('retries the failed task from its tapped body: the Python task receives exactly the original arguments', async () => {
      worker = await startPythonWorker({
        brokerUrl: target.url,
        nodename: `retry-${randomUUID().slice(0, 6)}@testhost`,
        queues: queue,
        concurrency: 1,
        env: { CAMQ_TEST_RECORD_FILE: recordFile },
      });
      const first = await waitForRecord((r) => r.id === original);
      expect(first.retry_of).toBeNull();
      const decision = planRetry({ taskId: original, name: 'tasks.record_then_fail', tapped: tapped.get(original) });
      if (!decision.ok) throw new Error(decision.refusal.reason);
      expect(decision.plan.kind).toBe('tapped');
      const sent = await dispatcher.retry(decision.plan);
      const again = await waitForRecord((r) => r.id === sent.id);
      expect(again).toEqual({ id: sent.id, argsrepr: first.argsrepr, kwargsrepr: first.kwargsrepr, retry_of: original });
      expect(sink.records.at(-1)).toMatchObject({
        who: 'test@host',
        what: 'task.retry',
        target: original,
        outcome: { ok: true, result: { id: sent.id } },
      });
    });

    it('retries from complete argsrepr/kwargsrepr when there is no tapped body', async () => {
      const first = received().find((r) => r.id === original)!;
      const headers = tapped.get(original)!.headers;
      const decision = planRetry({
        taskId: original,
        name: 'tasks.record_then_fail',
        argsrepr: headers['argsrepr'] as string,
        kwargsrepr: headers['kwargsrepr'] as string,
        queue,
      });
      if (!decision.ok) throw new Error(decision.refusal.reason);
      expect(decision.plan.kind).toBe('repr');
      const sent = await dispatcher.retry(decision.plan);
      const again = await waitForRecord((r) => r.id === sent.id);
      expect(again).toEqual({ id: sent.id, argsrepr: first.argsrepr, kwargsrepr: first.kwargsrepr, retry_of: original });
    });

    it('refuses a task whose argsrepr was truncated, with the reason, and sends nothing', async () => {
      const id = await applyAsync("('x' * 2000,)", '{}');
      const task = await vi.waitFor(() => tapped.get(id) ?? Promise.reject(new Error('not tapped yet')), { timeout: 10_000 });
      const argsrepr = task.headers['argsrepr'] as string;
      expect(argsrepr.endsWith('...')).toBe(true);
      const decision = planRetry({ taskId: id, name: 'tasks.record_then_fail', argsrepr, kwargsrepr: task.headers['kwargsrepr'] as string, queue });
      expect(decision).toMatchObject({ ok: false, refusal: { code: 'retry.args-truncated', taskId: id } });
      if (!decision.ok)
        expect(decision.refusal.reason).toBe(
          `cannot retry tasks.record_then_fail[${id}] exactly: its args the repr was cut at ${argsrepr.length} characters (senders cap it at 1024)`,
        );
      // From the tapped body the same task is retryable.
      expect(planRetry({ taskId: id, name: 'tasks.record_then_fail', tapped: task }).ok).toBe(true);
    });
  });
});
