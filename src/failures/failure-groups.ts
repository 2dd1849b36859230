/**
 * The failures screen's model (docs/live-view.md, Failures): failed tasks grouped by exception type and task name,
 * with counts, first and last seen, the workers they failed on and one example traceback. Pure: it reads the
 * cluster state's tasks (the journal's history plus what the view saw live).
 */
import type { TaskRecord } from '../events/cluster-state.js';

export interface FailureGroup {
  /** `ValueError|tasks.add`: the group's key. */
  readonly key: string;
  /** The exception's type: `ValueError` of `ValueError('boom')`, `TimeLimitExceeded` of `TimeLimitExceeded(5.0,)`. */
  readonly exceptionType: string;
  readonly name: string;
  readonly count: number;
  /** Float Unix seconds (the failure times). */
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** The workers they failed on, sorted. */
  readonly workers: readonly string[];
  /** The newest failure's exception text and traceback. */
  readonly example: { readonly uuid: string; readonly exception: string; readonly traceback: string | undefined };
  /** The group's tasks, newest failure first. */
  readonly tasks: readonly TaskRecord[];
}

/** The type name of an exception repr: `ValueError('x')` → ValueError, `exceptions.Foo: bar` → exceptions.Foo. */
export function exceptionTypeOf(exception: string | undefined): string {
  if (exception === undefined || exception.trim() === '') return '(unknown)';
  const match = /^\s*([A-Za-z_][\w.]*)/.exec(exception);
  return match ? match[1]! : '(unknown)';
}

/** When a task failed (float seconds): its task-failed timestamp, else its last update. */
export function failedAt(task: TaskRecord): number {
  return task.failed ?? task.timestamp ?? task.updatedAt / 1000;
}

/** Group the failed tasks (state FAILURE), the largest and then the most recent group first. */
export function groupFailures(tasks: Iterable<TaskRecord>): FailureGroup[] {
  const groups = new Map<string, { exceptionType: string; name: string; tasks: TaskRecord[] }>();
  for (const task of tasks) {
    if (task.state !== 'FAILURE') continue;
    const exceptionType = exceptionTypeOf(task.exception);
    const name = task.name ?? '(unknown task)';
    const key = `${exceptionType}|${name}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { exceptionType, name, tasks: [] }));
    group.tasks.push(task);
  }
  const out: FailureGroup[] = [];
  for (const [key, g] of groups) {
    const sorted = g.tasks.sort((a, b) => failedAt(b) - failedAt(a));
    const newest = sorted[0]!;
    const workers = [...new Set(sorted.map((t) => t.worker).filter((w): w is string => w !== undefined))].sort();
    const times = sorted.map(failedAt);
    out.push({
      key,
      exceptionType: g.exceptionType,
      name: g.name,
      count: sorted.length,
      firstSeen: Math.min(...times),
      lastSeen: Math.max(...times),
      workers,
      example: { uuid: newest.uuid, exception: newest.exception ?? '', traceback: sorted.find((t) => t.traceback)?.traceback },
      tasks: sorted,
    });
  }
  return out.sort((a, b) => b.count - a.count || b.lastSeen - a.lastSeen || a.key.localeCompare(b.key));
}
