/**
 * `camq beat` as a user runs it (bin/camq, built), on RabbitMQ and the embedded broker: an every-5s entry keeps its
 * rhythm across a restart (the state file; no run skipped, none doubled), a second `camq beat` is refused with one
 * line while the first lives, SIGTERM ends it cleanly, and a Python Celery 5.2 worker runs what it sends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, it } from 'vitest';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { deleteQueues } from '../../helpers/camq-worker.js';
import { whenExited } from '../../helpers/child-exit.js';
import { watchLog, type ProcessLog } from '../../helpers/process-log.js';
import { startPythonWorker, usePythonCelery, type PythonWorker } from '../../helpers/python-celery.js';
import { ROOT, runBin } from '../../helpers/run-bin.js';

const targets = await brokerTargets({ embedded: 'child-process' });
const withPython = await usePythonCelery('the Python-worker-runs-what-beat-sends test is skipped');
const FIXTURE = join(ROOT, 'test/fixtures/beat/schedule.mjs');
const dir = mkdtempSync(join(tmpdir(), 'camq-beat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface BeatProcess {
  child: ChildProcess;
  log: ProcessLog;
  exited: Promise<number | null>;
}

/** `[2026-12-06 10:27:39,045: INFO/MainProcess] Scheduler: Sending due task add-every-5s (tasks.add)` → epoch ms. */
function sendTimes(log: string, entry: string): number[] {
  const pattern = new RegExp(`^\\[(\\d+)-(\\d+)-(\\d+) (\\d+):(\\d+):(\\d+),(\\d+): INFO/MainProcess\\] Scheduler: Sending due task ${entry} `, 'gm');
  return [...log.matchAll(pattern)].map((m) => new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!).getTime());
}

describeBrokers('camq beat (the command)', targets, ({ url, inspector }) => {
  const queues: string[] = [];
  const children: BeatProcess[] = [];
  let python: PythonWorker | undefined;
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.child.kill('SIGKILL');
      await c.exited;
    }
    await python?.stop();
    python = undefined;
    await deleteQueues(url, queues.splice(0));
  });

  function startBeat(args: readonly string[], queue: string): BeatProcess {
    const child = spawn(process.execPath, [join(ROOT, 'bin/camq'), '-b', url, 'beat', '-A', FIXTURE, '-l', 'info', ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', CAMQ_BEAT_QUEUE: queue },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = whenExited(child);
    const beat = { child, exited, log: watchLog(child, 'camq beat', exited) };
    children.push(beat);
    return beat;
  }

  async function stop(beat: BeatProcess): Promise<number | null> {
    beat.child.kill('SIGTERM');
    const code = await beat.exited;
    children.splice(children.indexOf(beat), 1);
    return code;
  }

  it('keeps an every-5s entry on time across a restart, refuses a second beat while the first lives, and exits 0 on SIGTERM', async ({ expect }) => {
    const queue = `camq-beat-cli-${randomUUID()}`;
    queues.push(queue);
    const lock = `camq.beat.test.${randomUUID()}`;
    const state = join(dir, `${randomUUID()}.json`);
    const first = startBeat(['-s', state, '--lock', lock], queue);
    await first.log.waitFor(/holding the lock/);
    const second = await runBin('camq', ['-b', url, 'beat', '-A', FIXTURE, '-s', join(dir, 'other.json'), '--lock', lock], {
      env: { CAMQ_BEAT_QUEUE: queue },
    });
    expect(second.code).toBe(1);
    const lines = second.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(new RegExp(`^Error: another beat holds the lock '${lock.replace(/\./g, '\\.')}' on .*--wait-lock`));
    expect(lines.filter((l) => /another beat/.test(l))).toHaveLength(1);
    await first.log.waitFor(/(Sending due task add-every-5s[^]*){2}/, 15_000);
    expect(await stop(first)).toBe(0);
    expect(first.log.output()).toContain('beat: Shutting down...');
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { entries: Record<string, { total_run_count: number }> };
    expect(saved.entries['add-every-5s']?.total_run_count).toBe(2);

    const again = startBeat(['-s', state, '--lock', lock], queue);
    await again.log.waitFor(/(Sending due task add-every-5s[^]*){2}/, 15_000);
    expect(await stop(again)).toBe(0);
    const times = [...sendTimes(first.log.output(), 'add-every-5s'), ...sendTimes(again.log.output(), 'add-every-5s')];
    expect(times).toHaveLength(4);
    // 5 s apart (±1 s), the restart included: nothing skipped, nothing sent twice.
    for (let i = 1; i < times.length; i++) {
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(4900);
      expect(times[i]! - times[i - 1]!).toBeLessThan(6000);
    }
    const minute = sendTimes(first.log.output() + again.log.output(), 'add-every-minute');
    for (const t of minute) expect(t % 60_000).toBeLessThan(1000);
    await expect.poll(async () => (await inspector.queue(queue))?.messages).toBe(4 + minute.length);
  });

  it('camq worker -B runs its own schedule', async ({ expect }) => {
    const queue = `camq-beat-wb-${randomUUID()}`;
    queues.push(queue);
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin/camq'),
        '-b',
        url,
        'worker',
        '-A',
        FIXTURE,
        '-B',
        '-s',
        join(dir, `${randomUUID()}.json`),
        '-Q',
        queue,
        '-l',
        'info',
        '--without-mingle',
        '--no-banner',
      ],
      { cwd: dir, env: { ...process.env, NO_COLOR: '1', CAMQ_BEAT_QUEUE: queue }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = whenExited(child);
    const worker = { child, exited, log: watchLog(child, 'camq worker -B', exited) };
    children.push(worker);
    await worker.log.waitFor(/Task tasks\.add\[[0-9a-f-]+\] succeeded in [\d.e-]+s: 2/, 15_000);
    expect(worker.log.output()).toMatch(/Scheduler: Sending due task add-every-5s \(tasks\.add\)/);
    expect(await stop(worker)).toBe(0);
  });

  it('--list prints the entries with their columns, --json parses, and a running beat answers with its next runs', async ({ expect }) => {
    const queue = `camq-beat-list-${randomUUID()}`;
    queues.push(queue);
    const state = join(dir, `${randomUUID()}.json`);
    const list = (args: readonly string[]) =>
      runBin('camq', ['-b', url, 'beat', '-A', FIXTURE, '-s', state, '--list', '--timeout', '1', ...args], { env: { CAMQ_BEAT_QUEUE: queue } });
    interface Listed {
      entries: { name: string; task: string; next_run_at: string; total_run_count: number }[];
      running: { hostname: string; entries: { name: string; next_run_at: number }[] } | null;
    }

    const alone = await list(['--json', '--timeout', '0.3']);
    expect(alone.code).toBe(0);
    const none = JSON.parse(alone.stdout) as Listed;
    expect(none.entries.map((e) => [e.name, e.task, e.total_run_count]).sort()).toEqual([
      ['add-every-5s', 'tasks.add', 0],
      ['add-every-minute', 'tasks.add', 0],
    ]);
    for (const e of none.entries) expect(Date.parse(e.next_run_at)).toBeGreaterThan(Date.now() - 1000);
    expect(none.running).toBeNull();

    const name = `beat-list-${randomUUID().slice(0, 8)}@test`;
    const beat = startBeat(['-s', state, '--lock', `camq.beat.test.${randomUUID()}`, '-n', name], queue);
    await beat.log.waitFor(/beat: Starting/);
    const text = await list([]);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines.filter((l) => /^NAME +TASK +SCHEDULE +NEXT RUN +LAST RUN +RUNS$/.test(l.trimEnd()))).toHaveLength(2);
    expect(lines.filter((l) => /^add-every-5s +tasks\.add +\S.* \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +(-|\d{4}.*Z) +\d+$/.test(l.trimEnd()))).toHaveLength(
      2,
    );
    expect(lines.filter((l) => /^add-every-minute +tasks\.add /.test(l))).toHaveLength(2);
    expect(text.stdout).toContain(`running beat ${name} (lock camq.beat.test.`);

    const json = JSON.parse((await list(['--json'])).stdout) as Listed;
    expect(json.running?.hostname).toBe(name);
    const next = Object.fromEntries(json.running!.entries.map((e) => [e.name, e.next_run_at * 1000]));
    // The running beat's own next runs: the 5 s entry within 5 s, the minute one within the minute.
    expect(next['add-every-5s']! - Date.now()).toBeLessThanOrEqual(5_500);
    expect(next['add-every-minute']! - Date.now()).toBeLessThanOrEqual(60_500);
    expect(await stop(beat)).toBe(0);
  });

  it.skipIf(!withPython)('a Python Celery worker runs what camq beat sends', async ({ expect }) => {
    const queue = `camq-beat-py-${randomUUID()}`;
    queues.push(queue);
    python = await startPythonWorker({ brokerUrl: url, nodename: `beatpy-${randomUUID().slice(0, 8)}@%h`, queues: queue, concurrency: 1 });
    const beat = startBeat(['-s', join(dir, `${randomUUID()}.json`), '--lock', `camq.beat.test.${randomUUID()}`], queue);
    await python.waitForLog(/Task tasks\.add\[[0-9a-f-]+\] succeeded in [\d.]+s: 2/, 15_000);
    expect(await stop(beat)).toBe(0);
    expect(beat.log.output()).toMatch(/Sending due task add-every-5s \(tasks\.add\)/);
  });
});

it('--list with the broker unreachable still prints the module schedule, then the broker error with exit code 2', async ({ expect }) => {
  const listed = await runBin('camq', ['-b', 'amqp://guest:guest@127.0.0.1:1//', 'beat', '-A', FIXTURE, '-s', join(dir, 'down.json'), '--list']);
  expect(listed.code).toBe(2);
  expect(listed.stdout.split('\n').filter((l) => /^add-every-(5s|minute) +tasks\.add /.test(l))).toHaveLength(2);
  const errors = listed.stderr.trim().split('\n');
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/^Error: .*127\.0\.0\.1:1/);
});
