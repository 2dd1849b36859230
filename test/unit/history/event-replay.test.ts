import { describe, expect, it } from 'vitest';
import { EventReplay } from '../../../src/history/event-replay.js';
import type { EventEnvelope } from '../../../src/protocol/event-message.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

const T0 = 1_800_000_000;
function ev(uuid: string, at: number): EventEnvelope {
  return {
    type: 'task-received',
    uuid,
    hostname: 'w1@h',
    timestamp: T0 + at,
    utcoffset: 0,
    pid: 1,
    clock: 1,
    local_received: T0 + at,
  } as EventEnvelope;
}

/** A sink that notes when (clock ms since start) each event arrived, and how. */
function sink(clock: ManualClock) {
  const start = clock.monotonic();
  const got: { uuid: string; at: number; how: 'live' | 'history'; received: number }[] = [];
  const note = (how: 'live' | 'history') => (events: readonly EventEnvelope[]) => {
    for (const e of events)
      got.push({ uuid: (e as unknown as { uuid: string }).uuid, at: clock.monotonic() - start, how, received: e.local_received ?? 0 });
  };
  return { got, dispatch: note('live'), loadHistory: note('history') };
}

// Recorded out of order (two writers): replayed in receipt-time order.
const EVENTS = [ev('a', 0), ev('c', 10), ev('b', 2), ev('d', 10.02)];

describe('replaying recorded events', () => {
  it('at real speed: each event when its recorded offset has passed, received "now"', () => {
    const clock = new ManualClock();
    const s = sink(clock);
    let done = false;
    const replay = new EventReplay(EVENTS, s, { clock, onDone: () => (done = true) });
    replay.start();
    expect(s.got.map((g) => g.uuid)).toEqual(['a']);
    clock.advance(1999);
    expect(s.got.map((g) => g.uuid)).toEqual(['a']);
    clock.advance(1);
    expect(s.got.map((g) => [g.uuid, g.at])).toEqual([
      ['a', 0],
      ['b', 2000],
    ]);
    clock.advance(8000);
    // d is within the 50 ms batch of c: one delivery.
    expect(s.got.map((g) => [g.uuid, g.at])).toEqual([
      ['a', 0],
      ['b', 2000],
      ['c', 10000],
      ['d', 10000],
    ]);
    expect(done).toBe(true);
    expect(replay.done).toBe(4);
    expect(s.got.every((g) => g.how === 'live' && g.received !== T0)).toBe(true);
    expect(s.got[1]!.received).toBe(clock.now() / 1000 - 8);
  });

  it('--speed 10: ten times faster', () => {
    const clock = new ManualClock();
    const s = sink(clock);
    new EventReplay(EVENTS, s, { clock, speed: 10 }).start();
    clock.advance(199);
    expect(s.got.map((g) => g.uuid)).toEqual(['a']);
    clock.advance(1);
    expect(s.got.map((g) => g.uuid)).toEqual(['a', 'b']);
    clock.advance(800);
    expect(s.got.map((g) => [g.uuid, g.at])).toEqual([
      ['a', 0],
      ['b', 200],
      ['c', 1000],
      ['d', 1000],
    ]);
  });

  it('--all: everything at once, at the recorded times', () => {
    const clock = new ManualClock();
    const s = sink(clock);
    const replay = new EventReplay(EVENTS, s, { clock, speed: Infinity });
    replay.start();
    expect(s.got.map((g) => [g.uuid, g.how, g.received])).toEqual([
      ['a', 'history', T0],
      ['b', 'history', T0 + 2],
      ['c', 'history', T0 + 10],
      ['d', 'history', T0 + 10.02],
    ]);
  });

  it('stop: nothing more arrives', () => {
    const clock = new ManualClock();
    const s = sink(clock);
    const replay = new EventReplay(EVENTS, s, { clock });
    replay.start();
    replay.stop();
    clock.advance(60_000);
    expect(s.got.map((g) => g.uuid)).toEqual(['a']);
  });
});
