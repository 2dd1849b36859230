/**
 * The live view's queues pane in a real terminal (tmux) against a broker with a management API (RabbitMQ's when it
 * answers, else `camq broker --management`), with a Python Celery worker draining a backlog: the depth falls while
 * it consumes, "no consumer" appears once it stops (the API samples every 5 s, so waits allow for two samples),
 * Enter peeks and P purges after its confirm. Run `npm run build` first: bins run dist/.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rabbitmqTarget, useRabbitmq, useRabbitmqManagementApi } from '../helpers/brokers.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { deleteQueues } from '../helpers/camq-worker.js';
import { runPython, startPythonWorker, usePythonCelery, type PythonWorker } from '../helpers/python-celery.js';
import { ROOT } from '../helpers/run-bin.js';
import { shellQuote, TmuxSession } from '../helpers/tmux.js';

const hasPython = await usePythonCelery('the queues pane with a Python worker is skipped');

/** RabbitMQ with its API, else `camq broker --management` (whose API camq is pointed at with CAMQ_API_URL). */
async function queuesTarget(): Promise<{ name: string; url: string; apiUrl?: string | undefined }> {
  if ((await useRabbitmq('using camq broker --management instead')) && (await useRabbitmqManagementApi())) return rabbitmqTarget();
  const broker = await startBrokerProcess(['--management']);
  afterAll(() => broker.stop());
  return { name: 'embedded', url: broker.url, apiUrl: broker.apiUrl };
}

const targets = hasPython ? [await queuesTarget()] : [];
/** Two of the API's 5 s samples, and the listing after them. */
const SAMPLED_MS = 20_000;
const BACKLOG = 400;

describe.each(targets)('the queues pane with a Python worker draining a backlog ($name)', ({ url, apiUrl }) => {
  const queue = `camq-qpane-${randomUUID().slice(0, 8)}`;
  const row = (figures: string) => new RegExp(`${queue}\\s+${figures}`);
  let worker: PythonWorker | undefined;
  let tmux: TmuxSession | undefined;
  /** The rpc:// backend's reply queue the publishing client declared (named after its oid). */
  let replyQueue: string | undefined;

  beforeAll(async () => {
    const out = await runPython(
      url,
      `from tasks import app, sleep\nfor i in range(${BACKLOG}):\n    sleep.apply_async((0.1,), queue=${JSON.stringify(queue)})\nprint(app.backend.oid)`,
    );
    replyQueue = out.trim().split('\n').at(-1);
  });

  afterAll(async () => {
    tmux?.kill();
    await worker?.stop();
    await deleteQueues(url, replyQueue === undefined ? [queue] : [queue, replyQueue]);
  });

  it('depth falls while the worker drains, "no consumer" once it stops; Enter peeks; P purges after y', async () => {
    tmux = new TmuxSession(`node ${shellQuote(`${ROOT}bin/camq`)} -b ${shellQuote(url)}`, {
      width: 120,
      height: 40,
      env: { NO_COLOR: '1', ...(apiUrl === undefined ? {} : { CAMQ_API_URL: apiUrl }) },
    });
    await tmux.waitFor('● connected');
    tmux.send('Tab');
    let screen = await tmux.waitFor(row(`${BACKLOG}\\s+0\\s+0\\s.*no consumer`), SAMPLED_MS);
    expect(screen).toContain('management API');
    // The header's backlog is the ready messages of the listed queues: ours, plus any another test has on this vhost.
    const listed = Number(/Queues {2}\d+ · (\d+) ready/.exec(screen)?.[1]);
    expect(listed).toBeGreaterThanOrEqual(BACKLOG);
    expect(screen).toContain(`${listed} queued`);
    // The deepest queue comes first; step down to ours if another of this vhost is deeper.
    for (let i = 0; i < 20 && !new RegExp(`› ${queue}`).test(tmux.capture()); i++) {
      tmux.send('j');
      await new Promise((r) => setTimeout(r, 100));
    }
    await tmux.waitFor(`› ${queue}`);

    tmux.send('Enter');
    screen = await tmux.waitFor(`queue '${queue}' (classic): ${BACKLOG} ready, 0 consumers; showing the first 20`);
    expect(screen).toMatch(/#1 tasks\.sleep\[[0-9a-f-]{36}\]/);
    expect(screen).toContain('args [0.1]');
    tmux.send('Escape');
    await tmux.waitFor(`› ${queue}`);

    worker = await startPythonWorker({ brokerUrl: url, nodename: `camq-qpane-${randomUUID().slice(0, 8)}@test`, queues: queue, concurrency: 2 });
    // Consumed: one consumer, no marker, fewer ready; then fewer still a sample later.
    screen = await tmux.waitFor(row('(\\d+)\\s+\\d+\\s+1\\s'), SAMPLED_MS);
    const first = Number(row('(\\d+)\\s+\\d+\\s+1\\s').exec(screen)![1]);
    expect(first).toBeLessThan(BACKLOG);
    const fell = await tmux.waitFor((text) => {
      const m = row('(\\d+)\\s+\\d+\\s+1\\s').exec(text);
      return m !== null && Number(m[1]) < first;
    }, SAMPLED_MS);
    expect(fell).not.toMatch(row('.*no consumer'));

    await worker.stop();
    await tmux.waitFor(row('([1-9]\\d*)\\s+0\\s+0\\s.*no consumer'), SAMPLED_MS);

    tmux.send('P');
    await tmux.waitFor(`Purge '${queue}': remove every ready message? y purge · n cancel`);
    tmux.send('y');
    await tmux.waitFor(new RegExp(`\\d+ messages? removed from '${queue}'`));
    await tmux.waitFor(row('0\\s+0\\s+0\\s'), SAMPLED_MS);

    tmux.send('q');
    await tmux.waitFor('[exited 0]');
  });
});
