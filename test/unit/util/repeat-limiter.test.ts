import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { RepeatLimiter, repeatKey } from '../../../src/util/repeat-limiter.js';

describe('RepeatLimiter', () => {
  it('writes the first line of a kind, counts the repeats, and sums them up when the window ends', () => {
    const clock = new ManualClock(0);
    const lines: string[] = [];
    const limiter = new RepeatLimiter({ clock, windowMs: 10_000 });
    const write = (line: string) => lines.push(line);
    for (let i = 0; i < 124; i++) limiter.log(`Received invalid task message: retries ${-i - 1} is not a whole number ≥ 0`, write);
    limiter.log("Received invalid task message: invalid ETA value 'x': unable to parse date string 'x'", write);
    expect(lines).toHaveLength(2);
    clock.advance(10_000);
    expect(lines).toEqual([
      'Received invalid task message: retries -1 is not a whole number ≥ 0',
      "Received invalid task message: invalid ETA value 'x': unable to parse date string 'x'",
      'Received invalid task message: retries -1 is not a whole number ≥ 0 (and 123 more like it in the last 10 s)',
    ]);
    limiter.log('Received invalid task message: retries -5 is not a whole number ≥ 0', write);
    expect(lines).toHaveLength(4);
    expect(clock.pending).toBe(1);
  });

  it('keeps at most maxKinds windows: further kinds share one', () => {
    const clock = new ManualClock(0);
    const lines: string[] = [];
    const limiter = new RepeatLimiter({ clock, maxKinds: 3 });
    for (const word of ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta']) limiter.log(`bad ${word}`, (l) => lines.push(l));
    expect(lines).toEqual(['bad alpha', 'bad beta', 'bad gamma', 'bad delta']);
    limiter.flush();
    expect(lines.at(-1)).toBe('bad delta (and 2 more like it in the last 10 s)');
    expect(clock.pending).toBe(0);
  });

  it('blanks ids, numbers and quoted values', () => {
    expect(repeatKey("task tasks.add[0d6d2c0e-7bd4-4f55-9e0b-1c5e8f0f9a11] has 'x' and 42")).toBe(
      repeatKey("task tasks.add[9d6d2c0e-7bd4-4f55-9e0b-1c5e8f0f9a12] has 'y' and 7"),
    );
  });
});
