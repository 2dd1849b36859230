import { describe, expect, it } from 'vitest';
import { formatIsoDate, parseIsoDate } from '../../../src/protocol/iso-date.js';
import { parseRate } from '../../../src/protocol/rate.js';

describe('ISO dates (PROTOCOL.md §1.5)', () => {
  const at = Date.UTC(2026, 10, 21, 19, 2, 20, 166) + 0.293; // 19:02:20.166293 UTC

  it('writes six fraction digits and a ±HH:MM offset', () => {
    expect(formatIsoDate(at)).toBe('2026-11-21T19:02:20.166293+00:00');
    expect(formatIsoDate(Date.UTC(2026, 10, 21, 19, 2, 20))).toBe('2026-11-21T19:02:20.000000+00:00');
    expect(formatIsoDate(Date.UTC(2026, 10, 21, 19, 2, 20), 60)).toBe('2026-11-21T20:02:20.000000+01:00');
    expect(formatIsoDate(Date.UTC(2026, 10, 21, 19, 2, 20), -330)).toBe('2026-11-21T13:32:20.000000-05:30');
  });

  it('reads what Python writes, with and without the fraction (values checked against celery.utils.iso8601)', () => {
    expect(parseIsoDate('2026-11-21T19:02:20.166293+00:00')! / 1000).toBeCloseTo(1795287740.166293, 6);
    expect(parseIsoDate('2026-11-21T19:02:20+01:00')! / 1000).toBe(1795284140);
  });

  it("reads Z, ±HHMM and naive values (naive is UTC, Celery's default timezone)", () => {
    const base = Date.UTC(2020, 0, 1, 0, 0, 0);
    expect(parseIsoDate('2020-01-01T00:00:00Z')).toBe(base);
    expect(parseIsoDate('2020-01-01T00:00:00')).toBe(base);
    expect(parseIsoDate('2020-01-01T01:00:00+0100')).toBe(base);
    expect(parseIsoDate('2020-01-01T00:00:00.166Z')).toBe(base + 166);
  });

  it('round-trips', () => {
    expect(parseIsoDate(formatIsoDate(at))).toBeCloseTo(at, 3);
  });

  it('refuses what is not a date', () => {
    expect(parseIsoDate('not-a-date')).toBeUndefined();
    expect(parseIsoDate('2020-13-01T00:00:00')).toBeUndefined();
    expect(parseIsoDate('')).toBeUndefined();
  });
});

describe('parseRate (celery.utils.time.rate)', () => {
  it.each<[string | number | null, number]>([
    ['10/m', 10 / 60],
    ['0.5/s', 0.5],
    [5, 5],
    ['5', 5],
    ['100/h', 100 / 3600],
    ['0', 0],
    [0, 0],
    ['', 0],
    [null, 0],
  ])('%j is %d per second', (value, perSecond) => {
    const parsed = parseRate(value);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.perSecond).toBeCloseTo(perSecond, 12);
  });

  it.each(['10/x', '5/d', 'abc', '-1/s', '/s', '1/'])('refuses %s with a line that says what to type', (value) => {
    const parsed = parseRate(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/invalid rate/);
  });
});
