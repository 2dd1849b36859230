/**
 * `camq record --metrics ADDR` (issue 15): the recorder serves camq exporter's /metrics and /health from the events
 * it records — no second consumer on celeryev — under the same names; scraped while it records a Python worker's
 * tasks, its counters match what ran and what `camq exporter` beside it counts. RabbitMQ and the embedded broker.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { deleteQueues } from '../../helpers/camq-worker.js';
import { runPython, startPythonWorker, usePythonCelery, type PythonWorker } from '../../helpers/python-celery.js';
import { runBin } from '../../helpers/run-bin.js';
import { startServingCamq, type ServingCamq } from '../../helpers/serving-camq.js';

/** The sum of a metric's samples whose labels include `queue_name="<queue>"`. */
function total(text: string, metric: string, queue: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${metric}{`) && l.includes(`queue_name="${queue}"`))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

const havePython = await usePythonCelery('the recorder metrics tests with Python Celery are skipped');
const targets = havePython ? await brokerTargets({ embedded: 'child-process' }) : [];

describeBrokers('camq record --metrics', targets, ({ url }) => {
  const id = randomUUID().slice(0, 8);
  const queue = `camq-test-recm-${id}`;
  const recorderQueue = `camq-test-recm-rec-${id}`;
  const dir = mkdtempSync(join(tmpdir(), 'camq-recm-'));
  let recorder: ServingCamq | undefined;
  let exporter: ServingCamq | undefined;
  let py: PythonWorker | undefined;

  afterAll(async () => {
    await py?.stop();
    await Promise.allSettled([recorder?.stop(), exporter?.stop()]);
    await runBin('camq', ['-b', url, 'record', '--queue', recorderQueue, '--delete-queue']);
    await deleteQueues(url, [queue]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the exporter's metrics from the recorded events; the counters match what ran and camq exporter's", async () => {
    recorder = await startServingCamq(
      ['-b', url, 'record', '--journal', dir, '--queue', recorderQueue, '--metrics', '127.0.0.1:0', '--json'],
      /"status":"metrics","url":"(http:\/\/[^"]+)"/,
    );
    exporter = await startServingCamq(['-b', url, 'exporter', '--listen', '127.0.0.1:0', '--no-api']);
    // The worker starts after the sends, so no task-succeeded overtakes its task-sent (which names the queue).
    await runPython(
      url,
      [
        'from tasks import app',
        'app.conf.task_send_sent_event = True',
        `[app.send_task('tasks.add', (i, i), queue='${queue}', ignore_result=True) for i in range(5)]`,
        `[app.send_task('tasks.fail', ('boom',), queue='${queue}', ignore_result=True) for i in range(2)]`,
        'print("done")',
      ].join('\n'),
    );
    py = await startPythonWorker({ brokerUrl: url, nodename: `py-${id}@recm-${id}`, queues: queue, events: true });
    const scrape = async (base: string) => (await fetch(`${base}/metrics`)).text();
    const deadline = Date.now() + 20_000;
    let text = '';
    while (Date.now() < deadline) {
      text = await scrape(recorder.base);
      if (total(text, 'celery_task_succeeded_total', queue) === 5 && total(text, 'celery_task_failed_total', queue) === 2) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(total(text, 'celery_task_sent_total', queue)).toBe(7);
    expect(total(text, 'celery_task_succeeded_total', queue)).toBe(5);
    expect(total(text, 'celery_task_failed_total', queue)).toBe(2);
    expect(text).toMatch(new RegExp(`celery_worker_up\\{hostname="recm-${id}"\\} 1`));
    expect(text).toContain('camq_broker_up 1');
    const other = await scrape(exporter.base);
    for (const metric of [
      'celery_task_sent_total',
      'celery_task_received_total',
      'celery_task_started_total',
      'celery_task_succeeded_total',
      'celery_task_failed_total',
    ]) {
      expect(total(text, metric, queue), metric).toBe(total(other, metric, queue));
    }
    const health = await fetch(`${recorder.base}/health`);
    expect(health.status).toBe(200);
  }, 120_000);
});
