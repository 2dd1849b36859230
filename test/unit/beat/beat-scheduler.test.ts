import { describe, expect, it } from 'vitest';
import { BeatScheduler, type EntryRun } from '../../../src/beat/beat-scheduler.js';
import { MemoryBeatState } from '../../../src/beat/beat-state-file.js';
import { defineScheduleEntry, type ScheduleEntry } from '../../../src/beat/schedule-entry.js';
import { zoneNamed } from '../../../src/beat/time-zone.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

const START = Date.UTC(2026, 11, 6, 10, 0, 7, 250);
const entries = [
  defineScheduleEntry('every-minute', { task: 'tasks.add', crontab: { minute: '*' }, args: [1, 2] }),
  defineScheduleEntry('every-5s', { task: 'tasks.noop', every: '5s' }),
];

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** Run a scheduler on the manual clock for `ms`, in 50 ms steps, recording each send. */
function harness(clock: ManualClock, state: MemoryBeatState, sends: EntryRun[], list: readonly ScheduleEntry[] = entries) {
  const scheduler = new BeatScheduler({ entries: list, state, clock, send: async () => ({ id: `id-${sends.length}` }) });
  scheduler.on('sent', (run) => sends.push(run));
  return {
    scheduler,
    async run(ms: number) {
      scheduler.resume();
      for (let t = 0; t < ms; t += 50) {
        clock.advance(50);
        await settle();
      }
    },
  };
}

describe('BeatScheduler', () => {
  it("fires a crontab minute='*' entry at each minute and an every-5s entry every 5 s, within 1 s", async () => {
    const clock = new ManualClock(START);
    const sends: EntryRun[] = [];
    const h = harness(clock, new MemoryBeatState(), sends);
    await h.run(150_000);
    await h.scheduler.pause();
    const minute = sends.filter((s) => s.entry.name === 'every-minute').map((s) => s.sentAt);
    expect(minute.map((t) => new Date(t).toISOString().slice(11, 19))).toEqual(['10:01:00', '10:02:00']);
    for (const t of minute) expect(t % 60_000).toBeLessThan(1000);
    const five = sends.filter((s) => s.entry.name === 'every-5s').map((s) => s.sentAt);
    expect(five.length).toBe(30);
    // Each run is due 5 s after the last one went (Celery's last_run_at + run_every), and goes within a second.
    expect(new Set(five.slice(1).map((t, i) => t - five[i]!))).toEqual(new Set([5000]));
    for (const s of sends) expect(s.sentAt - s.dueAt).toBeLessThan(1000);
  });

  it('sleeps until the next entry is due, never longer than the max interval', async () => {
    const clock = new ManualClock(START);
    const one = [defineScheduleEntry('daily', { task: 't', crontab: { minute: 0, hour: 4 } })];
    const scheduler = new BeatScheduler({ entries: one, clock, send: async () => ({ id: 'x' }), maxIntervalMs: 300_000 });
    expect(await scheduler.tick()).toBe(300_000);
    const short = new BeatScheduler({ entries: [defineScheduleEntry('s', { task: 't', every: 2 })], clock, send: async () => ({ id: 'x' }) });
    expect(await short.tick()).toBe(2000);
  });

  it('a restart in between neither skips nor doubles a run', async () => {
    const clock = new ManualClock(START);
    const state = new MemoryBeatState();
    const sends: EntryRun[] = [];
    const first = harness(clock, state, sends);
    await first.run(90_000); // to 10:01:37
    await first.scheduler.pause();
    clock.advance(2_000); // down for 2 s, nothing due meanwhile
    const second = harness(clock, state, sends);
    await second.run(60_000); // to 10:02:39
    await second.scheduler.pause();
    const minute = sends.filter((s) => s.entry.name === 'every-minute').map((s) => new Date(s.sentAt).toISOString().slice(11, 19));
    expect(minute).toEqual(['10:01:00', '10:02:00']);
    const five = sends.filter((s) => s.entry.name === 'every-5s').map((s) => s.sentAt);
    // 5 s apart throughout, the restart included: 18 runs before it, 12 after (10:00:12 … 10:02:37).
    expect(new Set(five.slice(1).map((t, i) => t - five[i]!))).toEqual(new Set([5000]));
    expect(five.length).toBe(30);
  });

  it('after downtime, runs each overdue entry once, then keeps the schedule', async () => {
    const clock = new ManualClock(START);
    const state = new MemoryBeatState();
    const sends: EntryRun[] = [];
    const first = harness(clock, state, sends);
    await first.run(60_000);
    await first.scheduler.pause();
    const before = sends.length;
    clock.advance(10 * 60_000); // down 10 minutes: ten minute runs and 120 interval runs missed
    const second = harness(clock, state, sends);
    second.scheduler.resume();
    clock.advance(0);
    await settle();
    const catchUp = sends.slice(before);
    expect(catchUp.map((s) => s.entry.name).sort()).toEqual(['every-5s', 'every-minute']);
    await second.run(60_000);
    await second.scheduler.pause();
    const minute = sends.slice(before).filter((s) => s.entry.name === 'every-minute');
    expect(minute.length).toBe(2); // the catch-up at 10:11:07, then 10:12:00
    expect(new Date(minute[1]!.sentAt).toISOString().slice(11, 19)).toBe('10:12:00');
  });

  it('drops stored entries the module no longer has and keeps the runs of those it still has (merge_inplace)', async () => {
    const clock = new ManualClock(START);
    const state = new MemoryBeatState();
    state.save(
      new Map([
        ['gone', { lastRunAt: START - 1000, totalRunCount: 4 }],
        ['every-5s', { lastRunAt: START - 2000, totalRunCount: 7 }],
      ]),
    );
    const scheduler = new BeatScheduler({ entries, state, clock, send: async () => ({ id: 'x' }) });
    scheduler.load();
    const view = scheduler.view();
    expect(view.map((v) => [v.name, v.totalRunCount, v.nextRunAt - START])).toEqual([
      ['every-5s', 7, 3000],
      ['every-minute', 0, 52_750],
    ]);
    expect([...state.load().keys()].sort()).toEqual(['every-5s', 'every-minute']);
  });

  it('saves the last run before sending, and a failed send is logged, not retried in a loop', async () => {
    const clock = new ManualClock(START);
    const state = new MemoryBeatState();
    const failures: string[] = [];
    const scheduler = new BeatScheduler({
      entries: [defineScheduleEntry('s', { task: 't', every: 1 })],
      state,
      clock,
      send: async () => {
        expect(state.load().get('s')!.totalRunCount).toBe(1);
        throw new Error('no route');
      },
    });
    scheduler.on('send-failed', (_e, err) => failures.push(err.message));
    scheduler.load();
    clock.advance(1000);
    expect(await scheduler.tick()).toBe(1000);
    expect(failures).toEqual(['no route']);
    expect(await scheduler.tick()).toBe(1000);
    expect(failures.length).toBe(1);
  });

  it('reads crontabs in the zone it is given', async () => {
    // 02:30 in Berlin is 01:30 UTC in winter.
    const clock = new ManualClock(Date.UTC(2026, 0, 10, 1, 0, 0));
    const scheduler = new BeatScheduler({
      entries: [defineScheduleEntry('night', { task: 't', crontab: { minute: 30, hour: 2 } })],
      clock,
      zone: zoneNamed('Europe/Berlin'),
      send: async () => ({ id: 'x' }),
    });
    expect(new Date(scheduler.view()[0]!.nextRunAt).toISOString()).toBe('2026-01-10T01:30:00.000Z');
  });
});
