import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openJournal } from '../../../src/journal/index.js';
import { HeartbeatThinner, JOURNAL_HEARTBEAT_SECONDS, widenJournalHeartbeat } from '../../../src/journal/heartbeat-thinning.js';
import type { EventEnvelope } from '../../../src/protocol/event-message.js';
import { scriptedEvent } from '../../fakes/event-script.js';

const T0 = 1_800_000_000;
const beat = (hostname: string, at: number) => scriptedEvent('worker-heartbeat', hostname, { freq: 2, active: 0 }, (T0 + at) * 1000);
const kept = (thinner: HeartbeatThinner, events: EventEnvelope[]) =>
  thinner.filter(events).map((e) => `${e.type}:${e.hostname}@${Math.round(e.local_received! - T0)}`);

describe('HeartbeatThinner', () => {
  it("keeps each worker's first heartbeat, then one a minute; other events all", () => {
    const thinner = new HeartbeatThinner();
    const events: EventEnvelope[] = [];
    for (let s = 0; s <= 130; s += 2) events.push(beat('w1@h', s), beat('w2@h', s + 1));
    events.push(scriptedEvent('task-received', 'w1@h', { uuid: 'u1' }, (T0 + 131) * 1000));
    expect(kept(thinner, events)).toEqual([
      'worker-heartbeat:w1@h@0',
      'worker-heartbeat:w2@h@1',
      'worker-heartbeat:w1@h@60',
      'worker-heartbeat:w2@h@61',
      'worker-heartbeat:w1@h@120',
      'worker-heartbeat:w2@h@121',
      'task-received:w1@h@131',
    ]);
  });

  it('keeps the first heartbeat after worker-online or worker-offline, and one that goes back in time', () => {
    const thinner = new HeartbeatThinner();
    expect(kept(thinner, [beat('w1@h', 0), beat('w1@h', 2)])).toEqual(['worker-heartbeat:w1@h@0']);
    const online = scriptedEvent('worker-online', 'w1@h', { freq: 2 }, (T0 + 3) * 1000);
    expect(kept(thinner, [online, beat('w1@h', 4), beat('w1@h', 6)])).toEqual(['worker-online:w1@h@3', 'worker-heartbeat:w1@h@4']);
    expect(kept(thinner, [beat('w1@h', -10)])).toEqual(['worker-heartbeat:w1@h@-10']);
  });

  it('returns the same array when nothing is dropped', () => {
    const events = [beat('w1@h', 0), beat('w2@h', 0)];
    expect(new HeartbeatThinner().filter(events)).toBe(events);
  });
});

describe('the journal', () => {
  it('writes the heartbeats the thinner keeps', () => {
    const dir = mkdtempSync(join(tmpdir(), 'camq-heartbeats-'));
    try {
      const now = Math.floor(Date.now() / 1000) - 600;
      const journal = openJournal({ dir });
      for (let s = 0; s < 90; s += 2) journal.appendEvents([scriptedEvent('worker-heartbeat', 'w1@h', { freq: 2 }, (now + s) * 1000)]);
      journal.close();
      expect(
        journal
          .reader()
          .events()
          .map((e) => Math.round(e.local_received! - now)),
      ).toEqual([0, 60]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('widenJournalHeartbeat', () => {
  it('gives a journal heartbeat the minute it stands for, and leaves other events alone', () => {
    expect(widenJournalHeartbeat(beat('w1@h', 0))).toMatchObject({ type: 'worker-heartbeat', freq: JOURNAL_HEARTBEAT_SECONDS });
    const task = scriptedEvent('task-received', 'w1@h', { uuid: 'u1' }, T0 * 1000);
    expect(widenJournalHeartbeat(task)).toBe(task);
  });
});
