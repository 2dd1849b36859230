/**
 * camq beat's engine on real brokers (RabbitMQ and the embedded one): entries sent through CamqApp's publishing path
 * arrive on their queue on time, the broker lock refuses a second beat while the first lives and hands over when it
 * stops, and `beat-schedule` announcements reach a listener that asks.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import {
  Beat,
  BeatScheduler,
  defineScheduleEntry,
  MemoryBeatState,
  queryRunningBeat,
  type EntryRun,
  type ScheduleEntry,
} from '../../../src/beat/index.js';
import { CamqError } from '../../../src/errors/index.js';
import { createTransport, parseBrokerUrl, type Transport } from '../../../src/transport/index.js';
import { CamqApp } from '../../../src/worker/index.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { deleteQueues } from '../../helpers/camq-worker.js';

const targets = await brokerTargets();

interface Running {
  beat: Beat;
  app: CamqApp;
  connection: Transport;
  runs: EntryRun[];
}

describeBrokers('camq beat', targets, ({ url, inspector }) => {
  const queues: string[] = [];
  const running: Running[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) await stop(r);
    await deleteQueues(url, queues.splice(0));
  });

  async function stop(r: Running): Promise<void> {
    await r.beat.stop();
    await r.app.close();
    await r.connection.close();
  }

  async function startBeat(
    entries: ScheduleEntry[],
    options: { lock: string; state?: MemoryBeatState; wait?: boolean; queue: string },
  ): Promise<Running> {
    const connection = createTransport(parseBrokerUrl(url), { reconnect: true, connectionName: 'beat test' });
    await connection.connect();
    const app = new CamqApp({ broker: parseBrokerUrl(url), defaultQueue: options.queue });
    app.useConnection(connection);
    const scheduler = new BeatScheduler({
      entries,
      state: options.state ?? new MemoryBeatState(),
      send: (e) => app.taskOf(e.task).applyAsync({ args: [...e.args], kwargs: e.kwargs, ...e.options }),
    });
    const beat = new Beat({
      connection,
      scheduler,
      hostname: `beat-${randomUUID().slice(0, 8)}@test`,
      lockName: options.lock,
      waitForLock: options.wait ?? false,
      lockRetryMs: 200,
      announceMs: 500,
    });
    const r: Running = { beat, app, connection, runs: [] };
    beat.on('sent', (run) => r.runs.push(run));
    running.push(r);
    try {
      await beat.start();
    } catch (err) {
      running.splice(running.indexOf(r), 1);
      await app.close();
      await connection.close();
      throw err;
    }
    return r;
  }

  it('sends an every-1s entry on time through the app, to its queue', async ({ expect }) => {
    const queue = `camq-beat-${randomUUID()}`;
    queues.push(queue);
    const r = await startBeat([defineScheduleEntry('tick', { task: 'tasks.add', every: 1, args: [1, 2] })], {
      lock: `camq.beat.test.${randomUUID()}`,
      queue,
    });
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await stop(r);
    running.splice(running.indexOf(r), 1);
    expect(r.runs.length).toBe(3);
    for (const run of r.runs) expect(run.sentAt - run.dueAt).toBeLessThan(1000);
    await expect.poll(async () => (await inspector.queue(queue))?.messages).toBe(3);
  });

  it('refuses a second beat while the first holds the lock; with --wait-lock the second takes over when the first stops', async ({ expect }) => {
    const queue = `camq-beat-${randomUUID()}`;
    queues.push(queue);
    const lock = `camq.beat.test.${randomUUID()}`;
    const entries = [defineScheduleEntry('tick', { task: 'tasks.noop', every: 1 })];
    // Each beat its own state, as on two hosts: the second carries on from the last run the first announced.
    const first = await startBeat(entries, { lock, queue });
    expect(first.beat.active).toBe(true);
    const refused = await startBeat(entries, { lock, queue }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(CamqError);
    expect((refused as CamqError).code).toBe('beat.locked');
    expect((refused as CamqError).message).toContain(`another beat holds the lock '${lock}'`);
    const second = await startBeat(entries, { lock, queue, wait: true });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(second.beat.active).toBe(false);
    expect(second.runs).toEqual([]);
    const firstRuns = first.runs.length;
    expect(firstRuns).toBeGreaterThanOrEqual(2);
    // The first goes away (its connection with it, as when its process dies): the second takes over within its retry.
    await first.beat.scheduler.pause();
    await first.connection.close();
    await expect.poll(() => second.beat.active, { timeout: 5000 }).toBe(true);
    await expect.poll(() => second.runs.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    // One run per second across the hand-over, shared state: no second beat ever sent while the first lived.
    const all = [...first.runs, ...second.runs].map((r) => r.sentAt).sort((a, b) => a - b);
    for (let i = 1; i < all.length; i++) expect(all[i]! - all[i - 1]!).toBeGreaterThanOrEqual(990);
  });

  it('announces its schedule when asked (what camq beat --list and the live view read)', async () => {
    const queue = `camq-beat-${randomUUID()}`;
    queues.push(queue);
    const lock = `camq.beat.test.${randomUUID()}`;
    const r = await startBeat(
      [
        defineScheduleEntry('minutely', { task: 'tasks.add', crontab: { minute: '*' } }),
        defineScheduleEntry('slow', { task: 'tasks.noop', every: '1h' }),
      ],
      { lock, queue },
    );
    const listener = createTransport(parseBrokerUrl(url), { reconnect: false, connectionName: 'beat query test' });
    await listener.connect();
    try {
      const schedule = await queryRunningBeat(listener, { timeoutMs: 3000, hostname: 'list@test' });
      expect(schedule?.lock).toBe(lock);
      expect(schedule?.entries.map((e) => [e.name, e.task, e.schedule])).toEqual([
        ['minutely', 'tasks.add', '<crontab: * * * * * (m/h/d/dM/MY)>'],
        ['slow', 'tasks.noop', '<freq: 1.00 hour>'],
      ]);
      expect(schedule!.entries[0]!.next_run_at * 1000).toBeGreaterThan(Date.now() - 1000);
    } finally {
      await listener.close();
    }
    expect(r.beat.active).toBe(true);
  });
});
