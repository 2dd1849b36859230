import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, systemClock } from '../../../src/util/clock.js';

const DAY = 86_400_000;

/**
 * Node turns a delay above 2^31 − 1 ms into 1 ms (with a TimeoutOverflowWarning); the fake timers do the same, so
 * these tests drive time by hand and see a 30-day timer fire after 30 days, not after 1 ms.
 */
describe('systemClock.setTimeout past 2^31 ms', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('the fake timers overflow as Node does (so the tests below can fail)', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const fn = vi.fn();
    setTimeout(fn, 30 * DAY);
    vi.advanceTimersByTime(2);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('a 30-day timer (an ETA 30 days away) fires after 30 days, not at once', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const fn = vi.fn();
    systemClock.setTimeout(fn, 30 * DAY);
    vi.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * DAY - MAX_TIMER_MS - 1001);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('a time limit of 1e10 s, or Infinity, does not fire in a year, and a cancelled long timer never fires', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const fn = vi.fn();
    systemClock.setTimeout(fn, 1e10 * 1000);
    systemClock.setTimeout(fn, Infinity);
    const cancelled = vi.fn();
    systemClock.setTimeout(cancelled, 40 * DAY).cancel();
    const later = systemClock.setTimeout(cancelled, 40 * DAY);
    vi.advanceTimersByTime(30 * DAY);
    later.cancel();
    vi.advanceTimersByTime(335 * DAY);
    expect(fn).not.toHaveBeenCalled();
    expect(cancelled).not.toHaveBeenCalled();
    // Stepping, not spinning: at most one pending timer per long timeout.
    expect(vi.getTimerCount()).toBe(2);
  });
});
