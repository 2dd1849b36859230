import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterStore } from '../../../src/events/cluster-store.js';
import { describeHistory, loadJournalHistory } from '../../../src/history/history-loader.js';
import { openJournal, readJournal } from '../../../src/journal/index.js';
import type { EventEnvelope } from '../../../src/protocol/event-message.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { scriptedEvent } from '../../fakes/event-script.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T0 = Math.floor(Date.now() / 1000) - 3600;
/** A task event from w1@h, sent and received `at` seconds after T0 (an hour ago: within every age bound). */
const ev = (type: string, uuid: string, at: number, extra: Record<string, unknown> = {}): EventEnvelope =>
  scriptedEvent(type, 'w1@h', { uuid, pid: 1, ...extra }, (T0 + at) * 1000);

function journalWith(events: EventEnvelope[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'camq-history-'));
  dirs.push(dir);
  const journal = openJournal({ dir, flushIntervalMs: 60_000 });
  journal.appendEvents(events);
  journal.close();
  return dir;
}

describe('loading the journal into the live view', () => {
  it('puts each task in the store at its recorded time and says "history since …, N tasks"', () => {
    const events: EventEnvelope[] = [];
    for (let i = 0; i < 30; i++) {
      events.push(ev('task-received', `t${i}`, i, { name: 'tasks.add', args: `(${i}, 1)`, kwargs: '{}' }));
      events.push(i % 3 === 0 ? ev('task-failed', `t${i}`, i + 0.5, { exception: "ValueError('boom')" }) : ev('task-succeeded', `t${i}`, i + 0.5));
    }
    const dir = journalWith(events);
    const store = new ClusterStore({ clock: new ManualClock(), maxTasks: 100 });
    const info = loadJournalHistory(readJournal(dir), store, 100);
    expect(info).toEqual({ since: T0 * 1000, tasks: 30, events: 60 });
    expect(store.state.tasks.size).toBe(30);
    const t3 = store.state.tasks.get('t3')!;
    expect(t3.state).toBe('FAILURE');
    expect(t3.args).toBe('(3, 1)');
    // The recorded receipt time, not the load's: `h` (live only) hides it.
    expect(t3.updatedAt).toBe((T0 + 3.5) * 1000);
    expect(describeHistory(info, Date.now())).toMatch(/^history since \d\d:\d\d:\d\d, 30 tasks$/);
  });

  it('keeps no more than --max-tasks (the newest) and drops what came after `until`', () => {
    const events = Array.from({ length: 50 }, (_, i) => ev('task-received', `t${i}`, i, { name: 'tasks.add' }));
    const dir = journalWith(events);
    const store = new ClusterStore({ clock: new ManualClock(), maxTasks: 10 });
    const info = loadJournalHistory(readJournal(dir), store, 10, (T0 + 40) * 1000);
    expect(info.events).toBe(40);
    expect(info.tasks).toBe(10);
    expect([...store.state.tasks.keys()]).toEqual(Array.from({ length: 10 }, (_, i) => `t${30 + i}`));
  });

  it('an empty journal: nothing loaded, says so', () => {
    const dir = journalWith([]);
    const store = new ClusterStore({ clock: new ManualClock() });
    const info = loadJournalHistory(readJournal(dir), store, 100);
    expect(info).toEqual({ since: undefined, tasks: 0, events: 0 });
    expect(describeHistory(info, Date.now())).toBe('no history in the journal yet');
  });
});
