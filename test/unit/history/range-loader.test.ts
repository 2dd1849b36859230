import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTimeRange } from '../../../src/history/range-loader.js';
import { openJournal, readJournal } from '../../../src/journal/index.js';
import type { EventEnvelope } from '../../../src/protocol/event-message.js';
import { scriptedEvent } from '../../fakes/event-script.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T0 = (Math.floor(Date.now() / 1000) - 3600) * 1000;
const MIN = 60_000;

/** Three writers' sessions, 10 minutes apart, five tasks each (one segment per session). */
function journalOfThreeSessions(): string {
  const dir = mkdtempSync(join(tmpdir(), 'camq-range-'));
  dirs.push(dir);
  for (let s = 0; s < 3; s++) {
    const start = T0 + s * 10 * MIN;
    const journal = openJournal({ dir, flushIntervalMs: 60_000, now: () => start });
    const events: EventEnvelope[] = [];
    for (let i = 0; i < 5; i++) {
      const uuid = `s${s}-t${i}`;
      events.push(scriptedEvent('task-received', 'w1@h', { uuid, name: `tasks.s${s}` }, start + i * 1000));
      events.push(scriptedEvent('task-succeeded', 'w1@h', { uuid, runtime: 0.1 }, start + i * 1000 + 500));
    }
    journal.appendEvents(events);
    journal.close();
  }
  return dir;
}

describe('loading a time range from the journal', () => {
  it('reads the window a segment at a time, yielding between, into a state of its own at the recorded times', async () => {
    const reader = readJournal(journalOfThreeSessions());
    const window = { since: T0, until: T0 + 30 * MIN };
    expect(reader.timeSlices(window)).toEqual([
      { since: T0, until: T0 + 10 * MIN },
      { since: T0 + 10 * MIN, until: T0 + 20 * MIN },
      { since: T0 + 20 * MIN, until: T0 + 30 * MIN },
    ]);
    let pauses = 0;
    const load = await loadTimeRange(reader, window, { maxTasks: 100, pause: async () => void pauses++ });
    expect(pauses).toBe(3);
    expect(load?.events).toBe(30);
    expect(load?.isCapped).toBe(false);
    expect(load?.state.tasks.size).toBe(15);
    const first = load!.state.tasks.get('s0-t0')!;
    expect([first.firstSeenAt, first.updatedAt, first.state]).toEqual([T0, T0 + 500, 'SUCCESS']);

    const middle = await loadTimeRange(reader, { since: T0 + 5 * MIN, until: T0 + 15 * MIN }, { maxTasks: 100 });
    expect([...middle!.state.tasks.keys()]).toEqual(['s1-t0', 's1-t1', 's1-t2', 's1-t3', 's1-t4']);
  });

  it('keeps the newest --max-tasks of a long range, says so, and stops when nobody waits for it', async () => {
    const reader = readJournal(journalOfThreeSessions());
    const window = { since: T0, until: T0 + 30 * MIN };
    const capped = await loadTimeRange(reader, window, { maxTasks: 5 });
    expect(capped?.isCapped).toBe(true);
    expect(capped?.since).toBe(T0 + 20 * MIN);
    expect([...capped!.state.tasks.values()].map((t) => t.name)).toEqual(Array(5).fill('tasks.s2'));
    expect(await loadTimeRange(reader, window, { maxTasks: 5, isCancelled: () => true })).toBeUndefined();
  });
});
