import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { RevokedSet, type RevokedSetOptions } from '../../../src/worker/revoked-set.js';

/** A RevokedSet on a manual clock; `now` reads that clock, for a second set beside the first. */
function onManualClock(options: RevokedSetOptions = {}) {
  const clock = new ManualClock();
  const now = () => clock.now();
  return { clock, now, set: new RevokedSet({ ...options, now }) };
}

describe('RevokedSet (Celery LimitedSet semantics)', () => {
  it('is bounded: the oldest ids go first', () => {
    const { clock, set } = onManualClock({ maxSize: 3 });
    for (const id of ['a', 'b', 'c', 'd']) {
      set.add(id);
      clock.advance(1);
    }
    expect(set.ids()).toEqual(['b', 'c', 'd']);
    expect(set.has('a')).toBe(false);
  });

  it('defaults to 50,000 entries and 3 hours', () => {
    const set = new RevokedSet();
    expect(set.maxSize).toBe(50_000);
    expect(set.expiresMs).toBe(3 * 3600 * 1000);
  });

  it('forgets entries after 3 hours', () => {
    const { clock, set } = onManualClock();
    set.add('old');
    clock.advance(2 * 3600 * 1000);
    set.add('new');
    expect(set.has('old')).toBe(true);
    clock.advance(3600 * 1000);
    expect(set.has('old')).toBe(false);
    expect(set.ids()).toEqual(['new']);
  });

  it('re-adding moves an id to the newest end; lists oldest first', () => {
    const { clock, set } = onManualClock();
    set.add('a');
    clock.advance(1);
    set.add('b');
    clock.advance(1);
    set.add('a');
    expect(set.ids()).toEqual(['b', 'a']);
  });

  it('round-trips through toJSON/load keeping ages, and drops expired entries on load', () => {
    const { clock, now, set: first } = onManualClock();
    first.add('x');
    clock.advance(1000);
    first.add('y');
    const saved = first.toJSON();
    clock.advance(3 * 3600 * 1000 - 500); // x is now past 3 h, y is not
    const second = new RevokedSet({ now });
    second.load(saved);
    expect(second.ids()).toEqual(['y']);
  });
});
