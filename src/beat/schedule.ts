import type { ScheduleZone } from './time-zone.js';

/** Celery's `schedstate`: whether an entry is due now, and in how many milliseconds to look again. */
export interface ScheduleState {
  readonly isDue: boolean;
  /** Celery's `next`: when due, the time until the run after this one; otherwise the time left until it is due. */
  readonly nextMs: number;
}

/** What a periodic entry runs on: an interval (`every`) or a crontab, both pure functions of time. */
export interface Schedule {
  readonly kind: 'interval' | 'crontab';
  /** Celery's repr: `<freq: 5.00 seconds>`, `<crontab: * * * * * (m/h/d/dM/MY)>`. */
  readonly text: string;
  /** Celery's `remaining_estimate`: milliseconds from `nowMs` until the run that follows `lastRunMs` (≤ 0: due). */
  remainingMs(lastRunMs: number, nowMs: number, zone: ScheduleZone): number;
  /** Celery's `is_due`. */
  isDue(lastRunMs: number, nowMs: number, zone: ScheduleZone): ScheduleState;
}

/**
 * Celery's `remaining()` (celery/utils/time.py) in wall-clock terms: the next run is computed on the last run's wall
 * clock, then read with the UTC offset in force *now* (Celery puts `now`'s tzinfo on `start` when a DST change lies
 * between them). `endWall` is the next run's wall clock as epoch milliseconds.
 */
export function remainingFromWall(endWall: number, nowMs: number, zone: ScheduleZone): number {
  return endWall - zone.offsetAt(nowMs) - nowMs;
}
