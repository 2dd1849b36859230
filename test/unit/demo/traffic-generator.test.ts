import { describe, expect, it } from 'vitest';
import { DEMO_TRAFFIC, TrafficGenerator, type SendTask } from '../../../src/demo/traffic-generator.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

function recorder(): { send: SendTask; calls: { name: string; options: Record<string, unknown> }[] } {
  const calls: { name: string; options: Record<string, unknown> }[] = [];
  return { calls, send: async (name, options) => void calls.push({ name, options: { ...options } }) };
}

/** A repeatable random source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('TrafficGenerator', () => {
  it('sends at the given rate only while started', () => {
    const clock = new ManualClock(0);
    const { send, calls } = recorder();
    const traffic = new TrafficGenerator({ send, rate: 4, clock, random: seeded(1) });
    clock.advance(5000);
    expect(calls).toHaveLength(0);
    traffic.start();
    clock.advance(2500);
    expect(calls).toHaveLength(10);
    traffic.stop();
    clock.advance(5000);
    expect(calls).toHaveLength(10);
    expect(traffic.isRunning).toBe(false);
  });

  it('sends every kind of the demo mix, in rough proportion to its weight', () => {
    const clock = new ManualClock(0);
    const { send, calls } = recorder();
    const traffic = new TrafficGenerator({ send, rate: 100, clock, random: seeded(42) });
    traffic.start();
    clock.advance(20_000);
    expect(calls).toHaveLength(2000);
    const total = DEMO_TRAFFIC.reduce((s, k) => s + k.weight, 0);
    for (const kind of DEMO_TRAFFIC) {
      const share = (traffic.sent.get(kind.label) ?? 0) / 2000;
      expect(share, kind.label).toBeGreaterThan((kind.weight / total) * 0.7);
      expect(share, kind.label).toBeLessThan((kind.weight / total) * 1.3);
    }
    const names = new Set(calls.map((c) => c.name));
    expect([...names].sort()).toEqual(['tasks.add', 'tasks.fail', 'tasks.fib', 'tasks.retry_me', 'tasks.sleep']);
    expect(calls.some((c) => typeof c.options['countdown'] === 'number')).toBe(true);
  });

  it('keeps going when a send fails, and reports it', async () => {
    const clock = new ManualClock(0);
    const errors: unknown[] = [];
    const traffic = new TrafficGenerator({ send: () => Promise.reject(new Error('broker gone')), rate: 10, clock, onError: (e) => errors.push(e) });
    traffic.start();
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    expect(errors).toHaveLength(10);
    expect(traffic.isRunning).toBe(true);
  });

  it('refuses an empty mix', () => {
    expect(() => new TrafficGenerator({ send: async () => {}, kinds: [] })).toThrow(RangeError);
  });
});
