import { CronFieldError } from './crontab-field.js';
import { remainingFromWall, type Schedule, type ScheduleState } from './schedule.js';
import type { ScheduleZone } from './time-zone.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `every`: seconds as a number, or text with a unit (`500ms`, `30s`, `5m`, `2h`, `1d`; bare text is seconds). */
export type EverySpec = number | string;

/** The interval in milliseconds; throws CronFieldError (the caller names the entry) when it is not one above 0. */
export function parseEvery(spec: EverySpec): number {
  let ms: number | undefined;
  if (typeof spec === 'number') ms = spec * 1000;
  else if (typeof spec === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(spec);
    if (m) ms = Number(m[1]) * UNITS[m[2] ?? 's']!;
  }
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) {
    throw new CronFieldError(`'${String(spec)}' is not a duration above 0; give seconds (30) or text with a unit ('30s', '5m', '2h', '1d')`);
  }
  return ms;
}

/** Celery's `schedule(run_every)` (relative=False): due `every` after the last run. */
export class IntervalSchedule implements Schedule {
  readonly kind = 'interval';
  readonly everyMs: number;

  constructor(every: EverySpec) {
    this.everyMs = parseEvery(every);
  }

  get text(): string {
    return `<freq: ${humanizeSeconds(this.everyMs / 1000)}>`;
  }

  remainingMs(lastRunMs: number, nowMs: number, zone: ScheduleZone): number {
    return remainingFromWall(lastRunMs + zone.offsetAt(lastRunMs) + this.everyMs, nowMs, zone);
  }

  isDue(lastRunMs: number, nowMs: number, zone: ScheduleZone): ScheduleState {
    const left = Math.max(this.remainingMs(lastRunMs, nowMs, zone), 0);
    return left === 0 ? { isDue: true, nextMs: this.everyMs } : { isDue: false, nextMs: left };
  }
}

/** Celery's `humanize_seconds`: `5.00 seconds`, `1.00 minute`, `2.00 hours`. */
export function humanizeSeconds(seconds: number): string {
  const units: [number, string, string][] = [
    [86_400, 'day', 'days'],
    [3600, 'hour', 'hours'],
    [60, 'minute', 'minutes'],
    [1, 'second', 'seconds'],
  ];
  for (const [size, one, many] of units) {
    if (seconds >= size) {
      const n = seconds / size;
      return `${n.toFixed(2)} ${n === 1 ? one : many}`;
    }
  }
  return 'now';
}
