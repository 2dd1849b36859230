import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTimeBound } from '../../../src/cli/commands/history.js';
import { runCli } from '../../../src/cli/main.js';
import { createCamqProgram } from '../../../src/cli/program.js';
import { openJournal } from '../../../src/journal/index.js';
import type { EventEnvelope } from '../../../src/protocol/event-message.js';
import { captureIO } from '../../helpers/capture-io.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T = Math.floor(Date.now() / 1000) - 600;
const ev = (type: string, uuid: string, at: number, extra: Record<string, unknown> = {}) =>
  ({ type, uuid, hostname: 'w1@h', timestamp: T + at, utcoffset: 0, pid: 1, clock: at, local_received: T + at, ...extra }) as EventEnvelope;

function journalWithTasks(): string {
  const dir = mkdtempSync(join(tmpdir(), 'camq-history-'));
  dirs.push(dir);
  const j = openJournal({ dir });
  j.appendEvents([
    ev('task-received', 'ok-1', 1, { name: 'tasks.add', args: '(1, 2)' }),
    ev('task-succeeded', 'ok-1', 2, { result: '3' }),
    ev('task-received', 'bad-1', 3, { name: 'tasks.fail' }),
    ev('task-failed', 'bad-1', 4, { exception: "RuntimeError('kaboom')" }),
  ]);
  j.appendAction({ who: 'ann@ops', what: 'revoke', when: (T + 5) * 1000, target: 'bad-1', args: { terminate: true } });
  j.close();
  return dir;
}

async function history(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { io, out, err } = captureIO();
  const code = await runCli(createCamqProgram(io), ['node', 'camq', 'history', ...args], io);
  return { code, out: out(), err: err() };
}

describe('camq history', () => {
  it('lists the tasks as lines, filtered by state and name', async () => {
    const dir = journalWithTasks();
    const failed = await history(['--journal', dir, '--state', 'failure']);
    expect(failed.code).toBe(0);
    expect(failed.out).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} {2}FAILURE {3}tasks\.fail\[bad-1\] {2}w1@h {2}RuntimeError\('kaboom'\)\n$/);
    const added = await history(['--journal', dir, '--task', 'tasks.add', '--json']);
    expect(
      added.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([expect.objectContaining({ uuid: 'ok-1', name: 'tasks.add', state: 'SUCCESS', result: '3', args: '(1, 2)' })]);
    expect((await history(['--journal', dir, '--since', '1s'])).err).toMatch(/no tasks recorded in .* match/);
  });

  it('--actions lists the audit trail', async () => {
    const dir = journalWithTasks();
    const { code, out } = await history(['--journal', dir, '--actions']);
    expect(code).toBe(0);
    expect(out).toMatch(/ {2}ann@ops {2}revoke bad-1 \{"terminate":true\}\n$/);
  });

  it('refuses a --since it cannot read, in one line', async () => {
    const { code, err } = await history(['--since', 'yesterday-ish']);
    expect(code).toBe(1);
    expect(err).toMatch(/expected a duration ago \(30s, 15m, 1h, 2d, 1w\), a time \(14:00\) or an ISO date, got 'yesterday-ish'/);
    expect(parseTimeBound('1h', 10_000_000)).toBe(10_000_000 - 3_600_000);
    expect(parseTimeBound('2026-12-06T10:00:00Z')).toBe(Date.UTC(2026, 11, 6, 10));
  });
});
