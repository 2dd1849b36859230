/**
 * camq's schedules against Python Celery 5.2's own answers: celery-schedule-vectors.json holds 700 cases
 * (scripts/beat-celery-vectors.py: random crontabs and intervals, six zones, a third of them landing near DST changes,
 * Lord Howe's 30-minute one included), each with what `remaining_estimate` and `is_due` returned in Celery.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Crontab, type CrontabSpec } from '../../../src/beat/crontab.js';
import { IntervalSchedule } from '../../../src/beat/interval.js';
import type { Schedule } from '../../../src/beat/schedule.js';
import { zoneNamed } from '../../../src/beat/time-zone.js';

interface Vector {
  spec: { every?: number; crontab?: CrontabSpec };
  zone: string;
  last: number;
  now: number;
  remaining: number;
  due: boolean;
  next: number;
}

const vectors = JSON.parse(readFileSync(new URL('./celery-schedule-vectors.json', import.meta.url), 'utf8')) as Vector[];

function scheduleOf(v: Vector): Schedule {
  return v.spec.every !== undefined ? new IntervalSchedule(v.spec.every) : new Crontab(v.spec.crontab);
}

describe('schedules against Celery 5.2', () => {
  it('has the cases', () => {
    expect(vectors.length).toBe(700);
  });

  it.each(vectors.map((v, i) => [i, v] as const))('case %i: remaining_estimate and is_due as Celery', (_i, v) => {
    const zone = zoneNamed(v.zone);
    const s = scheduleOf(v);
    const lastMs = Math.round(v.last * 1000);
    const nowMs = Math.round(v.now * 1000);
    expect({
      at: [s.text, v.zone, new Date(lastMs).toISOString(), new Date(nowMs).toISOString()],
      remaining: s.remainingMs(lastMs, nowMs, zone) / 1000,
    }).toEqual({
      at: [s.text, v.zone, new Date(lastMs).toISOString(), new Date(nowMs).toISOString()],
      remaining: expect.closeTo(v.remaining, 3),
    });
    const state = s.isDue(lastMs, nowMs, zone);
    expect(state.isDue).toBe(v.due);
    expect(state.nextMs / 1000).toBeCloseTo(v.next, 3);
  });
});
