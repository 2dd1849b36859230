import type { EventEnvelope } from '../protocol/event-message.js';
import { asReprString } from '../protocol/python-repr.js';
import { RateSeries } from './rate-series.js';
import { statePrecedence, SUBJECT_TO_STATE, type TaskState } from './task-states.js';
import { plainText } from '../protocol/plain-text.js';

/**
 * The cluster as events describe it: workers by heartbeat, tasks in a bounded LRU, counters and rates. This is the
 * reducer of the events engine: `apply(event, now)` is a deterministic function of the state, the event and the
 * time passed in. It does no I/O and reads no clock, so it is tested without a broker or a terminal. It mutates in
 * place (a copy per event would cost more than everything else together); `version` goes up on every change.
 *
 * The rules are Celery's `events.State` (docs/protocol.md, Liveness and state), with one deliberate difference:
 * liveness is judged only by receiver-local receipt times, task events included, so a worker whose clock drifts is
 * neither killed nor kept alive by its own timestamps.
 */

/** Celery's HEARTBEAT_EXPIRE_WINDOW of 200 %: a worker is alive for 2 × freq after its last event. */
export const HEARTBEAT_EXPIRE_FACTOR = 2;
/** The `freq` assumed until a worker event states one (Celery's Worker default): a 120 s window. */
export const DEFAULT_HEARTBEAT_FREQ = 60;
/** Celery warns about clock drift beyond this many seconds (HEARTBEAT_DRIFT_MAX). */
export const HEARTBEAT_DRIFT_MAX = 16;
export const DEFAULT_MAX_TASKS = 10_000;
export const DEFAULT_MAX_WORKERS = 5_000;

/** How many task events of each kind were seen. */
export interface TaskCounts {
  sent: number;
  received: number;
  started: number;
  succeeded: number;
  failed: number;
  retried: number;
  revoked: number;
  rejected: number;
}

/** Every counter at 0. */
export function zeroCounts(): TaskCounts {
  return { sent: 0, received: 0, started: 0, succeeded: 0, failed: 0, retried: 0, revoked: 0, rejected: 0 };
}

type AnyEvent = Record<string, unknown>;

/** One task as its events describe it. Timestamps are the sender's, in float Unix seconds. */
export class TaskRecord {
  name: string | undefined = undefined;
  state: TaskState = 'PENDING';
  /** Python repr strings, as the worker sent them (non-string values from other senders are repr'd). */
  args: string | undefined = undefined;
  kwargs: string | undefined = undefined;
  result: string | undefined = undefined;
  exception: string | undefined = undefined;
  traceback: string | undefined = undefined;
  /** Seconds, from task-succeeded. */
  runtime: number | undefined = undefined;
  /** Hostname of the worker that sent the latest worker-side event. */
  worker: string | undefined = undefined;
  /** Hostname of the client that sent task-sent. */
  client: string | undefined = undefined;
  retries: number | undefined = undefined;
  eta: string | null | undefined = undefined;
  expires: string | null | undefined = undefined;
  rootId: string | null | undefined = undefined;
  parentId: string | null | undefined = undefined;
  routingKey: string | undefined = undefined;
  terminated: boolean | undefined = undefined;
  expired: boolean | undefined = undefined;
  signum: number | string | null | undefined = undefined;
  requeue: boolean | undefined = undefined;
  sent: number | undefined = undefined;
  received: number | undefined = undefined;
  started: number | undefined = undefined;
  succeeded: number | undefined = undefined;
  failed: number | undefined = undefined;
  retried: number | undefined = undefined;
  revoked: number | undefined = undefined;
  rejected: number | undefined = undefined;
  /** The timestamp of the event that set the current state. */
  timestamp: number | undefined = undefined;
  clock = 0;
  /** Local receipt time of the latest event, epoch ms. */
  updatedAt = 0;
  /** Local receipt time of the earliest event, epoch ms (with updatedAt: when the task was seen, for time ranges). */
  firstSeenAt = 0;

  constructor(
    readonly uuid: string,
    /** Creation order: a larger seq is a task first seen later (the task table is newest first by this). */
    readonly seq: number,
  ) {}
}

/** One worker as its events describe it. */
export class WorkerRecord {
  pid: number | undefined = undefined;
  /** Heartbeat interval in seconds, from the latest worker event. */
  freq = DEFAULT_HEARTBEAT_FREQ;
  active: number | undefined = undefined;
  processed: number | undefined = undefined;
  loadavg: readonly number[] | undefined = undefined;
  swIdent: string | undefined = undefined;
  swVer: string | undefined = undefined;
  swSys: string | undefined = undefined;
  clock = 0;
  /** Local receipt time (float Unix seconds) of the latest event that counts as a heartbeat; 0 when none. */
  lastHeartbeat = 0;
  /** Local receipt time (float Unix seconds) of the latest event from it of any kind, worker-offline included. */
  lastSeen = 0;
  /** Local receipt minus sender timestamp of the latest worker event, in seconds. */
  drift = 0;
  /** True after worker-offline, until the next heartbeat. */
  hasShutdown = false;
  readonly counts: TaskCounts = zeroCounts();
  /** Tasks finished (succeeded or failed) per second. */
  readonly done = new RateSeries();

  constructor(
    readonly hostname: string,
    /** Local time it was first seen, epoch ms. */
    readonly firstSeen: number,
  ) {}
}

/** Counters and the completion rate of one task name. */
export class TaskTypeStats {
  readonly counts: TaskCounts = zeroCounts();
  /** Tasks finished (succeeded or failed) per second. */
  readonly done = new RateSeries();
  /** Sum of reported runtimes, seconds, for the mean. */
  runtimeTotal = 0;
  runtimeCount = 0;

  constructor(readonly name: string) {}
}

/** Whether a worker is online at `nowMs`: Celery's rule on local receipt times (docs/protocol.md, Liveness and state). */
export function isWorkerAlive(worker: WorkerRecord, nowMs: number): boolean {
  return worker.lastHeartbeat > 0 && nowMs / 1000 < worker.lastHeartbeat + worker.freq * HEARTBEAT_EXPIRE_FACTOR;
}

export interface ClusterStateOptions {
  /** Tasks kept; the least recently updated is dropped first. @defaultValue 10000 */
  readonly maxTasks?: number;
  /** @defaultValue 5000 */
  readonly maxWorkers?: number;
}

const COUNTED: Readonly<Record<string, keyof TaskCounts>> = {
  sent: 'sent',
  received: 'received',
  started: 'started',
  succeeded: 'succeeded',
  failed: 'failed',
  retried: 'retried',
  revoked: 'revoked',
  rejected: 'rejected',
};

export class ClusterState {
  readonly maxTasks: number;
  readonly maxWorkers: number;
  /** Goes up by one for every applied event. */
  version = 0;
  /** Goes up by one for every applied task event: what the task list depends on (heartbeats leave it alone). */
  taskVersion = 0;
  eventCount = 0;
  /** task-received events seen (Celery's `task_count`). */
  taskCount = 0;
  /** Tasks dropped by the LRU bound. */
  evictedTasks = 0;
  /** Every event, per second (the header's event rate). */
  readonly eventRate = new RateSeries();
  /** Tasks finished (succeeded or failed) per second, all names. */
  readonly done = new RateSeries();
  private readonly taskMap = new Map<string, TaskRecord>();
  private readonly workerMap = new Map<string, WorkerRecord>();
  private readonly typeMap = new Map<string, TaskTypeStats>();
  private nextSeq = 1;

  constructor(options: ClusterStateOptions = {}) {
    this.maxTasks = Math.max(1, options.maxTasks ?? DEFAULT_MAX_TASKS);
    this.maxWorkers = Math.max(1, options.maxWorkers ?? DEFAULT_MAX_WORKERS);
  }

  /** Tasks, least recently updated first. */
  get tasks(): ReadonlyMap<string, TaskRecord> {
    return this.taskMap;
  }

  get workers(): ReadonlyMap<string, WorkerRecord> {
    return this.workerMap;
  }

  get taskTypes(): ReadonlyMap<string, TaskTypeStats> {
    return this.typeMap;
  }

  /**
   * Apply one event. `now` is the local time in epoch ms, used for rates and as the receipt time when the event
   * carries no `local_received`. Malformed events (no string `type`, a task event without `uuid`, a worker event
   * without `hostname`) are counted and otherwise ignored: nothing an event holds can throw here.
   */
  apply(event: EventEnvelope, now: number): void {
    const e = event as unknown as AnyEvent;
    const type = e['type'];
    if (typeof type !== 'string') return;
    this.version++;
    this.eventCount++;
    this.eventRate.add(now);
    const dash = type.indexOf('-');
    if (dash < 0) return;
    const group = type.slice(0, dash);
    const subject = type.slice(dash + 1);
    const received = typeof e['local_received'] === 'number' ? e['local_received'] : now / 1000;
    if (group === 'task') {
      this.taskVersion++;
      this.applyTask(e, subject, received, now);
    } else if (group === 'worker') this.applyWorker(e, subject, received, now);
  }

  applyAll(events: readonly EventEnvelope[], now: number): void {
    for (let i = 0; i < events.length; i++) this.apply(events[i]!, now);
  }

  private applyWorker(e: AnyEvent, subject: string, received: number, now: number): void {
    const hostname = e['hostname'];
    if (typeof hostname !== 'string') return;
    const isOffline = subject === 'offline';
    let worker = this.workerMap.get(hostname);
    if (worker === undefined) {
      // Celery does not create a worker for an offline event it never saw online.
      if (isOffline) return;
      worker = this.addWorker(hostname, now);
    }
    const freq = e['freq'];
    if (typeof freq === 'number' && freq > 0) worker.freq = freq;
    const pid = e['pid'];
    if (typeof pid === 'number') worker.pid = pid;
    const active = e['active'];
    if (typeof active === 'number') worker.active = active;
    const processed = e['processed'];
    if (typeof processed === 'number') worker.processed = processed;
    const loadavg = e['loadavg'];
    if (Array.isArray(loadavg)) worker.loadavg = loadavg as number[];
    const swIdent = e['sw_ident'];
    if (typeof swIdent === 'string') worker.swIdent = swIdent;
    const swVer = e['sw_ver'];
    if (typeof swVer === 'string') worker.swVer = swVer;
    const swSys = e['sw_sys'];
    if (typeof swSys === 'string') worker.swSys = swSys;
    const clock = e['clock'];
    if (typeof clock === 'number') worker.clock = clock;
    if (received > worker.lastSeen) worker.lastSeen = received;
    if (isOffline) {
      worker.lastHeartbeat = 0;
      worker.hasShutdown = true;
      return;
    }
    const timestamp = e['timestamp'];
    if (typeof timestamp === 'number') worker.drift = received - timestamp;
    this.heartbeat(worker, received);
  }

  private heartbeat(worker: WorkerRecord, received: number): void {
    if (received > worker.lastHeartbeat) worker.lastHeartbeat = received;
    if (received > worker.lastSeen) worker.lastSeen = received;
    worker.hasShutdown = false;
  }

  private addWorker(hostname: string, now: number): WorkerRecord {
    const worker = new WorkerRecord(hostname, now);
    this.workerMap.set(hostname, worker);
    if (this.workerMap.size > this.maxWorkers) {
      const oldest = this.workerMap.keys().next().value;
      if (oldest !== undefined) this.workerMap.delete(oldest);
    }
    return worker;
  }

  private applyTask(e: AnyEvent, subject: string, received: number, now: number): void {
    const uuid = e['uuid'];
    if (typeof uuid !== 'string' || uuid === '') return;
    const map = this.taskMap;
    let task = map.get(uuid);
    if (task === undefined) {
      task = new TaskRecord(uuid, this.nextSeq++);
      task.firstSeenAt = now;
      map.set(uuid, task);
      if (map.size > this.maxTasks) {
        const oldest = map.keys().next().value;
        if (oldest !== undefined) {
          map.delete(oldest);
          this.evictedTasks++;
        }
      }
    } else {
      // Move to the most recently used end.
      map.delete(uuid);
      map.set(uuid, task);
    }
    task.updatedAt = now;
    if (now < task.firstSeenAt) task.firstSeenAt = now;

    const hostname = typeof e['hostname'] === 'string' ? e['hostname'] : undefined;
    let worker: WorkerRecord | undefined;
    if (subject === 'sent') {
      task.client = hostname;
    } else if (hostname !== undefined) {
      task.worker = hostname;
      worker = this.workerMap.get(hostname) ?? this.addWorker(hostname, now);
      // Task events count as heartbeats (docs/protocol.md, Liveness and state), except from a worker that said
      // worker-offline: a Python worker's warm shutdown sends it first and then the events of the tasks it finishes,
      // which would show a stopping worker online again (Celery's State does). Its next heartbeat or worker-online
      // does.
      if (worker.hasShutdown) {
        if (received > worker.lastSeen) worker.lastSeen = received;
      } else {
        this.heartbeat(worker, received);
      }
    }

    const timestamp = typeof e['timestamp'] === 'number' ? e['timestamp'] : undefined;
    const known = SUBJECT_TO_STATE[subject];
    const state: TaskState = known ?? subject.toUpperCase();
    if (known !== undefined) setSubjectTime(task, subject, timestamp);

    const current = task.state;
    if (state !== 'RETRY' && current !== 'RETRY' && statePrecedence(state) > statePrecedence(current)) {
      // This event logically happened before the current state: a late arrival. Keep the current state; a late
      // task-received still contributes its descriptive fields (Celery's merge rule), anything else its fields.
      if (state === 'RECEIVED') mergeReceivedFields(task, e);
      else applyTaskFields(task, e);
    } else {
      applyTaskFields(task, e);
      task.state = state;
      task.timestamp = timestamp;
    }

    if (subject === 'received') this.taskCount++;
    const counter = COUNTED[subject];
    if (counter === undefined) return;
    const name = task.name;
    const stats = name === undefined ? undefined : (this.typeMap.get(name) ?? this.addType(name));
    if (stats) stats.counts[counter]++;
    if (worker) worker.counts[counter]++;
    if (counter === 'succeeded' || counter === 'failed') {
      this.done.add(now);
      worker?.done.add(now);
      if (stats) {
        stats.done.add(now);
        const runtime = e['runtime'];
        if (typeof runtime === 'number') {
          stats.runtimeTotal += runtime;
          stats.runtimeCount++;
        }
      }
    }
  }

  private addType(name: string): TaskTypeStats {
    const stats = new TaskTypeStats(name);
    this.typeMap.set(name, stats);
    return stats;
  }
}

/** `clusterReducer(state, event, now)`: apply one event and return the same (mutated) state. */
export function clusterReducer(state: ClusterState, event: EventEnvelope, now: number): ClusterState {
  state.apply(event, now);
  return state;
}

function setSubjectTime(task: TaskRecord, subject: string, timestamp: number | undefined): void {
  switch (subject) {
    case 'sent':
      task.sent = timestamp;
      break;
    case 'received':
      task.received = timestamp;
      break;
    case 'started':
      task.started = timestamp;
      break;
    case 'succeeded':
      task.succeeded = timestamp;
      break;
    case 'failed':
      task.failed = timestamp;
      break;
    case 'retried':
      task.retried = timestamp;
      break;
    case 'revoked':
      task.revoked = timestamp;
      break;
    case 'rejected':
      task.rejected = timestamp;
      break;
  }
}

/** A repr field: strings as sent, other JSON values repr'd, null/absent as unknown. */
function reprField(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : asReprString(value);
}

/** The fields Celery's merge rule takes from a late task-received. */
function mergeReceivedFields(task: TaskRecord, e: AnyEvent): void {
  const name = e['name'];
  if (typeof name === 'string') task.name = name;
  if (e['args'] !== undefined) task.args = reprField(e['args']);
  if (e['kwargs'] !== undefined) task.kwargs = reprField(e['kwargs']);
  const retries = e['retries'];
  if (typeof retries === 'number') task.retries = retries;
  if (e['eta'] !== undefined) task.eta = stringOrNull(e['eta']);
  if (e['expires'] !== undefined) task.expires = stringOrNull(e['expires']);
  if (e['root_id'] !== undefined) task.rootId = stringOrNull(e['root_id']);
  if (e['parent_id'] !== undefined) task.parentId = stringOrNull(e['parent_id']);
}

function applyTaskFields(task: TaskRecord, e: AnyEvent): void {
  mergeReceivedFields(task, e);
  if (e['result'] !== undefined) task.result = asReprString(e['result']);
  if (e['exception'] !== undefined) task.exception = reprField(e['exception']);
  const traceback = e['traceback'];
  if (typeof traceback === 'string') task.traceback = traceback;
  const runtime = e['runtime'];
  if (typeof runtime === 'number') task.runtime = runtime;
  const routingKey = e['routing_key'];
  if (typeof routingKey === 'string') task.routingKey = routingKey;
  const terminated = e['terminated'];
  if (typeof terminated === 'boolean') task.terminated = terminated;
  const expired = e['expired'];
  if (typeof expired === 'boolean') task.expired = expired;
  const signum = e['signum'];
  if (signum !== undefined && (signum === null || typeof signum === 'number' || typeof signum === 'string')) task.signum = signum;
  const requeue = e['requeue'];
  if (typeof requeue === 'boolean') task.requeue = requeue;
  const clock = e['clock'];
  if (typeof clock === 'number') task.clock = clock;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : value === null ? null : plainText(value);
}
