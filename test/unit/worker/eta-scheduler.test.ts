import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { EtaScheduler } from '../../../src/worker/eta-scheduler.js';

describe('EtaScheduler', () => {
  it('fires each item at its ETA, in ETA order, never early', () => {
    const clock = new ManualClock();
    const fired: [string, number][] = [];
    const eta = new EtaScheduler<string>({ clock, fire: (item) => fired.push([item, clock.now()]) });
    const t0 = clock.now();
    eta.schedule(t0 + 3000, 'c');
    eta.schedule(t0 + 1000, 'a');
    eta.schedule(t0 + 2000, 'b');
    expect(eta.list().map((e) => e.item)).toEqual(['a', 'b', 'c']);
    clock.advance(999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([['a', t0 + 1000]]);
    clock.advance(5000);
    expect(fired.map(([x]) => x)).toEqual(['a', 'b', 'c']);
    expect(fired.every(([, at], i) => at >= t0 + 1000 * (i + 1))).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('keeps equal ETAs first-in first-out and fires past ETAs on the next turn', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const eta = new EtaScheduler<string>({ clock, fire: (item) => fired.push(item) });
    eta.schedule(clock.now() - 5000, 'late1');
    eta.schedule(clock.now() - 5000, 'late2');
    expect(fired).toEqual([]);
    clock.advance(0);
    expect(fired).toEqual(['late1', 'late2']);
  });

  it('re-arms for an earlier entry and drains everything on demand', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const eta = new EtaScheduler<string>({ clock, fire: (item) => fired.push(item) });
    eta.schedule(clock.now() + 10_000, 'later');
    eta.schedule(clock.now() + 500, 'sooner');
    clock.advance(500);
    expect(fired).toEqual(['sooner']);
    expect(eta.drain()).toEqual(['later']);
    clock.advance(20_000);
    expect(fired).toEqual(['sooner']);
    expect(eta.size).toBe(0);
  });
});
