import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventEnvelope } from '../protocol/event-message.js';
import { DEFAULT_QUEUE } from '../protocol/topology.js';
import { isHousekeepingQueue } from '../queues/housekeeping.js';
import type { QueueListing } from '../queues/queue-figures.js';
import { exceptionLabel, hostnameLabel, QUEUE_WAIT_BUCKETS, RUNTIME_BUCKETS, UNKNOWN_NAME } from './exporter-labels.js';
import { LabelGuard } from './label-guard.js';

/** The task event types celery-exporter counts, each into `celery_<type with _>_total`. */
export const COUNTED_TASK_EVENTS = [
  'task-sent',
  'task-received',
  'task-started',
  'task-succeeded',
  'task-failed',
  'task-rejected',
  'task-revoked',
  'task-retried',
] as const;
type CountedEvent = (typeof COUNTED_TASK_EVENTS)[number];
const COUNTED: ReadonlySet<string> = new Set(COUNTED_TASK_EVENTS);
/** The counters a worker's events fill: all but task-sent, which producers send. */
const WORKER_SIDE_EVENTS = COUNTED_TASK_EVENTS.filter((type) => type !== 'task-sent');

export interface CeleryMetricsOptions {
  /** celery-exporter's `--worker-timeout`: a worker not heard from this long gets `worker_up 0`. @defaultValue 300 */
  readonly workerTimeoutSeconds?: number;
  /**
   * celery-exporter's `--purge-offline-worker-metrics`: the series of a worker gone (offline or timed out) this long
   * are dropped. camq's default is 1800, not celery-exporter's 600: the celery-mixin's CeleryWorkerDown alert needs
   * `celery_worker_up == 0` for 15 minutes, and a series purged at 10 minutes never lets it fire. 0 never purges.
   */
  readonly purgeOfflineSeconds?: number;
  /** celery-exporter's `--default-queue-name`: `queue_name` of tasks no task-sent event named a queue for. */
  readonly defaultQueue?: string;
  /** Tasks remembered (name, queue, sent time) to label their later events; Celery's `max_tasks_in_memory`. */
  readonly maxTasks?: number;
  /** Distinct values kept per label before folding into `__overflow__` (docs/metrics.md, Bad input). */
  readonly maxTaskNames?: number;
  readonly maxHostnames?: number;
  readonly maxQueues?: number;
  readonly maxExceptions?: number;
  /**
   * celery-exporter's `--generic-hostname-task-sent-metric` and `--generic-hostname-worker-task-metric`: `hostname`
   * reads `generic` on task-sent, or on the worker-side task series, which then grow with task names and queues only
   * (docs/metrics.md, Memory and cardinality).
   */
  readonly genericHostnameTaskSent?: boolean;
  readonly genericHostnameWorkerTask?: boolean;
  /** An existing registry to add to (a library user's); a fresh one otherwise. */
  readonly registry?: Registry;
}

export const DEFAULT_WORKER_TIMEOUT_SECONDS = 300;
export const DEFAULT_PURGE_OFFLINE_SECONDS = 1800;
export const DEFAULT_LABEL_LIMITS = { taskNames: 2000, hostnames: 1000, queues: 500, exceptions: 200 } as const;

/** celery-exporter's hostname label with --generic-hostname-*-metric. */
const GENERIC_HOSTNAME = 'generic';

interface TaskMemo {
  name: string | undefined;
  queue: string | undefined;
  /** task-sent's timestamp, seconds. */
  sent: number | undefined;
  eta: string | null | undefined;
}

interface WorkerSeen {
  lastSeenMs: number;
  forgotten: boolean;
}

type TaskLabels = Readonly<{ name: string; hostname: string; queue_name: string }>;

/**
 * One name × hostname × queue label set and the series made with it so far, kept so each event reuses the labels
 * objects (no allocation per event) and a purge knows which series to drop.
 */
interface LabelSet {
  readonly labels: TaskLabels;
  /** Every worker-side counter exists (celery-exporter instantiates them with inc(0)). */
  zeroed: boolean;
  sent: boolean;
  runtime: boolean;
  queueWait: boolean;
  /** task-failed's labels by exception. */
  readonly failed: Map<string, Readonly<Record<string, string>>>;
}

type AnyEvent = EventEnvelope & Record<string, unknown>;

/**
 * The metrics engine: celery-exporter's metric names, types, labels and buckets (docs/metrics.md) filled from
 * Celery's events and camq's queue figures, in a prom-client Registry. Pure apart from the registry: the caller
 * passes every event and listing in, and the time (`nowMs`), so it is driven the same by `camq exporter`, a test or a
 * library user. Label values are bounded (LabelGuard), tasks remembered are bounded (maxTasks).
 */
export class CeleryMetrics {
  readonly registry: Registry;
  private readonly counters: Record<CountedEvent, Counter>;
  private readonly workerUp: Gauge;
  private readonly workerActive: Gauge;
  private readonly runtime: Histogram;
  private readonly queueWait: Histogram;
  private readonly queueLength: Gauge;
  private readonly consumerCount: Gauge;
  private readonly brokerUp: Gauge;
  private readonly overflow: Counter;
  private readonly tasks = new Map<string, TaskMemo>();
  private readonly workers = new Map<string, WorkerSeen>();
  /** The task label sets seen, by `name\0hostname\0queue`. */
  private readonly labelSets = new Map<string, LabelSet>();
  private readonly names: LabelGuard;
  private readonly hostnames: LabelGuard;
  private readonly queues: LabelGuard;
  private readonly exceptions: LabelGuard;
  private readonly workerTimeoutMs: number;
  private readonly purgeMs: number;
  private readonly defaultQueue: string;
  private readonly maxTasks: number;
  private readonly genericSent: boolean;
  private readonly genericWorker: boolean;
  private listedQueues = new Set<string>();

  constructor(options: CeleryMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    this.workerTimeoutMs = (options.workerTimeoutSeconds ?? DEFAULT_WORKER_TIMEOUT_SECONDS) * 1000;
    this.purgeMs = (options.purgeOfflineSeconds ?? DEFAULT_PURGE_OFFLINE_SECONDS) * 1000;
    this.defaultQueue = options.defaultQueue ?? DEFAULT_QUEUE;
    this.maxTasks = options.maxTasks ?? 10_000;
    this.genericSent = options.genericHostnameTaskSent ?? false;
    this.genericWorker = options.genericHostnameWorkerTask ?? false;
    this.names = new LabelGuard(options.maxTaskNames ?? DEFAULT_LABEL_LIMITS.taskNames);
    this.hostnames = new LabelGuard(options.maxHostnames ?? DEFAULT_LABEL_LIMITS.hostnames);
    this.queues = new LabelGuard(options.maxQueues ?? DEFAULT_LABEL_LIMITS.queues);
    this.exceptions = new LabelGuard(options.maxExceptions ?? DEFAULT_LABEL_LIMITS.exceptions);
    const registers = [this.registry];
    const taskLabels = ['name', 'hostname', 'queue_name'];
    const counter = (type: CountedEvent, help: string) =>
      new Counter({
        name: `celery_${type.replace('-', '_')}_total`,
        help,
        labelNames: type === 'task-failed' ? ['name', 'hostname', 'exception', 'queue_name'] : taskLabels,
        registers,
      });
    this.counters = {
      'task-sent': counter('task-sent', 'Sent when a task message is published.'),
      'task-received': counter('task-received', 'Sent when the worker receives a task.'),
      'task-started': counter('task-started', 'Sent just before the worker executes the task.'),
      'task-succeeded': counter('task-succeeded', 'Sent if the task executed successfully.'),
      'task-failed': counter('task-failed', 'Sent if the execution of the task failed.'),
      'task-rejected': counter('task-rejected', 'The task was rejected by the worker, possibly to be re-queued or moved to a dead letter queue.'),
      'task-revoked': counter('task-revoked', 'Sent if the task has been revoked.'),
      'task-retried': counter('task-retried', 'Sent if the task failed, but will be retried in the future.'),
    };
    this.workerUp = new Gauge({
      name: 'celery_worker_up',
      help: 'Indicates if a worker has recently sent a heartbeat.',
      labelNames: ['hostname'],
      registers,
    });
    this.workerActive = new Gauge({
      name: 'celery_worker_tasks_active',
      help: 'The number of tasks the worker is currently processing',
      labelNames: ['hostname'],
      registers,
    });
    this.runtime = new Histogram({
      name: 'celery_task_runtime',
      help: 'Histogram of task runtime measurements.',
      labelNames: taskLabels,
      buckets: [...RUNTIME_BUCKETS],
      registers,
    });
    this.queueWait = new Histogram({
      name: 'celery_task_queue_wait_time',
      help: 'Histogram of the time tasks spend waiting in the queue before being executed, excluding deliberate ETA/countdown delay.',
      labelNames: taskLabels,
      buckets: [...QUEUE_WAIT_BUCKETS],
      registers,
    });
    this.queueLength = new Gauge({
      name: 'celery_queue_length',
      help: 'The number of message in broker queue.',
      labelNames: ['queue_name'],
      registers,
    });
    this.consumerCount = new Gauge({
      name: 'celery_active_consumer_count',
      help: 'The number of active consumer in broker queue.',
      labelNames: ['queue_name'],
      registers,
    });
    this.brokerUp = new Gauge({
      name: 'camq_broker_up',
      help: "1 while camq's connection to the broker is up, 0 while it is not (the figures are then the last ones read).",
      registers,
    });
    this.overflow = new Counter({
      name: 'camq_metrics_label_overflow_total',
      help: 'Label values folded into __overflow__ because the label had reached its bound of distinct values.',
      labelNames: ['label'],
      registers,
    });
  }

  setBrokerUp(up: boolean): void {
    this.brokerUp.set(up ? 1 : 0);
  }

  /** Apply one event, received at `nowMs` (epoch ms). Events of other types are ignored. */
  apply(event: EventEnvelope, nowMs: number): void {
    const e = event as AnyEvent;
    const type = e.type;
    if (type === 'worker-heartbeat' || type === 'worker-online') this.workerSeen(e, nowMs);
    else if (type === 'worker-offline') {
      const host = this.hostOf(e);
      if (host !== undefined) this.forgetWorker(host, nowMs);
    } else if (COUNTED.has(type)) this.taskEvent(e, type as CountedEvent);
  }

  applyAll(events: readonly EventEnvelope[], nowMs: number): void {
    for (const event of events) this.apply(event, nowMs);
  }

  /**
   * Queue figures: `celery_queue_length` is the ready count (celery-exporter's passive declare `message_count`), and
   * `celery_active_consumer_count` the consumer count, for every queue of the listing but camq's and Celery's
   * housekeeping ones (event, reply and pidbox queues). A queue gone from the listing loses its series.
   */
  applyQueues(listing: QueueListing): void {
    const now = new Set<string>();
    for (const queue of listing.queues) {
      if (isHousekeepingQueue(queue.name)) continue;
      const name = this.admit(this.queues, 'queue_name', queue.name);
      now.add(name);
      this.queueLength.set({ queue_name: name }, queue.ready);
      this.consumerCount.set({ queue_name: name }, queue.consumers);
    }
    for (const gone of this.listedQueues) {
      if (now.has(gone)) continue;
      this.queueLength.remove({ queue_name: gone });
      this.consumerCount.remove({ queue_name: gone });
    }
    this.listedQueues = now;
  }

  /**
   * celery-exporter's track_timed_out_workers, run before each scrape: a worker silent for the worker timeout gets
   * `worker_up 0` and `tasks_active 0`; one gone for the purge time loses every series carrying its hostname.
   */
  sweep(nowMs: number): void {
    for (const [host, seen] of this.workers) {
      const since = nowMs - seen.lastSeenMs;
      if (!seen.forgotten && this.workerTimeoutMs > 0 && since > this.workerTimeoutMs) this.markDown(host, seen);
      if (seen.forgotten && this.purgeMs > 0 && since > this.purgeMs) this.purge(host);
    }
  }

  /** The queue names seen so far (events, listings): what to declare passively when there is no management API. */
  queueNames(): string[] {
    return [...this.queues.values()];
  }

  /** Hostname labels of the workers tracked now, and whether each is up. */
  workerStates(): Map<string, boolean> {
    return new Map([...this.workers].map(([host, seen]) => [host, !seen.forgotten]));
  }

  private hostOf(e: AnyEvent): string | undefined {
    return typeof e.hostname === 'string' ? this.admit(this.hostnames, 'hostname', hostnameLabel(e.hostname)) : undefined;
  }

  private admit(guard: LabelGuard, label: string, value: string): string {
    const before = guard.overflowed;
    const admitted = guard.admit(value);
    if (guard.overflowed !== before) this.overflow.inc({ label });
    return admitted;
  }

  private workerSeen(e: AnyEvent, nowMs: number): void {
    const host = this.hostOf(e);
    if (host === undefined) return;
    const seen = this.workers.get(host);
    if (seen) {
      seen.lastSeenMs = nowMs;
      seen.forgotten = false;
    } else this.workers.set(host, { lastSeenMs: nowMs, forgotten: false });
    this.workerUp.set({ hostname: host }, 1);
    if (e.type === 'worker-heartbeat') this.workerActive.set({ hostname: host }, typeof e['active'] === 'number' ? e['active'] : 0);
  }

  /** worker-offline: up and active to 0 at once; the series stay until the purge time. */
  private forgetWorker(host: string, nowMs: number): void {
    const seen = this.workers.get(host) ?? { lastSeenMs: nowMs, forgotten: false };
    seen.lastSeenMs = nowMs;
    this.workers.set(host, seen);
    this.markDown(host, seen);
  }

  private markDown(host: string, seen: WorkerSeen): void {
    this.workerUp.set({ hostname: host }, 0);
    this.workerActive.set({ hostname: host }, 0);
    seen.forgotten = true;
  }

  /** Every series carrying the worker's hostname goes; a worker back later starts from nothing, as a new one. */
  private purge(host: string): void {
    for (const [key, set] of this.labelSets) {
      if (set.labels.hostname !== host) continue;
      if (set.zeroed) for (const type of WORKER_SIDE_EVENTS) if (type !== 'task-failed') this.counters[type].remove(set.labels);
      if (set.sent) this.counters['task-sent'].remove(set.labels);
      for (const failed of set.failed.values()) this.counters['task-failed'].remove(failed);
      if (set.runtime) this.runtime.remove(set.labels);
      if (set.queueWait) this.queueWait.remove(set.labels);
      this.labelSets.delete(key);
    }
    this.workerUp.remove({ hostname: host });
    this.workerActive.remove({ hostname: host });
    this.workers.delete(host);
    this.hostnames.forget(host);
  }

  private taskEvent(e: AnyEvent, type: CountedEvent): void {
    const uuid = typeof e['uuid'] === 'string' ? e['uuid'] : undefined;
    const memo = uuid === undefined ? undefined : this.remember(uuid, e, type);
    const generic = type === 'task-sent' ? this.genericSent : this.genericWorker;
    const host = generic ? GENERIC_HOSTNAME : (this.hostOf(e) ?? UNKNOWN_NAME);
    const name = this.admit(this.names, 'name', memo?.name ?? UNKNOWN_NAME);
    const queue = memo?.queue === undefined ? this.defaultQueue : this.admit(this.queues, 'queue_name', memo.queue);
    const set = this.labelSet(name, host, queue);
    const labels = set.labels;
    if (type === 'task-failed') this.counters['task-failed'].inc(this.failedLabels(set, exceptionLabel(e['exception'])));
    else this.counters[type].inc(labels);
    if (type === 'task-sent') set.sent = true;
    else if (!set.zeroed) {
      // celery-exporter makes every worker-side counter of this label set visible at 0 (not task-sent: producers'
      // hostnames would multiply the series).
      set.zeroed = true;
      for (const other of WORKER_SIDE_EVENTS) this.counters[other].inc(other === 'task-failed' ? this.failedLabels(set, '') : labels, 0);
    }
    if (type === 'task-succeeded' && typeof e['runtime'] === 'number') {
      this.runtime.observe(labels, e['runtime']);
      set.runtime = true;
    }
    if (type === 'task-started' && memo?.sent !== undefined) {
      const eta = typeof memo.eta === 'string' ? Date.parse(memo.eta) / 1000 : NaN;
      const baseline = Number.isFinite(eta) ? Math.max(memo.sent, eta) : memo.sent;
      this.queueWait.observe(labels, Math.max(0, e.timestamp - baseline));
      set.queueWait = true;
    }
  }

  private labelSet(name: string, hostname: string, queue: string): LabelSet {
    const key = `${name}\u0000${hostname}\u0000${queue}`;
    let set = this.labelSets.get(key);
    if (set === undefined) {
      set = { labels: { name, hostname, queue_name: queue }, zeroed: false, sent: false, runtime: false, queueWait: false, failed: new Map() };
      this.labelSets.set(key, set);
    }
    return set;
  }

  /** task-failed's labels for this set and an exception class (bounded by the exceptions' guard). */
  private failedLabels(set: LabelSet, exception: string): Readonly<Record<string, string>> {
    const admitted = exception === '' ? '' : this.admit(this.exceptions, 'exception', exception);
    let labels = set.failed.get(admitted);
    if (labels === undefined) set.failed.set(admitted, (labels = { ...set.labels, exception: admitted }));
    return labels;
  }

  /** What Celery's State keeps of a task that later events need: its name, queue, sent time and eta. */
  private remember(uuid: string, e: AnyEvent, type: CountedEvent): TaskMemo {
    let memo = this.tasks.get(uuid);
    if (memo === undefined) {
      memo = { name: undefined, queue: undefined, sent: undefined, eta: undefined };
      this.tasks.set(uuid, memo);
      if (this.tasks.size > this.maxTasks) this.tasks.delete(this.tasks.keys().next().value!);
    }
    if (typeof e['name'] === 'string') memo.name = e['name'];
    if (typeof e['queue'] === 'string') memo.queue = e['queue'];
    if (typeof e['eta'] === 'string' || e['eta'] === null) memo.eta = e['eta'];
    if (type === 'task-sent') memo.sent = e.timestamp;
    if (type === 'task-succeeded' || type === 'task-failed' || type === 'task-revoked' || type === 'task-rejected') this.tasks.delete(uuid);
    return memo;
  }
}
