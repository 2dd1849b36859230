import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../util/clock.js';
import { RUNTIME_BUCKETS } from './exporter-labels.js';
import { DEFAULT_LABEL_LIMITS } from './celery-metrics.js';
import { LabelGuard } from './label-guard.js';

type DoneListener = (req: { readonly name: string; readonly startedAt: number }, outcome: { readonly kind: string }) => void;
type DiscardedListener = (task: { readonly name: string }, reason: string) => void;

/**
 * The worker's public face the metrics read: its `task-done` and `task-discarded` events, its active and reserved
 * requests, its clock.
 */
export interface ObservedWorker {
  on(event: 'task-done', listener: DoneListener): unknown;
  on(event: 'task-discarded', listener: DiscardedListener): unknown;
  off(event: 'task-done', listener: DoneListener): unknown;
  off(event: 'task-discarded', listener: DiscardedListener): unknown;
  active(): readonly unknown[];
  reserved(): readonly unknown[];
  readonly clock: Clock;
}

/** A task's outcome kind as the `state` label says it, in Celery's state words. */
const STATE_OF: Record<string, string> = {
  success: 'succeeded',
  failure: 'failed',
  retry: 'retried',
  reject: 'rejected',
  ignore: 'ignored',
  killed: 'failed',
};

/**
 * Why a message was answered without running, as the `state` label says it. Revoked and expired are both `revoked`,
 * as Celery (REVOKED, task-revoked) and celery-exporter's celery_task_revoked_total count them. An unregistered task
 * is `rejected`: the message is rejected unrun (Celery stores FAILURE NotRegistered and sends task-failed, so the
 * exporter counts it as failed).
 */
const DISCARD_STATE: Record<string, string> = {
  revoked: 'revoked',
  expired: 'revoked',
  unregistered: 'rejected',
};

/**
 * `camq worker --metrics`: the worker's own figures, under `camq_worker_` so a Prometheus that also scrapes
 * `camq exporter` (whose `celery_*` series count the same tasks from events) never adds them up twice. Reads the
 * worker only through its public events and inspect lists; the worker knows nothing of it.
 */
export class WorkerMetrics {
  readonly registry: Registry;
  private readonly tasks: Counter;
  private readonly runtime: Histogram;
  private readonly names = new LabelGuard(DEFAULT_LABEL_LIMITS.taskNames);
  private readonly loop: IntervalHistogram;
  private readonly onDone: DoneListener = (req, outcome) => {
    const name = this.names.admit(req.name);
    this.tasks.inc({ name, state: STATE_OF[outcome.kind] ?? outcome.kind });
    if (outcome.kind === 'success') this.runtime.observe({ name }, Math.max(0, (this.worker.clock.monotonic() - req.startedAt) / 1000));
  };
  private readonly onDiscarded: DiscardedListener = (task, reason) => {
    this.tasks.inc({ name: this.names.admit(task.name), state: DISCARD_STATE[reason] ?? reason });
  };

  constructor(
    private readonly worker: ObservedWorker,
    options: { readonly registry?: Registry; readonly hostname?: string } = {},
  ) {
    this.registry = options.registry ?? new Registry();
    if (options.hostname !== undefined) this.registry.setDefaultLabels({ worker: options.hostname });
    const registers = [this.registry];
    this.tasks = new Counter({
      name: 'camq_worker_tasks_total',
      help: 'Tasks this worker finished, by task name and final state (succeeded, failed, retried, rejected, ignored, revoked).',
      labelNames: ['name', 'state'],
      registers,
    });
    this.runtime = new Histogram({
      name: 'camq_worker_task_runtime_seconds',
      help: "Run time of this worker's succeeded tasks (celery-exporter's runtime buckets).",
      labelNames: ['name'],
      buckets: [...RUNTIME_BUCKETS],
      registers,
    });
    new Gauge({
      name: 'camq_worker_tasks_active',
      help: 'Tasks running now.',
      registers,
      collect() {
        this.set(worker.active().length);
      },
    });
    new Gauge({
      name: 'camq_worker_tasks_prefetched',
      help: 'Task messages received and waiting for a pool slot (reserved).',
      registers,
      collect() {
        this.set(worker.reserved().length);
      },
    });
    const loop = (this.loop = monitorEventLoopDelay({ resolution: 20 }));
    loop.enable();
    new Gauge({
      name: 'camq_worker_event_loop_lag_seconds',
      help: "The worker's mean event-loop delay since the previous scrape.",
      registers,
      collect() {
        this.set(Number.isNaN(loop.mean) ? 0 : loop.mean / 1e9);
      },
    });
    new Gauge({
      name: 'camq_worker_event_loop_lag_max_seconds',
      help: "The worker's longest event-loop delay since the previous scrape.",
      registers,
      collect() {
        this.set(loop.max / 1e9);
        // Gauges collect in registration order: the mean above was read first, so both cover the same span.
        loop.reset();
      },
    });
    worker.on('task-done', this.onDone);
    worker.on('task-discarded', this.onDiscarded);
  }

  stop(): void {
    this.worker.off('task-done', this.onDone);
    this.worker.off('task-discarded', this.onDiscarded);
    this.loop.disable();
  }
}
