import { describe, expect, it } from 'vitest';
import { describeTimeRange, parseTimePoint, parseTimeRange, stepTimeRange, type TimeRangeParse } from '../../../src/history/time-range.js';

// Local times, as the view shows them: the expectations are built with the same local-time constructor.
const at = (h: number, m = 0, s = 0, day = 6) => new Date(2026, 11, day, h, m, s).getTime();
const NOW = at(16, 20, 5);
const MIN = 60_000;

function window(result: TimeRangeParse): { since: number; until: number } {
  if (!result.ok) throw new Error(result.error);
  if (result.choice.kind !== 'window') throw new Error('expected a window');
  return result.choice.window;
}

describe('parseTimeRange: what the t prompt accepts', () => {
  it('empty, live and now follow live again', () => {
    for (const text of ['', '  ', 'live', 'LIVE', 'now']) expect(parseTimeRange(text, NOW)).toEqual({ ok: true, choice: { kind: 'live' } });
  });

  it('a time of day alone is from then until now; a range of two; a time still to come today is yesterday', () => {
    expect(window(parseTimeRange('14:00', NOW))).toEqual({ since: at(14), until: NOW });
    expect(window(parseTimeRange('14:00..14:30', NOW))).toEqual({ since: at(14), until: at(14, 30) });
    expect(window(parseTimeRange(' 14:00 .. 14:30:15 ', NOW))).toEqual({ since: at(14), until: at(14, 30, 15) });
    expect(window(parseTimeRange('14:00–14:30', NOW))).toEqual({ since: at(14), until: at(14, 30) });
    expect(window(parseTimeRange('14:00..', NOW))).toEqual({ since: at(14), until: NOW });
    expect(window(parseTimeRange('14:00..now', NOW))).toEqual({ since: at(14), until: NOW });
    expect(window(parseTimeRange('17:00..18:00', NOW))).toEqual({ since: at(17, 0, 0, 5), until: at(18, 0, 0, 5) });
    // The end is the first such time after the start: across midnight.
    expect(window(parseTimeRange('23:00..01:00', NOW))).toEqual({ since: at(23, 0, 0, 5), until: at(1) });
  });

  it('durations ago, with or without the minus, alone (until now) or as both ends', () => {
    expect(window(parseTimeRange('-1h', NOW))).toEqual({ since: NOW - 60 * MIN, until: NOW });
    expect(window(parseTimeRange('1h', NOW))).toEqual({ since: NOW - 60 * MIN, until: NOW });
    expect(window(parseTimeRange('-30m..-10m', NOW))).toEqual({ since: NOW - 30 * MIN, until: NOW - 10 * MIN });
    expect(window(parseTimeRange('-2h..-1.5h', NOW))).toEqual({ since: NOW - 120 * MIN, until: NOW - 90 * MIN });
  });

  it('ISO dates and date-times: local unless they name a zone; a date alone is that whole day', () => {
    expect(window(parseTimeRange('2026-12-06T14:00', NOW))).toEqual({ since: at(14), until: NOW });
    expect(window(parseTimeRange('2026-12-06 14:00..2026-12-06 15:00', NOW))).toEqual({ since: at(14), until: at(15) });
    expect(window(parseTimeRange('2026-12-05T10:00:00Z..2026-12-05T11:00:00Z', NOW))).toEqual({
      since: Date.UTC(2026, 11, 5, 10),
      until: Date.UTC(2026, 11, 5, 11),
    });
    expect(window(parseTimeRange('2026-12-05', NOW))).toEqual({ since: at(0, 0, 0, 5), until: at(0) });
    // Today's date: from midnight until now.
    expect(window(parseTimeRange('2026-12-06', NOW))).toEqual({ since: at(0), until: NOW });
    expect(window(parseTimeRange('2026-12-04..2026-12-05', NOW))).toEqual({ since: at(0, 0, 0, 4), until: at(0) });
  });

  it('bad input: one line saying what was wrong, with examples that work', () => {
    const cases: [string, RegExp][] = [
      ['14:61', /^'14:61' is not a time: try 14:00, 14:00\.\.14:30, -1h, -30m\.\.-10m, 2026-12-06T14:00, or empty for live$/],
      ['yesterday', /^'yesterday' is not a time: try 14:00/],
      ['14:00..lunch', /^'lunch' is not a time: try/],
      ['..14:00', /^'\.\.14:00' has no start: try/],
      ['1h..2h..3h', /has more than one '\.\.'/],
      ['-10m..-30m', /^the end -30m is not after the start -10m: try/],
      ['2026-12-07T09:00', /^2026-12-07T09:00 is in the future: try/],
      ['2026-02-30', /^'2026-02-30' is not a time/],
      ['1', /^'1' is not a time/],
    ];
    for (const [text, error] of cases) {
      const result = parseTimeRange(text, NOW);
      expect(result.ok, text).toBe(false);
      if (!result.ok) {
        expect(result.error).toMatch(error);
        expect(result.error).not.toContain('\n');
      }
    }
  });

  it('parseTimePoint reads one end (what camq history --since takes too)', () => {
    expect(parseTimePoint('15m', NOW)).toBe(NOW - 15 * MIN);
    expect(parseTimePoint('2d', NOW)).toBe(NOW - 2 * 86_400_000);
    expect(parseTimePoint('9:05:30', NOW)).toBe(at(9, 5, 30));
    expect(parseTimePoint('soon', NOW)).toBeUndefined();
  });
});

describe('stepTimeRange: [ and ]', () => {
  it('moves a window by its own length; forward past now is live again', () => {
    const w = { since: at(14), until: at(14, 30) };
    expect(stepTimeRange(w, -1, NOW)).toEqual({ since: at(13, 30), until: at(14) });
    expect(stepTimeRange(w, 1, NOW)).toEqual({ since: at(14, 30), until: at(15) });
    expect(stepTimeRange({ since: at(15, 30), until: at(16) }, 1, NOW)).toBeUndefined();
    // Ending exactly at now is still a window; a step beyond is live.
    expect(stepTimeRange({ since: at(15, 20, 5), until: at(15, 50, 5) }, 1, NOW)).toEqual({ since: at(15, 50, 5), until: NOW });
  });

  it('from live, [ shows the last step (15 min by default) and ] stays live', () => {
    expect(stepTimeRange(undefined, -1, NOW)).toEqual({ since: NOW - 15 * MIN, until: NOW });
    expect(stepTimeRange(undefined, -1, NOW, 5 * MIN)).toEqual({ since: NOW - 5 * MIN, until: NOW });
    expect(stepTimeRange(undefined, 1, NOW)).toBeUndefined();
  });
});

describe('describeTimeRange', () => {
  it('times of day within today; seconds when an end has them; the date otherwise', () => {
    expect(describeTimeRange({ since: at(14), until: at(14, 30) }, NOW)).toBe('14:00–14:30');
    expect(describeTimeRange({ since: at(14), until: NOW }, NOW)).toBe('14:00:00–16:20:05');
    expect(describeTimeRange({ since: at(9, 0, 0, 5), until: at(10, 0, 0, 5) }, NOW)).toBe('2026-12-05 09:00–10:00');
    expect(describeTimeRange({ since: at(0, 0, 0, 5), until: at(0) }, NOW)).toBe('2026-12-05 00:00–00:00');
    expect(describeTimeRange({ since: at(23, 0, 0, 5), until: at(1) }, NOW)).toBe('2026-12-05 23:00–2026-12-06 01:00');
  });
});
