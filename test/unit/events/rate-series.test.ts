import { describe, expect, it } from 'vitest';
import { RateSeries } from '../../../src/events/rate-series.js';

const T0 = Date.UTC(2026, 10, 21, 19, 0, 0);

describe('RateSeries', () => {
  it('counts per whole second and reports complete seconds oldest first', () => {
    const s = new RateSeries(10);
    s.add(T0);
    s.add(T0 + 500);
    s.add(T0 + 1500, 3);
    expect(s.values(T0 + 2000, 3)).toEqual([0, 2, 3]);
    expect(s.perSecond(T0 + 2000, 2)).toBe(2.5);
  });

  it('forgets seconds that slid out of the window, including after a long gap', () => {
    const s = new RateSeries(5);
    s.add(T0, 7);
    expect(s.values(T0 + 4000, 4)).toEqual([7, 0, 0, 0]);
    expect(s.values(T0 + 5000, 4)).toEqual([0, 0, 0, 0]);
    s.add(T0 + 100_000, 1);
    expect(s.values(T0 + 101_000, 4)).toEqual([0, 0, 0, 1]);
    expect(s.total).toBe(1);
  });

  it('ignores counts older than the window', () => {
    const s = new RateSeries(5);
    s.add(T0 + 10_000);
    s.add(T0);
    expect(s.total).toBe(1);
  });
});
