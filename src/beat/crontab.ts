import { CRON_FIELDS, CronFieldError, expandCronField, type CronFieldName, type CronFieldSpec } from './crontab-field.js';
import { remainingFromWall, type Schedule, type ScheduleState } from './schedule.js';
import type { ScheduleZone } from './time-zone.js';

/** A crontab as a task module writes it; a field left out is `'*'`, as in Celery. */
export interface CrontabSpec {
  readonly minute?: CronFieldSpec;
  readonly hour?: CronFieldSpec;
  /** 0-6 with Sunday 0, or day names (`'mon-fri'`). */
  readonly dayOfWeek?: CronFieldSpec;
  readonly dayOfMonth?: CronFieldSpec;
  readonly monthOfYear?: CronFieldSpec;
}

const FIELD_ORDER: readonly CronFieldName[] = ['minute', 'hour', 'dayOfWeek', 'dayOfMonth', 'monthOfYear'];
const DAY_MS = 86_400_000;
/** Days in each month of a leap year: a day of month some month can have. */
const MONTH_MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A field that cannot be used, with its name: `crontab dayOfWeek '8': 8 is above 6 (valid: 0-6, ...)`. */
export class CrontabError extends Error {
  constructor(
    readonly field: CronFieldName | 'dayOfMonth+monthOfYear',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Celery 5.2's `crontab` schedule (celery/schedules.py): the same fields, the same parse, and the same next-run
 * arithmetic (`remaining_delta`, `_delta_to_next`, `ffwd`), done on the wall clock of the schedule's zone.
 */
export class Crontab implements Schedule {
  readonly kind = 'crontab';
  readonly minute: readonly number[];
  readonly hour: readonly number[];
  readonly dayOfWeek: readonly number[];
  readonly dayOfMonth: readonly number[];
  readonly monthOfYear: readonly number[];
  /** The fields as given (`'*'` when left out), for the repr and Celery's `_orig_*` checks. */
  readonly orig: Readonly<Record<CronFieldName, CronFieldSpec>>;
  private readonly sets: Readonly<Record<CronFieldName, ReadonlySet<number>>>;

  constructor(spec: CrontabSpec = {}) {
    const orig = {} as Record<CronFieldName, CronFieldSpec>;
    const expanded = {} as Record<CronFieldName, number[]>;
    for (const name of FIELD_ORDER) {
      const given = spec[name] ?? '*';
      orig[name] = given;
      try {
        expanded[name] = expandCronField(given, name);
      } catch (err) {
        if (!(err instanceof CronFieldError)) throw err;
        throw new CrontabError(name, `crontab ${name} ${showSpec(given)}: ${err.message} (valid: ${CRON_FIELDS[name].range})`);
      }
    }
    this.orig = orig;
    this.minute = expanded.minute;
    this.hour = expanded.hour;
    this.dayOfWeek = expanded.dayOfWeek;
    this.dayOfMonth = expanded.dayOfMonth;
    this.monthOfYear = expanded.monthOfYear;
    this.sets = Object.fromEntries(FIELD_ORDER.map((n) => [n, new Set(expanded[n])])) as Record<CronFieldName, Set<number>>;
    // Celery finds out at run time, after 2,000 roll-overs (`unable to rollover`); a schedule that can never run is
    // better refused when the task module loads.
    if (!this.monthOfYear.some((m) => this.dayOfMonth.some((d) => d <= MONTH_MAX_DAYS[m - 1]!))) {
      throw new CrontabError(
        'dayOfMonth+monthOfYear',
        `crontab dayOfMonth ${showSpec(orig.dayOfMonth)} with monthOfYear ${showSpec(orig.monthOfYear)}: no such date exists, so it would never run`,
      );
    }
  }

  get text(): string {
    return `<crontab: ${FIELD_ORDER.map((n) => fieldText(this.orig[n])).join(' ')} (m/h/d/dM/MY)>`;
  }

  /** The wall clock (epoch ms of wall fields) of the run that follows a run at `lastRunMs` (Celery's `remaining_delta`). */
  nextWall(lastRunMs: number, nowMs: number, zone: ScheduleZone): number {
    const last = new Date(lastRunMs + zone.offsetAt(lastRunMs));
    const now = new Date(nowMs + zone.offsetAt(nowMs));
    const [year, month, day, hour, minute] = [
      last.getUTCFullYear(),
      last.getUTCMonth() + 1,
      last.getUTCDate(),
      last.getUTCHours(),
      last.getUTCMinutes(),
    ];
    const dow = last.getUTCDay();
    const s = this.sets;
    const executeThisDate = s.monthOfYear.has(month) && s.dayOfMonth.has(day) && s.dayOfWeek.has(dow);
    const executeThisHour =
      executeThisDate &&
      day === now.getUTCDate() &&
      month === now.getUTCMonth() + 1 &&
      year === now.getUTCFullYear() &&
      s.hour.has(hour) &&
      minute < max(this.minute);
    if (executeThisHour) {
      const nextMinute = this.minute.find((m) => m > minute)!;
      return Date.UTC(year, month - 1, day, hour, nextMinute);
    }
    const nextMinute = this.minute[0]!;
    if (executeThisDate && hour < max(this.hour)) {
      const nextHour = this.hour.find((h) => h > hour)!;
      return Date.UTC(year, month - 1, day, nextHour, nextMinute);
    }
    const nextHour = this.hour[0]!;
    if (this.orig.dayOfMonth === '*' && this.orig.monthOfYear === '*') {
      const nextDay = this.dayOfWeek.find((d) => d > dow) ?? this.dayOfWeek[0]!;
      const addWeek = nextDay === dow;
      // ffwd(weeks, weekday=(next_day - 1) % 7, hour, minute): Python's weekday() counts from Monday.
      const base = Date.UTC(year, month - 1, day, nextHour, nextMinute);
      const days = (7 - pyWeekday(dow) + pyWeekday(nextDay)) % 7;
      return base + (days + (addWeek ? 7 : 0)) * DAY_MS;
    }
    return this.deltaToNext(last, lastRunMs, nextHour, nextMinute);
  }

  remainingMs(lastRunMs: number, nowMs: number, zone: ScheduleZone): number {
    return remainingFromWall(this.nextWall(lastRunMs, nowMs, zone), nowMs, zone);
  }

  isDue(lastRunMs: number, nowMs: number, zone: ScheduleZone): ScheduleState {
    const left = Math.max(this.remainingMs(lastRunMs, nowMs, zone), 0);
    if (left > 0) return { isDue: false, nextMs: left };
    return { isDue: true, nextMs: Math.max(this.remainingMs(nowMs, nowMs, zone), 0) };
  }

  /** Celery's `_delta_to_next`: the next allowed (year, month, day) when dayOfMonth or monthOfYear is restricted. */
  private deltaToNext(last: Date, lastRunMs: number, nextHour: number, nextMinute: number): number {
    const days = this.dayOfMonth;
    const months = this.monthOfYear;
    let year = last.getUTCFullYear();
    const lastMonth = last.getUTCMonth() + 1;
    let dom: number;
    let moy: number;
    if (this.sets.monthOfYear.has(lastMonth)) {
      dom = bisectRight(days, last.getUTCDate());
      moy = bisectLeft(months, lastMonth);
    } else {
      dom = 0;
      moy = bisectRight(months, lastMonth);
      if (moy === months.length) moy = 0;
    }
    const rollOver = () => {
      for (let i = 0; i < 2000; i++) {
        const flag =
          dom === days.length ||
          days[dom]! > daysInMonth(year, months[moy]!) ||
          // Celery compares midnight UTC of that date with the last run (maybe_make_aware of a naive date).
          Date.UTC(year, months[moy]! - 1, days[dom]) < lastRunMs;
        if (!flag) return;
        dom = 0;
        moy++;
        if (moy === months.length) {
          moy = 0;
          year++;
        }
      }
      throw new CrontabError('dayOfMonth+monthOfYear', `crontab ${this.text}: unable to roll over, the time specification is probably invalid`);
    };
    rollOver();
    for (;;) {
      const weekday = new Date(Date.UTC(year, months[moy]! - 1, days[dom])).getUTCDay();
      if (this.sets.dayOfWeek.has(weekday)) break;
      dom++;
      rollOver();
    }
    return Date.UTC(year, months[moy]! - 1, days[dom], nextHour, nextMinute);
  }
}

function max(values: readonly number[]): number {
  return values[values.length - 1]!;
}

/** Sunday-0 day of week to Python's Monday-0 `weekday()`. */
function pyWeekday(sunday0: number): number {
  return (sunday0 + 6) % 7;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Python's bisect.bisect (bisect_right) and bisect_left on a sorted list. */
function bisectRight(list: readonly number[], x: number): number {
  let i = 0;
  while (i < list.length && list[i]! <= x) i++;
  return i;
}

function bisectLeft(list: readonly number[], x: number): number {
  let i = 0;
  while (i < list.length && list[i]! < x) i++;
  return i;
}

function fieldText(spec: CronFieldSpec): string {
  return Array.isArray(spec) ? `[${spec.join(', ')}]` : String(spec);
}

function showSpec(spec: unknown): string {
  return typeof spec === 'string' ? `'${spec}'` : Array.isArray(spec) ? `[${spec.join(', ')}]` : String(spec);
}
