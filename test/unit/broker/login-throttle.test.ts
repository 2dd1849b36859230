import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../../src/broker/login-throttle.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

describe('LoginThrottle', () => {
  it('after a failure, logins from that address are checked one per delay, in order; a success lets the next go at once', () => {
    const clock = new ManualClock();
    const throttle = new LoginThrottle(clock, 1000);
    const checked: string[] = [];
    const login = (label: string, ok: boolean) => () => {
      checked.push(label);
      return ok;
    };
    throttle.submit('10.0.0.1', login('a', false));
    throttle.submit('10.0.0.1', login('b', false));
    throttle.submit('10.0.0.1', login('c', true));
    throttle.submit('10.0.0.1', login('d', false));
    throttle.submit('10.0.0.2', login('other address', true));
    expect(checked).toEqual(['a', 'other address']);
    expect(throttle.waiting).toBe(3);
    clock.advance(999);
    expect(checked).toEqual(['a', 'other address']);
    clock.advance(1);
    expect(checked).toEqual(['a', 'other address', 'b']);
    clock.advance(1000);
    expect(checked).toEqual(['a', 'other address', 'b', 'c', 'd']);
    expect(throttle.waiting).toBe(0);
  });

  it('a login withdrawn while waiting (its connection went away) is never checked', () => {
    const clock = new ManualClock();
    const throttle = new LoginThrottle(clock, 1000);
    const checked: string[] = [];
    throttle.submit('a', () => (checked.push('1'), false));
    const withdraw = throttle.submit('a', () => (checked.push('2'), true));
    throttle.submit('a', () => (checked.push('3'), true));
    withdraw();
    clock.advance(1000);
    expect(checked).toEqual(['1', '3']);
  });

  it('forgets an address once its failure is older than the delay', () => {
    const clock = new ManualClock();
    const throttle = new LoginThrottle(clock, 1000);
    const checked: string[] = [];
    throttle.submit('a', () => (checked.push('1'), false));
    clock.advance(1000);
    throttle.submit('a', () => (checked.push('2'), true));
    expect(checked).toEqual(['1', '2']);
    expect(clock.pending).toBe(0);
  });
});
