import { isWorkerAlive, HEARTBEAT_DRIFT_MAX, zeroCounts, type ClusterState, type TaskCounts, type TaskRecord } from './cluster-state.js';
import { globToRegExp } from '../protocol/control-message.js';

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

/** A window of receipt times, epoch ms (`since` inclusive, `until` exclusive). */
export interface ReceiptWindow {
  readonly since: number;
  readonly until: number;
}

/** Whether a task was seen within the window: its first event came before the window ends, its latest in or after it. */
export function isTaskInWindow(task: TaskRecord, window: ReceiptWindow): boolean {
  return task.firstSeenAt < window.until && task.updatedAt >= window.since;
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

/**
 * The rates panel for a time range: per task name, the tasks of `tasks` that finished (succeeded or failed, by the
 * receipt of their last event) within the window, as `buckets` counts across it, their average per second over the
 * window, their counts and mean runtime; busiest first.
 */
export function selectWindowRateRows(tasks: Iterable<TaskRecord>, window: ReceiptWindow, buckets = 60): RateRow[] {
  const length = Math.max(1, window.until - window.since);
  const byName = new Map<string, { series: number[]; counts: TaskCounts; runtime: number; runtimes: number }>();
  for (const task of tasks) {
    const isDone = task.state === 'SUCCESS' || task.state === 'FAILURE';
    if (!isDone || task.name === undefined || task.updatedAt < window.since || task.updatedAt >= window.until) continue;
    let row = byName.get(task.name);
    if (row === undefined) {
      row = { series: new Array<number>(buckets).fill(0), counts: zeroCounts(), runtime: 0, runtimes: 0 };
      byName.set(task.name, row);
    }
    row.series[Math.min(buckets - 1, Math.floor(((task.updatedAt - window.since) / length) * buckets))]!++;
    if (task.state === 'SUCCESS') row.counts.succeeded++;
    else row.counts.failed++;
    if (task.state === 'SUCCESS' && task.runtime !== undefined) {
      row.runtime += task.runtime;
      row.runtimes++;
    }
  }
  const rows: RateRow[] = [];
  for (const [name, row] of byName) {
    rows.push({
      name,
      perSecond: totalOf(row.counts) / (length / 1000),
      series: row.series,
      counts: row.counts,
      meanRuntime: row.runtimes > 0 ? row.runtime / row.runtimes : undefined,
    });
  }
  return rows.sort((a, b) => totalOf(b.counts) - totalOf(a.counts) || (a.name < b.name ? -1 : 1));
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

/** How the workers pane orders its rows. `state` puts offline workers first; `seen` the longest silent first. */
export type WorkerSort = 'name' | 'state' | 'seen' | 'active' | 'load';
export const WORKER_SORTS: readonly WorkerSort[] = ['name', 'state', 'seen', 'active', 'load'];
/** How the workers pane groups its rows: not at all, by the host after `@`, or by the name's prefix (`payments-*`). */
export type WorkerGrouping = 'none' | 'host' | 'prefix';
export const WORKER_GROUPINGS: readonly WorkerGrouping[] = ['none', 'host', 'prefix'];

export interface WorkerSummary {
  readonly total: number;
  readonly online: number;
  readonly offline: number;
  /** Online workers running at least one task (by their last heartbeat). */
  readonly busy: number;
  /** The online worker heard from longest ago, with how long (seconds). */
  readonly stalest: { readonly hostname: string; readonly seenAge: number } | undefined;
}

export function summarizeWorkers(rows: readonly WorkerRow[]): WorkerSummary {
  let online = 0;
  let busy = 0;
  let stalest: WorkerSummary['stalest'];
  for (const r of rows) {
    if (!r.isOnline) continue;
    online++;
    if ((r.active ?? 0) > 0) busy++;
    if (r.seenAge !== undefined && (stalest === undefined || r.seenAge > stalest.seenAge)) stalest = { hostname: r.hostname, seenAge: r.seenAge };
  }
  return { total: rows.length, online, offline: rows.length - online, busy, stalest };
}

const byName = (a: WorkerRow, b: WorkerRow) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0);
const WORKER_ORDER: Readonly<Record<WorkerSort, (a: WorkerRow, b: WorkerRow) => number>> = {
  name: byName,
  state: (a, b) => Number(a.isOnline) - Number(b.isOnline) || byName(a, b),
  seen: (a, b) => (b.seenAge ?? Infinity) - (a.seenAge ?? Infinity) || byName(a, b),
  active: (a, b) => (b.active ?? -1) - (a.active ?? -1) || byName(a, b),
  load: (a, b) => (b.loadavg?.[0] ?? -1) - (a.loadavg?.[0] ?? -1) || byName(a, b),
};

/** A copy of `rows` in `sort`'s order (ties by name). */
export function sortWorkerRows(rows: readonly WorkerRow[], sort: WorkerSort): WorkerRow[] {
  return [...rows].sort(WORKER_ORDER[sort]);
}

/**
 * Workers whose name matches `pattern`: a glob when it has `*`, `?` or `[` (`payments-*@h1`), else a
 * case-insensitive substring. An empty pattern keeps every row.
 */
export function filterWorkerRows(rows: readonly WorkerRow[], pattern: string | undefined): readonly WorkerRow[] {
  if (!pattern) return rows;
  if (/[*?[]/.test(pattern)) {
    const re = new RegExp(globToRegExp(pattern).source, 'is');
    return rows.filter((r) => re.test(r.hostname));
  }
  const lower = pattern.toLowerCase();
  return rows.filter((r) => r.hostname.toLowerCase().includes(lower));
}

/** The group a worker belongs to: its host (`h1` of `w1@h1`), or its name's prefix (`payments-*` of `payments-0001@h1`). */
export function workerGroupOf(hostname: string, grouping: Exclude<WorkerGrouping, 'none'>): string {
  const at = hostname.lastIndexOf('@');
  if (grouping === 'host') return at < 0 ? '(no host)' : hostname.slice(at + 1);
  const name = at < 0 ? hostname : hostname.slice(0, at);
  const sep = Math.max(name.lastIndexOf('-'), name.lastIndexOf('_'), name.lastIndexOf('.'));
  if (sep > 0) return `${name.slice(0, sep + 1)}*`;
  const stem = name.replace(/\d+$/, '');
  return stem !== name && stem !== '' ? `${stem}*` : name;
}

/** A row of the workers pane: a worker, or a group's heading with its counts. */
export type WorkerPaneRow =
  | { readonly kind: 'worker'; readonly key: string; readonly worker: WorkerRow }
  | {
      readonly kind: 'group';
      readonly key: string;
      readonly name: string;
      readonly summary: WorkerSummary;
      readonly isExpanded: boolean;
    };

export interface WorkerPaneOptions {
  readonly sort: WorkerSort;
  readonly filter?: string | undefined;
  readonly grouping: WorkerGrouping;
  /** Keys of the groups shown open (`group:payments-*`); the others show their heading only. */
  readonly expanded?: ReadonlySet<string> | readonly string[];
}

/** The key of a group's heading row. */
export function workerGroupKey(name: string): string {
  return `group:${name}`;
}

/**
 * The workers pane's rows: filtered by name, sorted, and grouped when asked (groups by name, each heading followed
 * by its workers in the chosen order when the group is open).
 */
export function selectWorkerPaneRows(rows: readonly WorkerRow[], options: WorkerPaneOptions): WorkerPaneRow[] {
  const sorted = sortWorkerRows(filterWorkerRows(rows, options.filter), options.sort);
  if (options.grouping === 'none') return sorted.map((worker) => ({ kind: 'worker', key: worker.hostname, worker }));
  const expanded = new Set(options.expanded ?? []);
  const groups = new Map<string, WorkerRow[]>();
  for (const w of sorted) {
    const name = workerGroupOf(w.hostname, options.grouping);
    const list = groups.get(name);
    if (list) list.push(w);
    else groups.set(name, [w]);
  }
  const out: WorkerPaneRow[] = [];
  for (const name of [...groups.keys()].sort()) {
    const members = groups.get(name)!;
    const key = workerGroupKey(name);
    const isExpanded = expanded.has(key);
    out.push({ kind: 'group', key, name, summary: summarizeWorkers(members), isExpanded });
    if (isExpanded) for (const worker of members) out.push({ kind: 'worker', key: worker.hostname, worker });
  }
  return out;
}
