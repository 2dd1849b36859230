import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/util/backoff.js';
import { createLogger, formatLogTime, parseLogLevel } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

describe('ManualClock', () => {
  it('fires timers in due order only when time is advanced', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 200);
    clock.setTimeout(() => fired.push('a'), 100);
    const cancelled = clock.setTimeout(() => fired.push('never'), 150);
    cancelled.cancel();
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(101);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now()).toBe(200);
  });

  it('repeats intervals and sees the time of each tick', () => {
    const clock = new ManualClock(1000);
    const ticks: number[] = [];
    const handle = clock.setInterval(() => ticks.push(clock.now()), 2000);
    clock.advance(6500);
    expect(ticks).toEqual([3000, 5000, 7000]);
    handle.cancel();
    clock.advance(10_000);
    expect(ticks).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });
});

describe('backoffDelay', () => {
  it('grows by the factor up to the cap, without jitter', () => {
    const delays = [1, 2, 3, 4, 10].map((n) => backoffDelay(n, { initialMs: 100, maxMs: 1000, jitter: 0 }));
    expect(delays).toEqual([100, 200, 400, 800, 1000]);
  });

  it('takes off at most the jitter fraction, never adds to the delay', () => {
    expect(backoffDelay(1, { initialMs: 1000, jitter: 0.2 }, () => 0)).toBe(1000);
    expect(backoffDelay(1, { initialMs: 1000, jitter: 0.2 }, () => 0.999999)).toBe(800);
  });

  it('by default waits 0.1–0.2 s first and never more than 2.5 s, half of it random', () => {
    const lowest = Array.from({ length: 12 }, (_, i) => backoffDelay(i + 1, {}, () => 0.999999));
    const highest = Array.from({ length: 12 }, (_, i) => backoffDelay(i + 1, {}, () => 0));
    expect(highest).toEqual([200, 400, 800, 1600, 2500, 2500, 2500, 2500, 2500, 2500, 2500, 2500]);
    expect(lowest).toEqual([100, 200, 400, 800, 1250, 1250, 1250, 1250, 1250, 1250, 1250, 1250]);
  });
});

describe('logger', () => {
  it("writes Celery's line format at or above the level", () => {
    const lines: string[] = [];
    const at = new Date(2026, 10, 21, 19, 2, 20, 166).getTime();
    const log = createLogger({ level: 'info', write: (l) => lines.push(l), now: () => at });
    log.debug('hidden');
    log.info('Task tasks.add[1] received');
    log.error('boom');
    expect(lines).toEqual([
      '[2026-11-21 19:02:20,166: INFO/MainProcess] Task tasks.add[1] received',
      '[2026-11-21 19:02:20,166: ERROR/MainProcess] boom',
    ]);
    expect(formatLogTime(at)).toBe('2026-11-21 19:02:20,166');
  });

  it("parses level names like Celery's -l", () => {
    expect(parseLogLevel('INFO')).toBe('info');
    expect(parseLogLevel('warn')).toBe('warning');
    expect(parseLogLevel('fatal')).toBe('critical');
    expect(parseLogLevel('loud')).toBeUndefined();
  });
});
