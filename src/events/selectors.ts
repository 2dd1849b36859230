import { isWorkerAlive, HEARTBEAT_DRIFT_MAX, type ClusterState, type TaskCounts, type TaskRecord } from './cluster-state.js';

/**
 * Pure view models over the cluster state: what the TUI and `camq events` show, computed from the state and an
 * injected `now` (epoch ms). No formatting to a width here; the views do that.
 */

export interface WorkerRow {
  readonly hostname: string;
  readonly isOnline: boolean;
  /** Went offline by worker-offline (a clean shutdown) rather than by missing heartbeats. */
  readonly hasShutdown: boolean;
  /** Seconds since the last event from it (heartbeats, task events, worker-offline), or undefined when none. */
  readonly seenAge: number | undefined;
  readonly freq: number;
  readonly active: number | undefined;
  readonly processed: number | undefined;
  readonly loadavg: readonly number[] | undefined;
  /** `py-celery 5.2.6 (Linux)`, or '' when unknown. */
  readonly software: string;
  /** Seconds between the worker's clock and ours, when beyond Celery's drift warning threshold. */
  readonly drift: number | undefined;
  readonly counts: Readonly<TaskCounts>;
}

/** Workers by hostname. */
export function selectWorkerRows(state: ClusterState, nowMs: number): WorkerRow[] {
  const rows: WorkerRow[] = [];
  for (const w of state.workers.values()) {
    const software = [w.swIdent, w.swVer].filter(Boolean).join(' ') + (w.swSys ? ` (${w.swSys})` : '');
    rows.push({
      hostname: w.hostname,
      isOnline: isWorkerAlive(w, nowMs),
      hasShutdown: w.hasShutdown,
      seenAge: w.lastSeen > 0 ? Math.max(0, nowMs / 1000 - w.lastSeen) : undefined,
      freq: w.freq,
      active: w.active,
      processed: w.processed,
      loadavg: w.loadavg,
      software: software.trim(),
      drift: Math.abs(w.drift) > HEARTBEAT_DRIFT_MAX ? w.drift : undefined,
      counts: w.counts,
    });
  }
  return rows.sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
}

export interface TaskFilter {
  /** Only tasks in this state. */
  readonly state?: string | undefined;
  /** Only tasks of this name (exact). */
  readonly name?: string | undefined;
  /** Only tasks on this worker (exact hostname). */
  readonly worker?: string | undefined;
  /** Case-insensitive text in the name, uuid, worker, args, kwargs, result or exception. */
  readonly query?: string | undefined;
}

export function isFilterEmpty(filter: TaskFilter): boolean {
  return !filter.state && !filter.name && !filter.worker && !filter.query;
}

export function matchesTaskFilter(task: TaskRecord, filter: TaskFilter, lowerQuery = filter.query?.toLowerCase()): boolean {
  if (filter.state && task.state !== filter.state) return false;
  if (filter.name && task.name !== filter.name) return false;
  if (filter.worker && task.worker !== filter.worker) return false;
  if (lowerQuery) {
    const fields = [task.name, task.uuid, task.worker, task.args, task.kwargs, task.result, task.exception];
    if (!fields.some((f) => f !== undefined && f.toLowerCase().includes(lowerQuery))) return false;
  }
  return true;
}

/** Tasks matching the filter, newest first (by when each was first seen). */
export function selectTasks(state: ClusterState, filter: TaskFilter = {}): TaskRecord[] {
  const out: TaskRecord[] = [];
  const empty = isFilterEmpty(filter);
  const lowerQuery = filter.query?.toLowerCase();
  for (const task of state.tasks.values()) {
    if (empty || matchesTaskFilter(task, filter, lowerQuery)) out.push(task);
  }
  return out.sort((a, b) => b.seq - a.seq);
}

export interface RateRow {
  readonly name: string;
  /** Finished per second, averaged over the last `averageSeconds`. */
  readonly perSecond: number;
  /** Finished per second for each of the last `seconds` whole seconds, oldest first. */
  readonly series: readonly number[];
  readonly counts: Readonly<TaskCounts>;
  /** Mean runtime of succeeded tasks in seconds, when any reported one. */
  readonly meanRuntime: number | undefined;
}

/** Per task name: rate, recent series and counters; busiest first, then by name. */
export function selectRateRows(state: ClusterState, nowMs: number, seconds = 30, averageSeconds = 10): RateRow[] {
  const rows: RateRow[] = [];
  for (const stats of state.taskTypes.values()) {
    rows.push({
      name: stats.name,
      perSecond: stats.done.perSecond(nowMs, averageSeconds),
      series: stats.done.values(nowMs, seconds),
      counts: stats.counts,
      meanRuntime: stats.runtimeCount > 0 ? stats.runtimeTotal / stats.runtimeCount : undefined,
    });
  }
  return rows.sort((a, b) => b.perSecond - a.perSecond || totalOf(b.counts) - totalOf(a.counts) || (a.name < b.name ? -1 : 1));
}

function totalOf(c: TaskCounts): number {
  return c.succeeded + c.failed;
}

export interface ClusterSummary {
  readonly eventsPerSecond: number;
  readonly tasksPerSecond: number;
  readonly workersOnline: number;
  readonly workersTotal: number;
  readonly tasksKept: number;
  readonly eventCount: number;
}

export function selectSummary(state: ClusterState, nowMs: number): ClusterSummary {
  let online = 0;
  for (const w of state.workers.values()) if (isWorkerAlive(w, nowMs)) online++;
  return {
    eventsPerSecond: state.eventRate.perSecond(nowMs, 5),
    tasksPerSecond: state.done.perSecond(nowMs, 5),
    workersOnline: online,
    workersTotal: state.workers.size,
    tasksKept: state.tasks.size,
    eventCount: state.eventCount,
  };
}

export interface TaskTiming {
  readonly label: string;
  /** Float Unix seconds. */
  readonly at: number;
}

/** The task's lifecycle timestamps in order, for the details view. */
export function selectTaskTimeline(task: TaskRecord): TaskTiming[] {
  const points: [string, number | undefined][] = [
    ['sent', task.sent],
    ['received', task.received],
    ['started', task.started],
    ['retried', task.retried],
    ['succeeded', task.succeeded],
    ['failed', task.failed],
    ['revoked', task.revoked],
    ['rejected', task.rejected],
  ];
  return points
    .filter((p): p is [string, number] => p[1] !== undefined)
    .map(([label, at]) => ({ label, at }))
    .sort((a, b) => a.at - b.at);
}
