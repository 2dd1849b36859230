/**
 * The real `camq` live view in tmux on Redis (issue 18: "the live view shows a mixed cluster"): a Python Celery 5.2
 * worker and a camq worker, both -E, on one Redis database; both show online and a task run by each flows to SUCCESS
 * under its worker's name. Run `npm run build` first: bins run dist/.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startCamqWorker, type CamqWorker } from '../helpers/camq-worker.js';
import { startPythonWorker, usePythonCelery, type PythonWorker } from '../helpers/python-celery.js';
import { REDIS_URL, testRedisDatabase, useRedis } from '../helpers/redis.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { shellQuote, TmuxSession } from '../helpers/tmux.js';

const ok = (await useRedis()) && (await usePythonCelery('the live view on Redis is skipped'));
const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\@]/g, '\\$&');

describe.skipIf(!ok)('camq live view on Redis with a mixed cluster', () => {
  testRedisDatabase();
  const PY = 'e2e-py@redis-mixed';
  const JS = 'e2e-js@redis-mixed';
  let py: PythonWorker;
  let js: CamqWorker;
  let tmux: TmuxSession | undefined;

  beforeAll(async () => {
    [py, js] = await Promise.all([
      startPythonWorker({ brokerUrl: REDIS_URL, nodename: PY, queues: 'py', events: true }),
      startCamqWorker({ brokerUrl: REDIS_URL, nodename: JS, queues: 'js', args: ['-E'] }),
    ]);
  }, 30_000);

  afterAll(async () => {
    tmux?.kill();
    await Promise.allSettled([py?.stop(), js?.stop()]);
  });

  it('shows both workers online and a task from each under its worker', async () => {
    tmux = new TmuxSession(`node ${shellQuote(`${ROOT}bin/camq`)} -b ${shellQuote(REDIS_URL)}`, { width: 140, height: 40, env: { NO_COLOR: '1' } });
    await tmux.waitFor('● connected');
    // Events are pub/sub: the view's wake-up makes both workers answer with a heartbeat at once.
    await tmux.waitFor(new RegExp(`${escapeRe(PY)}\\s+online`), 10_000);
    await tmux.waitFor(new RegExp(`${escapeRe(JS)}\\s+online`), 10_000);
    const ids: string[] = [];
    for (const [queue, args] of [
      ['py', '[40, 2]'],
      ['js', '[30, 3]'],
    ] as const) {
      const sent = await runBin('camq', ['-b', REDIS_URL, 'call', 'tasks.add', '--args', args, '-Q', queue]);
      ids.push(sent.stdout.trim());
    }
    await tmux.waitFor(new RegExp(`SUCCESS\\s+tasks\\.add\\s+${ids[0]}\\s+\\(40, 2\\)\\s+${escapeRe(PY)}`), 10_000);
    await tmux.waitFor(new RegExp(`SUCCESS\\s+tasks\\.add\\s+${ids[1]}\\s+\\(30, 3\\)\\s+${escapeRe(JS)}`), 10_000);
    tmux.send('q');
    await tmux.waitFor('[exited 0]');
  }, 30_000);
});
