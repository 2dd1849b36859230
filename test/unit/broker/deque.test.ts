import { describe, expect, it } from 'vitest';
import { Deque } from '../../../src/broker/deque.js';

describe('Deque', () => {
  it('behaves like an array under a long random mix of operations, across growth and wrap-around', () => {
    const deque = new Deque<number>();
    const model: number[] = [];
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20000; i++) {
      const r = random();
      if (r < 0.4) {
        deque.push(i);
        model.push(i);
      } else if (r < 0.55) {
        deque.unshift(i);
        model.unshift(i);
      } else if (r < 0.65) {
        const at = Math.floor(random() * (model.length + 1));
        deque.insertAt(at, i);
        model.splice(at, 0, i);
      } else {
        expect(deque.shift()).toBe(model.shift());
      }
      expect(deque.length).toBe(model.length);
      expect(deque.peek()).toBe(model[0]);
    }
    expect([...deque]).toEqual(model);
    expect(deque.at(model.length)).toBeUndefined();
    expect(deque.clear()).toBe(model.length);
    expect(deque.shift()).toBeUndefined();
  });
});
