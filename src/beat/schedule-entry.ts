import { UsageError } from '../errors/index.js';
import type { TaskSendOptions } from '../protocol/index.js';
import { CronFieldError } from './crontab-field.js';
import { Crontab, CrontabError, type CrontabSpec } from './crontab.js';
import { IntervalSchedule, type EverySpec } from './interval.js';
import type { Schedule } from './schedule.js';

/** What a periodic send may set, as Celery's beat_schedule `options` (passed to apply_async). */
export type PeriodicOptions = Pick<
  TaskSendOptions,
  | 'queue'
  | 'exchange'
  | 'routingKey'
  | 'priority'
  | 'expires'
  | 'countdown'
  | 'timeLimit'
  | 'softTimeLimit'
  | 'ignoreResult'
  | 'headers'
  | 'serializer'
  | 'compression'
>;

/**
 * One entry of `app.schedule(name, spec)`, Celery's beat_schedule item: the task by name, when (`every` or
 * `crontab`, exactly one), and what it is sent with.
 */
export interface PeriodicSpec {
  readonly task: string;
  /** An interval: seconds, or text with a unit (`'30s'`, `'5m'`, `'2h'`). */
  readonly every?: EverySpec;
  /** Celery's crontab fields; a field left out is `'*'`. */
  readonly crontab?: CrontabSpec;
  readonly args?: readonly unknown[];
  readonly kwargs?: Readonly<Record<string, unknown>>;
  readonly options?: PeriodicOptions;
}

/** A checked entry, ready for the scheduler. */
export interface ScheduleEntry {
  readonly name: string;
  readonly task: string;
  readonly schedule: Schedule;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly options: PeriodicOptions;
}

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'queue',
  'exchange',
  'routingKey',
  'priority',
  'expires',
  'countdown',
  'timeLimit',
  'softTimeLimit',
  'ignoreResult',
  'headers',
  'serializer',
  'compression',
]);

/** Check a task module's entry; what is wrong is one line naming the entry and the field. */
export function defineScheduleEntry(name: string, spec: PeriodicSpec): ScheduleEntry {
  const fail = (what: string) => new UsageError(`schedule '${name}': ${what}`, 'usage.bad-schedule');
  if (typeof name !== 'string' || name.trim() === '') throw new UsageError('app.schedule needs a name as its first argument', 'usage.bad-schedule');
  if (typeof spec !== 'object' || spec === null) throw fail("expected an object such as { task: 'tasks.add', every: '30s' }");
  if (typeof spec.task !== 'string' || spec.task === '') throw fail("task: give the task's name, such as 'tasks.add'");
  const hasEvery = spec.every !== undefined;
  const hasCrontab = spec.crontab !== undefined;
  if (hasEvery === hasCrontab)
    throw fail(hasEvery ? 'give either every or crontab, not both' : "give when it runs: every ('30s', 300) or crontab ({ minute: '*/15' })");
  let schedule: Schedule;
  try {
    if (hasEvery) schedule = new IntervalSchedule(spec.every);
    else {
      if (typeof spec.crontab !== 'object' || spec.crontab === null || Array.isArray(spec.crontab))
        throw fail("crontab: expected an object such as { minute: '0', hour: '*/3' }");
      const unknown = Object.keys(spec.crontab).filter((k) => !['minute', 'hour', 'dayOfWeek', 'dayOfMonth', 'monthOfYear'].includes(k));
      if (unknown.length > 0)
        throw fail(
          `crontab: unknown field ${unknown.map((k) => `'${k}'`).join(', ')}; the fields are minute, hour, dayOfWeek, dayOfMonth, monthOfYear`,
        );
      schedule = new Crontab(spec.crontab);
    }
  } catch (err) {
    if (err instanceof CrontabError) throw fail(err.message);
    if (err instanceof CronFieldError) throw fail(`every: ${err.message}`);
    throw err;
  }
  if (spec.args !== undefined && !Array.isArray(spec.args)) throw fail('args: expected a list, such as [2, 2]');
  if (spec.kwargs !== undefined && (typeof spec.kwargs !== 'object' || spec.kwargs === null || Array.isArray(spec.kwargs)))
    throw fail('kwargs: expected an object, such as { x: 2 }');
  const options = spec.options ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw fail("options: expected an object, such as { queue: 'periodic' }");
  const unknownOptions = Object.keys(options).filter((k) => !OPTION_NAMES.has(k));
  if (unknownOptions.length > 0)
    throw fail(`options: unknown ${unknownOptions.map((k) => `'${k}'`).join(', ')}; known are ${[...OPTION_NAMES].join(', ')}`);
  return { name, task: spec.task, schedule, args: spec.args ?? [], kwargs: spec.kwargs ?? {}, options };
}
