import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { RateLimiter, TokenBucket } from '../../../src/worker/rate-limiter.js';

function setup() {
  const clock = new ManualClock();
  const released: string[] = [];
  const limiter = new RateLimiter<string>({ clock, release: (item) => released.push(item) });
  return { clock, released, limiter };
}

describe('TokenBucket', () => {
  it('has capacity 1: one token at once, then one per 1/rate seconds', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(10, clock);
    expect(bucket.tryConsume()).toBe(true);
    expect(bucket.tryConsume()).toBe(false);
    expect(bucket.expectedWaitMs()).toBeCloseTo(100);
    clock.advance(99);
    expect(bucket.tryConsume()).toBe(false);
    clock.advance(1);
    expect(bucket.tryConsume()).toBe(true);
    clock.advance(10_000); // idle time does not bank more than one token
    expect(bucket.tryConsume()).toBe(true);
    expect(bucket.tryConsume()).toBe(false);
  });
});

describe('RateLimiter', () => {
  it('passes items of unlimited task types straight through', () => {
    const { limiter, released } = setup();
    limiter.submit('tasks.add', 'a');
    limiter.submit('tasks.add', 'b');
    expect(released).toEqual(['a', 'b']);
  });

  it('releases 10/s items one per 100 ms in FIFO order, with one timer re-armed per bucket', () => {
    const { limiter, released, clock } = setup();
    limiter.setRate('tasks.add', '10/s');
    for (let i = 0; i < 5; i++) limiter.submit('tasks.add', `t${i}`);
    expect(released).toEqual(['t0']);
    expect(limiter.waitingCount).toBe(4);
    expect(clock.pending).toBe(1);
    clock.advance(100);
    expect(released).toEqual(['t0', 't1']);
    clock.advance(250);
    expect(released).toEqual(['t0', 't1', 't2', 't3']);
    clock.advance(100);
    expect(released).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(clock.pending).toBe(0);
  });

  it('50 tasks at 10/s take 4.9 s of limiter time', () => {
    const clock = new ManualClock();
    const start = clock.now();
    let last = start;
    const limiter = new RateLimiter<number>({ clock, release: () => (last = clock.now()) });
    limiter.setRate('x', '10/s');
    for (let i = 0; i < 50; i++) limiter.submit('x', i);
    clock.advance(10_000);
    expect(last - start).toBeGreaterThanOrEqual(4_900);
    expect(last - start).toBeLessThan(5_000);
  });

  it('keeps buckets per task type', () => {
    const { limiter, released } = setup();
    limiter.setRate('a', '1/m');
    limiter.submit('a', 'a1');
    limiter.submit('a', 'a2');
    limiter.submit('b', 'b1');
    expect(released).toEqual(['a1', 'b1']);
  });

  it('moves waiting items to the new bucket when the rate changes, and releases them all when it is removed', () => {
    const { limiter, released, clock } = setup();
    limiter.setRate('tasks.add', '1/m');
    for (const x of ['a', 'b', 'c']) limiter.submit('tasks.add', x);
    expect(released).toEqual(['a']);
    limiter.setRate('tasks.add', '10/s'); // new bucket: first waiter goes at once, next after 100 ms
    expect(released).toEqual(['a', 'b']);
    clock.advance(100);
    expect(released).toEqual(['a', 'b', 'c']);
    limiter.submit('tasks.add', 'd');
    limiter.submit('tasks.add', 'e');
    limiter.setRate('tasks.add', null);
    expect(released).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(limiter.isLimited('tasks.add')).toBe(false);
  });

  it('refuses rate strings Celery refuses', () => {
    const { limiter } = setup();
    expect(() => limiter.setRate('x', '5/d')).toThrow(/unknown unit 'd'/);
    expect(() => limiter.setRate('x', 'fast')).toThrow(/expected a number/);
  });

  it('drain() hands back every waiting item and stops the timers', () => {
    const { limiter, clock } = setup();
    limiter.setRate('x', '1/s');
    for (const x of ['a', 'b', 'c']) limiter.submit('x', x);
    expect(limiter.drain()).toEqual(['b', 'c']);
    expect(clock.pending).toBe(0);
  });
});
