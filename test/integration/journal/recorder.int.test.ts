/**
 * `camq record` as a user runs it (bin/camq, build first), on RabbitMQ and on the embedded broker, with a Python
 * Celery worker: events sent while the recorder is down wait in its durable queue; kill -9 mid-stream then a
 * restart records every event exactly once; the recorder and `camq events --json` on one journal keep each event
 * once. The journal is read with the library's JournalReader and, raw, segment by segment.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { deleteQueues } from '../../helpers/camq-worker.js';
import { runPython, startPythonWorker, usePythonCelery, type PythonWorker } from '../../helpers/python-celery.js';
import { runBin } from '../../helpers/run-bin.js';
import { readJournal } from '../../../src/journal/index.js';
import { payloadText, RecordKind } from '../../../src/journal/record-codec.js';
import { listSegments } from '../../../src/journal/segment-files.js';
import { scanSegment } from '../../../src/journal/segment-scan.js';
import { startCamqBin, type RunningCamq } from '../../helpers/camq-bin.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** Every task event in the `ev` segments as written, no dedup: `type uuid` → how many records. */
function rawTaskEvents(dir: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const seg of listSegments(dir)) {
    if (seg.kind !== 'ev') continue;
    for (const r of scanSegment(seg.path).records) {
      if (r.kind !== RecordKind.event) continue;
      const e = JSON.parse(payloadText(r)) as { type: string; uuid?: string };
      if (e.uuid === undefined) continue;
      const key = `${e.type} ${e.uuid}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/** Send `n` tasks.add to `queue` from Python and wait for every result; returns their ids. */
async function runTasks(url: string, queue: string, n: number): Promise<string[]> {
  const out = await runPython(
    url,
    [
      'from tasks import app',
      `rs = [app.send_task('tasks.add', (i, 1), queue='${queue}') for i in range(${n})]`,
      'for r in rs: r.get(timeout=120)',
      'print(" ".join(r.id for r in rs))',
    ].join('\n'),
    { timeoutMs: 150_000 },
  );
  return out.trim().split(' ');
}

const succeeded = (dir: string) =>
  new Set(
    readJournal(dir)
      .tasks({ state: 'SUCCESS' })
      .map((t) => t.uuid),
  );

const havePython = await usePythonCelery('the recorder tests with Python Celery are skipped');
const targets = havePython ? await brokerTargets({ embedded: 'child-process' }) : [];

describeBrokers('camq record', targets, ({ url }) => {
  const id = randomUUID().slice(0, 8);
  const taskQueue = `journal-tasks-${id}`;
  const recorderQueue = `camq.recorder.test-${id}`;
  const dirs: string[] = [];
  const running: RunningCamq[] = [];
  let worker: PythonWorker | undefined;
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'camq-record-'));
    dirs.push(d);
    return d;
  };
  const record = (dir: string): RunningCamq => {
    const r = startCamqBin(['-b', url, 'record', '--journal', dir, '--queue', recorderQueue, '--json', '--status-interval', '1']);
    running.push(r);
    return r;
  };

  afterAll(async () => {
    await Promise.allSettled([worker?.stop(), ...running.map((r) => r.stop('SIGKILL'))]);
    const deleted = await runBin('camq', ['-b', url, 'record', '--delete-queue', '--queue', recorderQueue]);
    expect(deleted.code, deleted.stderr).toBe(0);
    await deleteQueues(url, [taskQueue]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('stopped while a Python worker runs 1,000 tasks, then restarted: the journal holds all 1,000 with final states', async () => {
    const dir = tempDir();
    const first = record(dir);
    await first.waitFor(/"status":"consuming"/);
    expect(await first.stop()).toBe(0);
    expect(first.output()).toMatch(/"status":"stopped"/);
    worker = await startPythonWorker({ brokerUrl: url, nodename: `rec-${id}@h`, queues: taskQueue, events: true, concurrency: 4 });
    const ids = await runTasks(url, taskQueue, 1000);
    expect(ids).toHaveLength(1000);
    // The worker's last task.multi batches leave within its flush interval; the queue keeps them all meanwhile.
    await sleep(1500);
    const second = record(dir);
    await until('1,000 succeeded tasks in the journal', () => succeeded(dir).size >= 1000);
    expect(await second.stop()).toBe(0);
    const tasks = readJournal(dir).tasks();
    const byId = new Map(tasks.map((t) => [t.uuid, t]));
    for (const taskId of ids) expect(byId.get(taskId)).toMatchObject({ name: 'tasks.add', state: 'SUCCESS' });
    expect(byId.get(ids[7]!)?.result).toBe('8');
  }, 180_000);

  it('kill -9 mid-stream, then restart: every event sent is in the journal exactly once', async () => {
    const dir = tempDir();
    const first = record(dir);
    await first.waitFor(/"status":"consuming"/);
    const sending = runTasks(url, taskQueue, 1000);
    // Kill it once part of the stream is written (and some was surely received but not yet acked).
    await until('a few hundred events written', () => rawTaskEvents(dir).size >= 300, 60_000);
    expect(await first.stop('SIGKILL')).toBe(null);
    const ids = await sending;
    const second = record(dir);
    await until('1,000 succeeded tasks in the journal', () => succeeded(dir).size >= 1000);
    await sleep(1000);
    expect(await second.stop()).toBe(0);
    const raw = rawTaskEvents(dir);
    for (const taskId of ids) {
      for (const type of ['task-received', 'task-started', 'task-succeeded']) expect(raw.get(`${type} ${taskId}`), `${type} ${taskId}`).toBe(1);
    }
    expect([...raw.values()].filter((n) => n !== 1)).toEqual([]);
    expect(second.output()).toMatch(/"status":"stopped"/);
  }, 180_000);

  it('the recorder and `camq events --json` on one journal: each event once', async () => {
    const dir = tempDir();
    const recorder = record(dir);
    const events = startCamqBin(['-b', url, 'events', '--json', '--journal', dir]);
    running.push(events);
    await recorder.waitFor(/"status":"consuming"/);
    await sleep(1000);
    const ids = await runTasks(url, taskQueue, 200);
    await until('both writers saw every task', () => {
      const raw = rawTaskEvents(dir);
      return ids.every((taskId) => raw.get(`task-succeeded ${taskId}`) === 2);
    });
    expect(await events.stop()).toBe(0);
    expect(await recorder.stop()).toBe(0);
    // Two writers, two segments, each event twice on disk ...
    expect(listSegments(dir).filter((s) => s.kind === 'ev' && s.bytes > 0).length).toBeGreaterThanOrEqual(2);
    // ... and once for a reader.
    const seen = new Map<string, number>();
    for (const e of readJournal(dir).events()) {
      const { type, uuid } = e as unknown as { type: string; uuid?: string };
      if (uuid !== undefined && ids.includes(uuid)) seen.set(`${type} ${uuid}`, (seen.get(`${type} ${uuid}`) ?? 0) + 1);
    }
    expect(seen.size).toBe(600);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    const history = await runBin('camq', ['history', '--journal', dir, '--task', 'tasks.add', '--json']);
    expect(history.code, history.stderr).toBe(0);
    const lines = history.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { uuid: string; state: string });
    expect(lines.filter((t) => ids.includes(t.uuid)).map((t) => t.state)).toEqual(ids.map(() => 'SUCCESS'));
  }, 120_000);
});
