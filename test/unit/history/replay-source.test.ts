import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readReplaySource } from '../../../src/history/replay-source.js';
import { openJournal } from '../../../src/journal/index.js';
import type { EventEnvelope } from '../../../src/protocol/event-message.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'camq-replay-'));
  dirs.push(d);
  return d;
}
const T0 = Math.floor(Date.now() / 1000) - 60;
const event = (uuid: string, at: number) =>
  ({ type: 'task-received', uuid, hostname: 'w@h', timestamp: T0 + at, utcoffset: 0, pid: 1, clock: at, local_received: T0 + at }) as EventEnvelope;

describe('what camq replay reads', () => {
  it('a journal directory: its events, each once', () => {
    const dir = tempDir();
    const journal = openJournal({ dir, flushIntervalMs: 60_000 });
    journal.appendEvents([event('a', 1), event('b', 2), event('a', 1)]);
    journal.close();
    const source = readReplaySource(dir);
    expect(source.kind).toBe('journal');
    expect(source.events.map((e) => (e as unknown as { uuid: string }).uuid)).toEqual(['a', 'b']);
  });

  it('`camq events --json` lines: the events, the banner and other lines skipped', () => {
    const file = join(tempDir(), 'events.jsonl');
    writeFileSync(
      file,
      ['-> evdump: starting capture on amqp://…', JSON.stringify(event('a', 1)), '', '[1, 2]', JSON.stringify(event('b', 2))].join('\n'),
    );
    const source = readReplaySource(file);
    expect(source).toMatchObject({ kind: 'jsonl', skipped: 2 });
    expect(source.events).toHaveLength(2);
  });

  it('refuses a missing path, an empty directory and a file without events, naming them', () => {
    const dir = tempDir();
    expect(() => readReplaySource(join(dir, 'nope'))).toThrow(/cannot read .*nope \(ENOENT\): give a journal directory/);
    expect(() => readReplaySource(dir)).toThrow(/holds no journal events/);
    const file = join(dir, 'x.txt');
    writeFileSync(file, 'hello\n');
    expect(() => readReplaySource(file)).toThrow(/holds no events: expected one JSON event per line/);
  });
});
