/**
 * The other tools on a mixed cluster on Redis (issue 18, docs/redis-protocol.md): one Python Celery 5.2 worker and one
 * camq worker, both -E, results in the Redis backend. `camq call --wait` reads each one's result, `camq events --json`
 * hears both workers' heartbeats and task events (pub/sub: it listens before anything is sent), `camq record` journals
 * them and says that nothing is kept while it is down, `camq exporter`
 * counts the Python worker's tasks, sees both workers up and measures a Redis queue over its priority lists, and
 * `camq beat` sends through Redis while a second beat is refused the lock.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCamqBin, type RunningCamq } from '../../helpers/camq-bin.js';
import { startCamqWorker, type CamqWorker } from '../../helpers/camq-worker.js';
import { runPython, startPythonWorker, usePythonCelery, type PythonWorker } from '../../helpers/python-celery.js';
import { REDIS_URL, testRedisDatabase, useRedis } from '../../helpers/redis.js';
import { runBin } from '../../helpers/run-bin.js';
import { startServingCamq, type ServingCamq } from '../../helpers/serving-camq.js';

const ok = (await useRedis()) && (await usePythonCelery('the Redis tools tests are skipped'));

/** The exporter's labels take the host part of a nodename, so the two workers differ there. */
const PY = 'pyw@h4-redis-py';
const JS = 'cw@h4-redis-js';

describe.skipIf(!ok)('camq call, events, exporter and beat on Redis with a mixed cluster', () => {
  const redis = testRedisDatabase();
  let py: PythonWorker;
  let js: CamqWorker;
  let events: RunningCamq;
  let recorder: RunningCamq;
  let exporter: ServingCamq;
  const journal = mkdtempSync(join(tmpdir(), 'camq-redis-journal-'));

  beforeAll(async () => {
    // Events are pub/sub on Redis: the listeners start first, or they miss the workers' first events.
    events = startCamqBin(['-b', REDIS_URL, 'events', '--json', '--no-journal']);
    recorder = startCamqBin(['-b', REDIS_URL, 'record', '--journal', journal]);
    exporter = await startServingCamq(['-b', REDIS_URL, 'exporter', '--listen', '127.0.0.1:0', '--queue-interval', '1']);
    [py, js] = await Promise.all([
      startPythonWorker({ brokerUrl: REDIS_URL, nodename: PY, queues: 'py', events: true, env: { CAMQ_TEST_RESULT_BACKEND: REDIS_URL } }),
      startCamqWorker({ brokerUrl: REDIS_URL, nodename: JS, queues: 'js', args: ['-E', '--result-backend', REDIS_URL] }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([py?.stop(), js?.stop(), events?.stop(), recorder?.stop(), exporter?.stop()]);
    rmSync(journal, { recursive: true, force: true });
  });

  const call = (queue: string, args: string) =>
    runBin('camq', [
      '-b',
      REDIS_URL,
      'call',
      'tasks.add',
      '--args',
      args,
      '-Q',
      queue,
      '--wait',
      '--timeout',
      '15',
      '--result-backend',
      REDIS_URL,
      '--json',
    ]);

  it('camq call --wait --result-backend redis:// reads the result of a Python worker and of a camq worker', async () => {
    const [fromPy, fromJs] = await Promise.all([call('py', '[2, 2]'), call('js', '[3, 4]')]);
    expect(fromPy.stderr).toBe('');
    expect(JSON.parse(fromPy.stdout)).toMatchObject({ result: 4 });
    expect(fromJs.stderr).toBe('');
    expect(JSON.parse(fromJs.stdout)).toMatchObject({ result: 7 });
    const { id } = JSON.parse(fromPy.stdout) as { id: string };
    expect(await redis.get(`celery-task-meta-${id}`)).toContain('"SUCCESS"');
  });

  it('camq events --json hears both workers: heartbeats and the task events of a call to each; camq record journals them', async () => {
    const [a, b] = await Promise.all([call('py', '[10, 1]'), call('js', '[20, 2]')]);
    const ids = [a, b].map((r) => (JSON.parse(r.stdout) as { id: string }).id);
    const seen = () =>
      events
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { type: string; hostname: string; uuid?: string });
    await expect
      .poll(
        () => {
          const got = seen();
          return [PY, JS].every(
            (host, i) =>
              got.some((e) => e.hostname === host && e.type === 'worker-heartbeat') &&
              ['task-received', 'task-started', 'task-succeeded'].every((type) =>
                got.some((e) => e.hostname === host && e.type === type && e.uuid === ids[i]),
              ),
          );
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    await recorder.waitFor(/^record: on Redis events are pub\/sub: events sent while the recorder is down are not kept$/m);
    expect(await recorder.stop()).toBe(0);
    const history = await runBin('camq', ['-b', REDIS_URL, 'history', '--journal', journal, '--json']);
    const tasks = history.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { uuid: string; state: string; worker: string });
    for (const [i, host] of [PY, JS].entries()) expect(tasks.find((t) => t.uuid === ids[i])).toMatchObject({ state: 'SUCCESS', worker: host });
  });

  it('camq exporter counts the Python worker tasks, sees both workers up and measures a queue over its priority lists', async () => {
    await call('py', '[1, 1]');
    // Three tasks for a queue nobody consumes, one per priority list (q, q\x06\x163, q\x06\x169), with task-sent
    // events naming the queue, as a producer with task_send_sent_event sends them.
    await runPython(
      REDIS_URL,
      [
        'from tasks import app, add',
        'app.conf.task_send_sent_event = True',
        'for p in (0, 3, 9): add.apply_async((1, p), queue="held", priority=p)',
      ].join('\n'),
    );
    expect(await redis.llen('held\x06\x169')).toBe(1);
    const scrape = async () => (await fetch(`${exporter.base}/metrics`)).text();
    await expect.poll(scrape, { timeout: 10_000 }).toMatch(/^celery_queue_length\{queue_name="held"\} 3$/m);
    const text = await scrape();
    const succeeded = /^celery_task_succeeded_total\{name="tasks.add",hostname="h4-redis-py",[^}]*\} (\d+)$/m.exec(text);
    expect(Number(succeeded?.[1])).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^celery_worker_up\{hostname="h4-redis-py"\} 1$/m);
    expect(text).toMatch(/^celery_worker_up\{hostname="h4-redis-js"\} 1$/m);
    // The workers' own queues, which no task-sent names: from their active_queues, as celery-exporter asks.
    expect(text).toMatch(/^celery_queue_length\{queue_name="py"\} 0$/m);
    expect(text).toMatch(/^celery_queue_length\{queue_name="js"\} 0$/m);
    // Redis cannot count consumers: the workers' active_queues replies do (one worker each; none on "held").
    expect(text).toMatch(/^celery_active_consumer_count\{queue_name="py"\} 1$/m);
    expect(text).toMatch(/^celery_active_consumer_count\{queue_name="js"\} 1$/m);
    expect(text).toMatch(/^celery_active_consumer_count\{queue_name="held"\} 0$/m);
    expect(text).toMatch(/^camq_broker_up 1$/m);
  });

  it('camq beat sends every second through Redis, the workers run it, and a second beat is refused the lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camq-redis-beat-'));
    const module = join(dir, 'schedule.mjs');
    writeFileSync(
      module,
      `export default (app) => {
  app.schedule('to-py', { task: 'tasks.add', every: 1, args: [5, 5], options: { queue: 'py' } });
  app.schedule('to-js', { task: 'tasks.add', every: 1, args: [6, 6], options: { queue: 'js' } });
};
`,
    );
    const beat = startCamqBin(['-b', REDIS_URL, 'beat', '-A', module, '-s', join(dir, 'state.json')]);
    try {
      await beat.waitFor(/holding the lock 'camq.beat.lock'/);
      expect(await redis.exists('_camq.claim.camq.beat.lock')).toBe(1);
      const second = await runBin('camq', ['-b', REDIS_URL, 'beat', '-A', module, '-s', join(dir, 'other.json')]);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/another beat holds the lock 'camq.beat.lock' on redis:/);
      await expect
        .poll(() => (py.output().match(/Task tasks\.add\[[^\]]+\] succeeded in [\d.e-]+s: 10/g) ?? []).length, { timeout: 8000 })
        .toBeGreaterThanOrEqual(2);
      await expect.poll(() => js.count(/Task tasks\.add\[[^\]]+\] succeeded in .*: 12/), { timeout: 4000 }).toBeGreaterThanOrEqual(2);
    } finally {
      expect(await beat.stop()).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
    // A clean stop gives the lock up at once.
    expect(await redis.exists('_camq.claim.camq.beat.lock')).toBe(0);
  }, 30_000);
});
