/**
 * `camq exporter` as a user runs it (bin/camq, build first), on RabbitMQ and on the embedded broker, while a Python
 * Celery worker and a camq worker run a known mix of tasks; a real Prometheus scrapes it under job `celery` and
 * answers the counts, the backlog and queries from the celery-mixin. promtool lints the output.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { startBrokerProcess } from '../../helpers/broker-process.js';
import { whenExited } from '../../helpers/child-exit.js';
import { deleteQueues, startCamqWorker, type CamqWorker } from '../../helpers/camq-worker.js';
import { promtoolCheckMetrics, startPrometheus, usePrometheus, type PrometheusServer } from '../../helpers/prometheus.js';
import { runPython, startPythonWorker, usePythonCelery, type PythonWorker } from '../../helpers/python-celery.js';
import { ROOT } from '../../helpers/run-bin.js';
import { startServingCamq, type ServingCamq } from '../../helpers/serving-camq.js';

/** `camq -b URL exporter --listen 127.0.0.1:0 ARGS`, once it serves. */
function startExporter(brokerUrl: string, args: readonly string[] = []): Promise<ServingCamq> {
  return startServingCamq(['-b', brokerUrl, 'exporter', '--listen', '127.0.0.1:0', ...args]);
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

const sum = (result: { value: [number, string] }[]) => result.reduce((n, r) => n + Number(r.value[1]), 0);

const havePython = await usePythonCelery('the exporter tests with Python Celery are skipped');
const havePrometheus = havePython && (await usePrometheus('the exporter tests with Prometheus are skipped'));
const targets = havePrometheus ? await brokerTargets({ embedded: 'child-process', management: true }) : [];

describeBrokers('camq exporter scraped by Prometheus', targets, ({ url, apiUrl }) => {
  const id = randomUUID().slice(0, 8);
  const pyQueue = `metrics-py-${id}`;
  const jsQueue = `metrics-js-${id}`;
  const backlog = `metrics-backlog-${id}`;
  let exporter: ServingCamq;
  let prometheus: PrometheusServer;
  let py: PythonWorker;
  let js: CamqWorker;
  let jsMetrics: string;

  afterAll(async () => {
    await Promise.allSettled([py?.stop(), js?.stop(), prometheus?.stop()]);
    await exporter?.stop();
    await deleteQueues(url, [pyQueue, jsQueue, backlog]);
  });

  it('Prometheus answers the succeeded and failed counts that were run, the backlog, and the mixin queries', async () => {
    exporter = await startExporter(url, ['--queue-interval', '1', ...(apiUrl ? ['--api', apiUrl] : [])]);
    prometheus = await startPrometheus([new URL(exporter.base).host]);
    // Python sends: 3 add + 2 fail to the Python worker, 4 add + 1 fail to the camq worker, 7 to a queue nobody
    // consumes. task_send_sent_event so task-sent names each task's queue. The workers start only after the sends:
    // a task-succeeded that overtakes its task-sent (another connection) is labelled with the default queue, as
    // celery-exporter labels it, which would make the per-queue counts below a race. No results: nobody waits.
    await runPython(
      url,
      [
        'from tasks import app',
        'app.conf.task_send_sent_event = True',
        `[app.send_task('tasks.add', (i, i), queue='${pyQueue}', ignore_result=True) for i in range(3)]`,
        `[app.send_task('tasks.fail', ('boom',), queue='${pyQueue}', ignore_result=True) for i in range(2)]`,
        `[app.send_task('tasks.add', (i, i), queue='${jsQueue}', ignore_result=True) for i in range(4)]`,
        `[app.send_task('tasks.fail', ('boom',), queue='${jsQueue}', ignore_result=True) for i in range(1)]`,
        `[app.send_task('tasks.add', (1, 1), queue='${backlog}', ignore_result=True) for i in range(7)]`,
        'print("done")',
      ].join('\n'),
    );
    [py, js] = await Promise.all([
      startPythonWorker({ brokerUrl: url, nodename: `py-${id}@pyhost-${id}`, queues: pyQueue, events: true }),
      startCamqWorker({ brokerUrl: url, nodename: `camq-${id}@jshost-${id}`, queues: jsQueue, args: ['-E', '--metrics', '127.0.0.1:0'] }),
    ]);
    await js.waitForLog(/serving its metrics on (http:\/\/\S+)\/metrics/);
    jsMetrics = /serving its metrics on (http:\/\/\S+)\/metrics/.exec(js.output())![1]!;
    const by = (metric: string, queue: string) => `sum(${metric}{job="celery", queue_name="${queue}"})`;
    const equals = (n: number) => (r: { value: [number, string] }[]) => sum(r) === n;
    await prometheus.waitFor(by('celery_task_succeeded_total', pyQueue), equals(3));
    await prometheus.waitFor(by('celery_task_failed_total', pyQueue), equals(2));
    await prometheus.waitFor(by('celery_task_succeeded_total', jsQueue), equals(4));
    await prometheus.waitFor(by('celery_task_failed_total', jsQueue), equals(1));
    // Python's failures are labelled with the exception class, hostnames with the part after @.
    const failed = await prometheus.query(`celery_task_failed_total{job="celery", queue_name="${pyQueue}"} > 0`);
    expect(failed.map((r) => [r.metric['name'], r.metric['hostname'], r.metric['exception']])).toEqual([
      ['tasks.fail', `pyhost-${id}`, 'RuntimeError'],
    ]);
    // The backlog through the mixin's CeleryHighQueueLength expression (threshold 5 instead of 100).
    const high = await prometheus.waitFor(
      `sum(celery_queue_length{job=~".*celery.*", queue_name!~"None"}) by (job, namespace, queue_name) > 5`,
      (r) => r.some((s) => s.metric['queue_name'] === backlog),
    );
    expect(high.find((s) => s.metric['queue_name'] === backlog)?.value[1]).toBe('7');
    // The overview dashboard's worker count and the runtime histogram's sum by task.
    const up = await prometheus.waitFor(`celery_worker_up{job=~".*celery.*"} == 1`, (r) => r.length >= 2);
    expect(up.map((r) => r.metric['hostname'])).toEqual(expect.arrayContaining([`pyhost-${id}`, `jshost-${id}`]));
    const runtimeCount = await prometheus.query(`sum(celery_task_runtime_count{job="celery", queue_name=~"${pyQueue}|${jsQueue}"}) by (name)`);
    expect(runtimeCount.map((r) => [r.metric['name'], r.value[1]])).toEqual([['tasks.add', '7']]);
    expect(sum(await prometheus.query('camq_broker_up{job="celery"}'))).toBe(1);
  }, 120_000);

  it("promtool check metrics: only the lint celery-exporter's own celery_active_consumer_count draws; the worker's is clean", async () => {
    const { text } = await get(`${exporter.base}/metrics`);
    expect(text).toContain('celery_active_consumer_count{queue_name=');
    const lint = await promtoolCheckMetrics(text);
    expect(lint.lines).toEqual(['celery_active_consumer_count non-histogram and non-summary metrics should not have "_count" suffix']);
    const worker = await get(`${jsMetrics}/metrics`);
    expect(worker.text).toMatch(/camq_worker_tasks_total\{name="tasks.add",state="succeeded"\} 4/);
    expect(worker.text).toMatch(/camq_worker_tasks_total\{name="tasks.fail",state="failed"\} 1/);
    expect(worker.text).toMatch(/camq_worker_task_runtime_seconds_count\{name="tasks.add"\} 4/);
    expect(worker.text).toMatch(/camq_worker_tasks_active 0/);
    expect(await promtoolCheckMetrics(worker.text)).toEqual({ code: 0, lines: [] });
  });
});

describe.skipIf(!havePrometheus)('camq exporter when its broker goes away', () => {
  it('answers /health 503 with the reason and /metrics with the last figures and camq_broker_up 0', async () => {
    const broker = await startBrokerProcess();
    const exporter = await startExporter(broker.url, ['--no-api']);
    try {
      await expect.poll(async () => (await get(`${exporter.base}/health`)).status, { timeout: 15_000 }).toBe(200);
      expect((await get(`${exporter.base}/metrics`)).text).toMatch(/^camq_broker_up 1$/m);
      await broker.stop();
      await expect.poll(async () => (await get(`${exporter.base}/health`)).status, { timeout: 15_000 }).toBe(503);
      const health = await get(`${exporter.base}/health`);
      expect(health.text).toMatch(/^not connected to the broker amqp:\/\/.*: reconnecting.*\n$/);
      const metrics = await get(`${exporter.base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.text).toMatch(/^camq_broker_up 0$/m);
      expect(exporter.process.exitCode).toBeNull();
    } finally {
      await exporter.stop();
      await broker.stop();
    }
  }, 60_000);

  it('a port in use: one line, exit code 1', async () => {
    const first = await startExporter('amqp://guest:guest@127.0.0.1:1//');
    try {
      const port = new URL(first.base).port;
      const child = spawn(
        process.execPath,
        [`${ROOT}bin/camq`, '-b', 'amqp://guest:guest@127.0.0.1:1//', 'exporter', '--listen', `127.0.0.1:${port}`],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      expect(await whenExited(child)).toBe(1);
      expect(err.trim().split('\n')).toHaveLength(1);
      expect(err).toContain(`cannot serve metrics on 127.0.0.1:${port}: the port is in use`);
    } finally {
      await first.stop();
    }
  });
});
