import { describe, expect, it } from 'vitest';
import { Crontab } from '../../../src/beat/crontab.js';
import { expandCronField } from '../../../src/beat/crontab-field.js';
import { IntervalSchedule, parseEvery } from '../../../src/beat/interval.js';
import { defineScheduleEntry } from '../../../src/beat/schedule-entry.js';
import { resolveZone, zoneNamed } from '../../../src/beat/time-zone.js';
import { CamqError } from '../../../src/errors/index.js';

const UTC = zoneNamed('UTC');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000', '');

/** The run after `last` (an instant), with `now` = `last` as beat asks after a send. */
function next(spec: ConstructorParameters<typeof Crontab>[0], last: string, zone = UTC): string {
  const t = Date.parse(last);
  return iso(t + new Crontab(spec).remainingMs(t, t, zone));
}

describe('crontab fields, as Celery parses them', () => {
  it.each([
    ['minute', '*/15', [0, 15, 30, 45]],
    ['hour', '*/4', [0, 4, 8, 12, 16, 20]],
    ['dayOfWeek', '*', [0, 1, 2, 3, 4, 5, 6]],
    ['dayOfMonth', '*/3', [1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31]],
    ['monthOfYear', '*/2', [1, 3, 5, 7, 9, 11]],
    ['monthOfYear', '2-12/2', [2, 4, 6, 8, 10, 12]],
    ['minute', '1,13,30-45,50-59/2', [1, 13, ...Array.from({ length: 16 }, (_, i) => 30 + i), 50, 52, 54, 56, 58]],
    ['hour', '22-2', [0, 1, 2, 22, 23]],
    ['hour', '0,8-17/2', [0, 8, 10, 12, 14, 16]],
    ['dayOfWeek', 'mon-fri', [1, 2, 3, 4, 5]],
    ['dayOfWeek', 'sunday,Saturday', [0, 6]],
    ['dayOfWeek', 'fri-mon', [0, 1, 5, 6]],
    ['dayOfWeek', 'mon-fri/2', [1, 3, 5]],
    ['minute', 7, [7]],
    ['minute', [0, 30], [0, 30]],
  ] as const)('%s %j', (field, spec, expected) => {
    expect(expandCronField(spec, field)).toEqual(expected);
  });

  it.each([
    [{ dayOfWeek: '8' }, "schedule 'e': crontab dayOfWeek '8': 8 is above 6 (valid: 0-6, 0 = Sunday, or sun-sat)"],
    [{ minute: '60' }, "schedule 'e': crontab minute '60': 60 is above 59 (valid: 0-59)"],
    [{ dayOfMonth: '0' }, "schedule 'e': crontab dayOfMonth '0': 0 is below 1 (valid: 1-31)"],
    [{ hour: '*/0' }, "schedule 'e': crontab hour '*/0': step '0' is not a whole number above 0 (valid: 0-23)"],
    [{ hour: '*/' }, "schedule 'e': crontab hour '*/': empty step in '*/' (valid: 0-23)"],
    [{ minute: '1,,2' }, "schedule 'e': crontab minute '1,,2': empty part in '1,,2' (valid: 0-59)"],
    [{ minute: '-5' }, "schedule 'e': crontab minute '-5': negative numbers are not supported (valid: 0-59)"],
    [
      { dayOfWeek: 'funday' },
      "schedule 'e': crontab dayOfWeek 'funday': 'funday' is neither a number nor a day name (valid: 0-6, 0 = Sunday, or sun-sat)",
    ],
    [{ monthOfYear: [13] }, "schedule 'e': crontab monthOfYear [13]: 13 is out of range (valid range is 1-12) (valid: 1-12)"],
    [{ minute: 1.5 }, "schedule 'e': crontab minute 1.5: 1.5 is not a whole number (valid: 0-59)"],
    [
      { dayOfMonth: '30', monthOfYear: '2' },
      "schedule 'e': crontab dayOfMonth '30' with monthOfYear '2': no such date exists, so it would never run",
    ],
    [{ minuet: '5' }, "schedule 'e': crontab: unknown field 'minuet'; the fields are minute, hour, dayOfWeek, dayOfMonth, monthOfYear"],
  ])('refuses %j with one line naming the field', (crontab, message) => {
    let caught: unknown;
    try {
      defineScheduleEntry('e', { task: 't', crontab: crontab as never });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CamqError);
    expect((caught as CamqError).code).toBe('usage.bad-schedule');
    expect((caught as CamqError).message).toBe(message);
    expect((caught as CamqError).message).not.toContain('\n');
  });

  it('refuses entries without a task, with both or neither of every and crontab, bad every, args or options', () => {
    const msg = (spec: unknown) => {
      try {
        defineScheduleEntry('e', spec as never);
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(msg({ every: 5 })).toBe("schedule 'e': task: give the task's name, such as 'tasks.add'");
    expect(msg({ task: 't' })).toBe("schedule 'e': give when it runs: every ('30s', 300) or crontab ({ minute: '*/15' })");
    expect(msg({ task: 't', every: 5, crontab: {} })).toBe("schedule 'e': give either every or crontab, not both");
    expect(msg({ task: 't', every: '5 parsecs' })).toBe(
      "schedule 'e': every: '5 parsecs' is not a duration above 0; give seconds (30) or text with a unit ('30s', '5m', '2h', '1d')",
    );
    expect(msg({ task: 't', every: 0 })).toContain("every: '0' is not a duration above 0");
    expect(msg({ task: 't', every: 5, args: 'x' })).toBe("schedule 'e': args: expected a list, such as [2, 2]");
    expect(msg({ task: 't', every: 5, options: { qeue: 'x' } })).toContain("options: unknown 'qeue'");
    expect(msg({ task: 't', every: '1.5m', options: { queue: 'x', priority: 3 } })).toBe('accepted');
  });

  it('reads every as seconds or with a unit, and prints it as Celery does', () => {
    expect([5, '30s', '500ms', '5m', '2h', '1d', '1.5'].map(parseEvery)).toEqual([5000, 30_000, 500, 300_000, 7_200_000, 86_400_000, 1500]);
    expect(new IntervalSchedule(5).text).toBe('<freq: 5.00 seconds>');
    expect(new IntervalSchedule('1m').text).toBe('<freq: 1.00 minute>');
    expect(new Crontab({ minute: '*/15', dayOfWeek: 'mon-fri' }).text).toBe('<crontab: */15 * mon-fri * * (m/h/d/dM/MY)>');
  });
});

describe('crontab next runs', () => {
  it('the next minute, hour and day', () => {
    expect(next({}, '2026-12-06T10:05:00Z')).toBe('2026-12-06T10:06:00Z');
    expect(next({ minute: '*/15' }, '2026-12-06T10:05:30Z')).toBe('2026-12-06T10:15:00Z');
    expect(next({ minute: 0, hour: '*/3' }, '2026-12-06T22:00:00Z')).toBe('2026-12-07T00:00:00Z');
    // Sunday 6 December 2026; weekdays only jumps to Monday.
    expect(next({ minute: 0, hour: 9, dayOfWeek: 'mon-fri' }, '2026-12-04T09:00:00Z')).toBe('2026-12-07T09:00:00Z');
    // A single weekday that is today comes back next week.
    expect(next({ minute: 0, hour: 0, dayOfWeek: 'sun' }, '2026-12-06T00:00:00Z')).toBe('2026-12-13T00:00:00Z');
  });

  it('month ends: day 31 skips the months without one; the last day of February', () => {
    expect(next({ minute: 0, hour: 0, dayOfMonth: 31 }, '2026-01-31T00:00:00Z')).toBe('2026-03-31T00:00:00Z');
    expect(next({ minute: 0, hour: 0, dayOfMonth: 31 }, '2026-03-31T00:00:00Z')).toBe('2026-05-31T00:00:00Z');
    expect(next({ minute: 0, hour: 0, dayOfMonth: '28-31' }, '2026-02-28T00:00:00Z')).toBe('2026-03-28T00:00:00Z');
    expect(next({ minute: 0, hour: 0, dayOfMonth: 1 }, '2026-12-01T00:00:00Z')).toBe('2027-01-01T00:00:00Z');
  });

  it('leap years: 29 February runs only in them', () => {
    expect(next({ minute: 0, hour: 12, dayOfMonth: 29, monthOfYear: 2 }, '2026-03-01T00:00:00Z')).toBe('2028-02-29T12:00:00Z');
    expect(next({ minute: 0, hour: 12, dayOfMonth: 29, monthOfYear: 2 }, '2028-02-29T12:00:00Z')).toBe('2032-02-29T12:00:00Z');
    // 2100 is not a leap year.
    expect(next({ minute: 0, hour: 12, dayOfMonth: 29, monthOfYear: 2 }, '2096-03-01T00:00:00Z')).toBe('2104-02-29T12:00:00Z');
  });

  it("the first Monday of the month (dayOfWeek and dayOfMonth both hold, Celery's reading)", () => {
    expect(next({ minute: 0, hour: 8, dayOfWeek: 'mon', dayOfMonth: '1-7' }, '2026-12-07T08:00:00Z')).toBe('2027-01-04T08:00:00Z');
  });

  it('DST in Europe/Berlin: 02:30 on the spring-forward day, and an hourly entry across the autumn change', () => {
    const berlin = zoneNamed('Europe/Berlin');
    // 29 March 2026: 02:00 CET jumps to 03:00 CEST. Celery reads the wall time with the offset in force now.
    const last = Date.parse('2026-03-28T01:30:00Z'); // 02:30 CET on the 28th
    const before = Date.parse('2026-03-29T00:30:00Z'); // 01:30 CET on the 29th, offset +1
    const c = new Crontab({ minute: 30, hour: 2 });
    expect(iso(before + c.remainingMs(last, before, berlin))).toBe('2026-03-29T01:30:00Z');
    const after = Date.parse('2026-03-29T01:10:00Z'); // 03:10 CEST: offset +2 now, so 02:30 wall is 00:30 UTC, overdue
    expect(c.isDue(last, after, berlin).isDue).toBe(true);
    // 25 October 2026: 03:00 CEST back to 02:00 CET; minute 0 every hour keeps going once an hour in UTC terms.
    const hourly = new Crontab({ minute: 0 });
    let t = Date.parse('2026-10-24T23:00:00Z');
    const runs: string[] = [];
    for (let i = 0; i < 4; i++) {
      t = t + hourly.remainingMs(t, t, berlin);
      runs.push(iso(t));
    }
    expect(runs).toEqual(['2026-10-25T00:00:00Z', '2026-10-25T01:00:00Z', '2026-10-25T02:00:00Z', '2026-10-25T03:00:00Z']);
  });

  it("picks Celery's zone: timezone, else UTC with enable_utc, else the system's; an unknown name is one line", () => {
    expect(resolveZone({}).name).toBe('UTC');
    expect(resolveZone({ timezone: 'Asia/Kolkata' }).offsetAt(0)).toBe(19_800_000);
    expect(resolveZone({ enableUtc: false }).name).toBe(new Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(() => resolveZone({ timezone: 'Mars/Olympus' })).toThrow("unknown time zone 'Mars/Olympus'");
  });
});
