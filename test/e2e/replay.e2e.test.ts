/**
 * `camq replay` in a real terminal, no broker: `camq events --json` lines, or a journal, played into the live view.
 * Run `npm run build` first.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openJournal } from '../../src/journal/index.js';
import { scriptedEvent } from '../fakes/event-script.js';
import { ROOT } from '../helpers/run-bin.js';
import { shellQuote, TmuxSession } from '../helpers/tmux.js';

const dir = mkdtempSync(join(tmpdir(), 'camq-e2e-replay-'));
let tmux: TmuxSession | undefined;
afterAll(() => {
  tmux?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** Four tasks two seconds apart, the odd ones failing, as `camq events --json` prints them (after its banner). */
function recording(): string {
  const t0 = Date.now() / 1000 - 120;
  const lines = ['-> evdump: starting capture on amqp://guest:**@rabbit:5672//...'];
  for (let i = 0; i < 4; i++) {
    const base = { uuid: `${i}0000000-aaaa-bbbb-cccc-000000000000`, hostname: 'w1@vm', utcoffset: 0, pid: 1, clock: i };
    lines.push(
      JSON.stringify({
        ...base,
        type: 'task-received',
        name: 'tasks.add',
        args: `(${i}, 1)`,
        kwargs: '{}',
        timestamp: t0 + 2 * i,
        local_received: t0 + 2 * i,
      }),
    );
    const end =
      i % 2 === 1 ? { type: 'task-failed', exception: "ValueError('boom')" } : { type: 'task-succeeded', result: String(i + 1), runtime: 0.01 };
    lines.push(JSON.stringify({ ...base, ...end, timestamp: t0 + 2 * i + 0.5, local_received: t0 + 2 * i + 0.5 }));
  }
  return lines.join('\n') + '\n';
}

describe('camq replay', () => {
  it('--speed 4 plays the events at four times their pace, F groups the failures, retry says a replay has no broker', async () => {
    const file = join(dir, 'incident.jsonl');
    writeFileSync(file, recording());
    const started = Date.now();
    tmux = new TmuxSession(`node ${shellQuote(`${ROOT}bin/camq`)} replay ${shellQuote(file)} --speed 4`, {
      width: 120,
      height: 30,
      env: { NO_COLOR: '1' },
    });
    await tmux.waitFor(`replay of ${file}: 8 events, 4× speed · no broker: actions are off`);
    await tmux.waitFor(/SUCCESS\s+tasks\.add\s+00000000/);
    const screen = await tmux.waitFor(/FAILURE\s+tasks\.add\s+30000000/);
    // 6.5 s of recorded time at 4×: about 1.6 s after the first event.
    expect(Date.now() - started).toBeGreaterThan(1500);
    expect(screen).toMatch(/SUCCESS\s+tasks\.add\s+20000000/);
    tmux.send('F');
    await tmux.waitFor(/2 ValueError\s+tasks\.add/);
    tmux.send('R');
    await tmux.waitFor('a replay has no broker: retry from the live view');
    tmux.send('q');
    await tmux.waitFor('[exited 0]');
  });

  it('t sets a time range read from the journal past --max-tasks, ] steps it, a wrong answer changes nothing, t Enter is live', async () => {
    // A journal of five tasks, 5 s after 50, 40, 30, 20 and 10 minutes ago, each named after its age, a segment each.
    const journalDir = join(dir, 'journal');
    const now = Date.now();
    for (const m of [50, 40, 30, 20, 10]) {
      const at = now - m * 60_000 + 5000;
      const journal = openJournal({ dir: journalDir, flushIntervalMs: 60_000, now: () => at });
      const uuid = `${m}000000-aaaa-bbbb-cccc-000000000000`;
      journal.appendEvents([
        scriptedEvent('task-received', 'w1@vm', { uuid, name: `tasks.m${m}`, args: '()', kwargs: '{}' }, at),
        scriptedEvent('task-succeeded', 'w1@vm', { uuid, runtime: 0.01 }, at + 50),
      ]);
      journal.close();
    }
    tmux?.kill();
    // --max-tasks 2: the view keeps the two newest; older ranges come from the journal.
    tmux = new TmuxSession(`node ${shellQuote(`${ROOT}bin/camq`)} replay ${shellQuote(journalDir)} --all --max-tasks 2`, {
      width: 120,
      height: 30,
      env: { NO_COLOR: '1' },
    });
    const rows = (screen: string) => [...screen.matchAll(/SUCCESS\s+tasks\.(m\d+)/g)].map((m) => m[1]).join(' ');
    await tmux.waitFor((screen) => rows(screen) === 'm10 m20');
    tmux.send('t');
    await tmux.waitFor('time range (14:00, 14:00..14:30, -1h, -30m..-10m; empty = live):');
    tmux.type('-45m..-35m');
    let screen = await tmux.waitFor('(paused: [ ] step, t sets, t then Enter for live) · from the journal: 2 events');
    expect(rows(screen)).toBe('m40');
    // Seconds shown unless both ends fall on a whole minute (now's seconds may be :00).
    expect(screen).toMatch(/Tasks {2}1 in \d\d:\d\d(:\d\d)?–\d\d:\d\d(:\d\d)?/);
    tmux.send(']', { literal: true });
    await tmux.waitFor((s) => rows(s) === 'm30');
    tmux.send('t');
    tmux.type('14:61');
    screen = await tmux.waitFor("time range: '14:61' is not a time: try 14:00, 14:00..14:30");
    expect(rows(screen)).toBe('m30');
    tmux.send('Escape');
    tmux.send('t');
    tmux.send('Enter');
    await tmux.waitFor((s) => rows(s) === 'm10 m20' && s.includes('replay of'));
    tmux.send('q');
    await tmux.waitFor('[exited 0]');
  });

  it('refuses a file without events with one line', async () => {
    const file = join(dir, 'empty.txt');
    writeFileSync(file, 'hello\n');
    tmux?.kill();
    tmux = new TmuxSession(`node ${shellQuote(`${ROOT}bin/camq`)} replay ${shellQuote(file)}`, { width: 160, height: 10 });
    const screen = await tmux.waitFor('[exited');
    expect(screen).toContain(`${file} holds no events: expected one JSON event per line`);
  });
});
