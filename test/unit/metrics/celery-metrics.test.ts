import { describe, expect, it } from 'vitest';
import { CeleryMetrics, OVERFLOW_LABEL } from '../../../src/metrics/index.js';
import { buildEvent, type CeleryEvent, type EventEnvelope } from '../../../src/protocol/event-message.js';
import type { QueueListing } from '../../../src/queues/queue-figures.js';

let clock = 0;
const at = (ms: number) => ({ hostname: '', pid: 1, clock: () => ++clock, now: () => ms, utcoffset: 0 });

function ev(type: string, hostname: string, fields: Record<string, unknown>, ms = 1_000_000): EventEnvelope {
  return buildEvent(type as CeleryEvent['type'], fields as never, { ...at(ms), hostname });
}

async function series(m: CeleryMetrics, name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const metric = m.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (await metric.get()).values.map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }));
}

async function value(m: CeleryMetrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  return (await series(m, name)).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

const sent = (uuid: string, name: string, queue = 'celery', host = 'gen42@web-1', ms?: number) =>
  ev(
    'task-sent',
    host,
    {
      uuid,
      name,
      queue,
      args: '()',
      kwargs: '{}',
      retries: 0,
      eta: null,
      expires: null,
      root_id: null,
      parent_id: null,
      exchange: '',
      routing_key: queue,
    },
    ms,
  );

describe('CeleryMetrics: celery-exporter names and labels from events', () => {
  it('counts each task event type with name, the hostname after @, and the queue task-sent named', async () => {
    const m = new CeleryMetrics();
    m.apply(sent('t1', 'app.add', 'math'), 0);
    m.apply(ev('task-received', 'celery@worker-a', { uuid: 't1', name: 'app.add' }), 0);
    m.apply(ev('task-started', 'celery@worker-a', { uuid: 't1' }), 0);
    m.apply(ev('task-succeeded', 'celery@worker-a', { uuid: 't1', result: '3', runtime: 0.3 }), 0);
    expect(await value(m, 'celery_task_sent_total', { name: 'app.add', hostname: 'web-1', queue_name: 'math' })).toBe(1);
    const worker = { name: 'app.add', hostname: 'worker-a', queue_name: 'math' };
    expect(await value(m, 'celery_task_received_total', worker)).toBe(1);
    expect(await value(m, 'celery_task_started_total', worker)).toBe(1);
    expect(await value(m, 'celery_task_succeeded_total', worker)).toBe(1);
    // The other worker-side counters exist at 0 (celery-exporter's inc(0)), task-failed with exception "".
    expect(await value(m, 'celery_task_failed_total', { ...worker, exception: '' })).toBe(0);
    expect(await value(m, 'celery_task_retried_total', worker)).toBe(0);
    // Runtime observed on success, in celery-exporter's buckets (prometheus_client's defaults: 0.25 < 0.3 <= 0.5).
    const runtime = await series(m, 'celery_task_runtime');
    const bucket = (le: number) => runtime.find((s) => s.labels['le'] === le && s.labels['hostname'] === 'worker-a')?.value;
    expect(bucket(0.25)).toBe(0);
    expect(bucket(0.5)).toBe(1);
    expect(runtime.map((s) => s.labels['le']).filter((le) => le !== undefined)).toEqual(
      expect.arrayContaining([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, '+Inf']),
    );
  });

  it("labels a task no task-sent named a queue for with the default queue, and an unknown task's name None", async () => {
    const m = new CeleryMetrics({ defaultQueue: 'jobs' });
    m.apply(ev('task-received', 'celery@w', { uuid: 'a', name: 'app.mul' }), 0);
    m.apply(ev('task-failed', 'celery@w', { uuid: 'a', exception: "ValueError('bad')" }), 0);
    m.apply(ev('task-failed', 'celery@w', { uuid: 'never-seen', exception: 'no repr' }), 0);
    expect(await value(m, 'celery_task_failed_total', { name: 'app.mul', hostname: 'w', queue_name: 'jobs', exception: 'ValueError' })).toBe(1);
    expect(await value(m, 'celery_task_failed_total', { name: 'None', hostname: 'w', queue_name: 'jobs', exception: 'UnknownException' })).toBe(1);
  });

  it('observes queue wait from task-sent to task-started, excluding an ETA', async () => {
    const m = new CeleryMetrics();
    m.apply(sent('q', 'app.slow', 'celery', 'gen@web', 10_000), 0);
    m.apply(ev('task-started', 'celery@w', { uuid: 'q' }, 13_000), 0);
    const wait = await series(m, 'celery_task_queue_wait_time');
    expect(wait.find((s) => s.labels['le'] === 2.5)?.value).toBe(0);
    expect(wait.find((s) => s.labels['le'] === 5)?.value).toBe(1);
  });

  it('worker up and active from heartbeats; offline turns them 0 at once; series go after the purge time', async () => {
    const m = new CeleryMetrics({ workerTimeoutSeconds: 300, purgeOfflineSeconds: 1800 });
    m.apply(ev('worker-online', 'celery@w1', { freq: 2, active: 0, processed: 0 }), 0);
    m.apply(ev('worker-heartbeat', 'celery@w1', { freq: 2, active: 3, processed: 0 }), 1000);
    m.apply(ev('task-received', 'celery@w1', { uuid: 'x', name: 'app.add' }), 1000);
    // Every kind of series w1's hostname labels: sent (w1 as a producer), queue wait, runtime, a failure.
    m.apply(ev('task-sent', 'celery@w1', { uuid: 'y', name: 'app.mul', queue: 'q2' }), 1000);
    m.apply(ev('task-started', 'celery@w1', { uuid: 'y' }), 1000);
    m.apply(ev('task-succeeded', 'celery@w1', { uuid: 'y', runtime: 0.2 }), 1000);
    m.apply(ev('task-failed', 'celery@w1', { uuid: 'x', exception: "KeyError('k')" }), 1000);
    expect(await m.registry.metrics()).toMatch(
      /^celery_task_failed_total\{name="app.add",hostname="w1",queue_name="celery",exception="KeyError"\} 1$/m,
    );
    expect(await value(m, 'celery_worker_up', { hostname: 'w1' })).toBe(1);
    expect(await value(m, 'celery_worker_tasks_active', { hostname: 'w1' })).toBe(3);
    m.apply(ev('worker-offline', 'celery@w1', { freq: 2, active: 0, processed: 0 }), 2000);
    expect(await value(m, 'celery_worker_up', { hostname: 'w1' })).toBe(0);
    expect(await value(m, 'celery_worker_tasks_active', { hostname: 'w1' })).toBe(0);
    // Still there 15 minutes later (the mixin's CeleryWorkerDown waits 15m), gone after 30.
    m.sweep(2000 + 16 * 60_000);
    expect(await value(m, 'celery_worker_up', { hostname: 'w1' })).toBe(0);
    m.sweep(2000 + 31 * 60_000);
    expect(await value(m, 'celery_worker_up', { hostname: 'w1' })).toBeUndefined();
    expect(await value(m, 'celery_task_received_total', { hostname: 'w1' })).toBeUndefined();
    expect(await m.registry.metrics()).not.toContain('hostname="w1"');
  });

  it('a silent worker gets worker_up 0 after the worker timeout', async () => {
    const m = new CeleryMetrics({ workerTimeoutSeconds: 300 });
    m.apply(ev('worker-heartbeat', 'celery@w2', { freq: 2, active: 1, processed: 0 }), 0);
    m.sweep(299_000);
    expect(await value(m, 'celery_worker_up', { hostname: 'w2' })).toBe(1);
    m.sweep(301_000);
    expect(await value(m, 'celery_worker_up', { hostname: 'w2' })).toBe(0);
  });

  it('queue length is the ready count, consumers the consumer count, housekeeping queues left out, gone queues dropped', async () => {
    const m = new CeleryMetrics();
    const q = (name: string, ready: number, consumers: number) => ({
      vhost: '/',
      name,
      type: 'classic',
      ready,
      unacked: 7,
      consumers,
      publishRate: null,
      deliverRate: null,
      readyRate: null,
      idleSince: null,
    });
    const listing = (queues: ReturnType<typeof q>[]): QueueListing => ({ source: 'api', api: null, queues, takenAt: 0, brokerMs: 1, missing: null });
    m.applyQueues(listing([q('celery', 12, 2), q('celeryev.0d3f', 0, 1), q('w@h.celery.pidbox', 0, 1)]));
    expect(await series(m, 'celery_queue_length')).toEqual([{ labels: { queue_name: 'celery' }, value: 12 }]);
    expect(await series(m, 'celery_active_consumer_count')).toEqual([{ labels: { queue_name: 'celery' }, value: 2 }]);
    m.applyQueues(listing([q('other', 1, 0)]));
    expect((await series(m, 'celery_queue_length')).map((s) => s.labels['queue_name'])).toEqual(['other']);
  });

  it('a flood of bogus task names and hostnames folds into __overflow__ past the bound', async () => {
    const m = new CeleryMetrics({ maxTaskNames: 50, maxHostnames: 20 });
    for (let i = 0; i < 5000; i++) {
      m.apply(ev('task-received', `celery@host-${i}`, { uuid: `u${i}`, name: `bogus.${i}.${'x'.repeat(i % 500)}` }), 0);
    }
    const received = await series(m, 'celery_task_received_total');
    const names = new Set(received.map((s) => s.labels['name']));
    const hosts = new Set(received.map((s) => s.labels['hostname']));
    expect(names.size).toBe(51);
    expect(hosts.size).toBe(21);
    expect(names.has(OVERFLOW_LABEL)).toBe(true);
    expect(Math.max(...[...names].map((n) => String(n).length))).toBeLessThanOrEqual(200);
    expect(received.reduce((sum, s) => sum + s.value, 0)).toBe(5000);
    expect(await value(m, 'camq_metrics_label_overflow_total', { label: 'name' })).toBeGreaterThan(0);
  });

  it("celery-exporter's generic hostname options label task-sent or the worker-side series 'generic'", async () => {
    const m = new CeleryMetrics({ genericHostnameTaskSent: true, genericHostnameWorkerTask: true });
    m.apply(sent('g', 'app.add', 'celery', 'gen1@web-9'), 0);
    m.apply(ev('task-received', 'celery@w9', { uuid: 'g', name: 'app.add' }), 0);
    expect(await value(m, 'celery_task_sent_total', { hostname: 'generic' })).toBe(1);
    expect(await value(m, 'celery_task_received_total', { hostname: 'generic' })).toBe(1);
    expect(await value(m, 'celery_task_received_total', { hostname: 'w9' })).toBeUndefined();
  });

  it('remembers at most maxTasks tasks', () => {
    const m = new CeleryMetrics({ maxTasks: 100 });
    for (let i = 0; i < 1000; i++) m.apply(sent(`s${i}`, 'app.add'), 0);
    expect((m as unknown as { tasks: Map<string, unknown> }).tasks.size).toBe(100);
  });

  it('ignores events that are not task or worker events, and ones without a hostname', async () => {
    const m = new CeleryMetrics();
    m.apply({ type: 'custom-thing' } as unknown as EventEnvelope, 0);
    m.apply({ type: 'worker-heartbeat' } as unknown as EventEnvelope, 0);
    expect(await series(m, 'celery_worker_up')).toEqual([]);
  });
});
