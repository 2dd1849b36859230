/**
 * celeryctl against real Python Celery 5 workers on each broker (RabbitMQ, and the embedded one as `camq broker`): every command goes through the built bin (or the
 * ControlClient it uses) to `celery worker` processes started by the test, and the effect is read back from the
 * workers (inspect replies, their logs) and from rpc:// results.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createTransport, publishMessage, type Transport, type TransportChannel } from '../../../src/transport/index.js';
import type { TaskInfo } from '../../../src/protocol/control-replies.js';
import { decodeResultMessage, type ResultBody } from '../../../src/protocol/result-message.js';
import { buildTaskMessage, type TaskSendOptions } from '../../../src/protocol/task-message.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { deleteQueues } from '../../helpers/camq-worker.js';
import { usePythonCelery } from '../../helpers/python-celery.js';
import { ctlFixture, type NamedWorker } from './ctl-fixture.js';

const hasPython = await usePythonCelery('celeryctl with Python workers is skipped');
const targets = hasPython ? await brokerTargets({ embedded: 'child-process' }) : [];

describeBrokers('celeryctl with Python Celery workers', targets, ({ url }) => {
  const fixture = ctlFixture(url);
  const { celeryctl, celeryctlJson, startNamedWorker, stopNamedWorkers } = fixture;
  let w1: NamedWorker;
  let w2: NamedWorker;
  let connection: Transport;
  let channel: TransportChannel;
  let resultQueue: string;
  const results = new Map<string, ResultBody>();
  /** When each result reached this test (ms), for the spacing a rate limit puts between them. */
  const arrivedAt = new Map<string, number>();
  const extraQueues: string[] = [];

  beforeAll(async () => {
    [w1, w2] = await Promise.all([startNamedWorker('w1'), startNamedWorker('w2')]);
    connection = await createTransport(url).connect();
    channel = await connection.openChannel();
    resultQueue = (await channel.assertQueue(`camq-test-results-${randomUUID()}`, { exclusive: true, autoDelete: true })).queue;
    await channel.consume(
      resultQueue,
      (msg) => {
        const result = msg && decodeResultMessage(msg);
        if (result) {
          results.set(result.task_id, result);
          arrivedAt.set(result.task_id, Date.now());
        }
      },
      { noAck: true },
    );
  });

  afterAll(async () => {
    await connection?.close();
    await stopNamedWorkers([w1, w2]);
    await deleteQueues(url, extraQueues);
  });

  /** apply_async as Celery does it, with results coming back to this test's rpc queue. */
  async function sendTask(options: TaskSendOptions): Promise<string> {
    const message = buildTaskMessage({ replyTo: resultQueue, ...options });
    await publishMessage(channel, message);
    return message.id;
  }

  it('ping: every worker answers a broadcast; -d addresses one of two and returns once it answered', async () => {
    await fixture.expectPing(w1, w2);
    const both = await celeryctlJson(['status', '-d', `${w1.nodename},${w2.nodename}`]);
    expect(Object.keys(both).sort()).toEqual([w1.nodename, w2.nodename].sort());
  });

  it('rate-limit takes effect on the addressed worker only, and 0 removes it', async () => {
    await fixture.expectRateLimitSet(w1, w2, '10/m');

    const off = await celeryctl(['rate-limit', 'tasks.add', '0', '-d', w1.nodename]);
    expect(off.stdout).toBe(`-> ${w1.nodename}: OK rate limit disabled successfully\n`);
    expect((await celeryctlJson<Record<string, string[]>>(['inspect', 'registered', '-d', w1.nodename]))[w1.nodename]).toContain('tasks.add');

    const unknown = await celeryctl(['rate-limit', 'tasks.nope', '1/s', '-d', w1.nodename]);
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toBe(`-> ${w1.nodename}: ERROR unknown task\n`);
  });

  it("a rate limit set by celeryctl spaces a Python worker's tasks out; 0 lets a burst through at once", async () => {
    /** Five additions at once on w1; the ms between the first and the last result. */
    const spreadOfFive = async () => {
      const ids = await Promise.all([0, 1, 2, 3, 4].map((i) => sendTask({ name: 'tasks.add', args: [i, i], queue: w1.queue })));
      await vi.waitFor(() => expect(ids.map((id) => results.get(id)?.result)).toEqual([0, 2, 4, 6, 8]), { timeout: 30_000, interval: 50 });
      const times = ids.map((id) => arrivedAt.get(id)!);
      return Math.max(...times) - Math.min(...times);
    };
    expect((await celeryctl(['rate-limit', 'tasks.add', '2/s', '-d', w1.nodename])).stdout).toBe(
      `-> ${w1.nodename}: OK new rate limit set successfully\n`,
    );
    // Celery's token bucket holds one: one at once, then one every 0.5 s, so the last about 2 s after the first.
    expect(await spreadOfFive()).toBeGreaterThanOrEqual(1800);
    expect((await celeryctl(['rate-limit', 'tasks.add', '0', '-d', w1.nodename])).stdout).toBe(
      `-> ${w1.nodename}: OK rate limit disabled successfully\n`,
    );
    expect(await spreadOfFive()).toBeLessThan(1000);
  });

  it('revoke --terminate stops a task a Python worker is running; the caller gets REVOKED', async () => {
    const id = await sendTask({ name: 'tasks.sleep', args: [60], queue: w2.queue });
    await vi.waitFor(
      async () => {
        const active = await celeryctlJson<Record<string, TaskInfo[]>>(['inspect', 'active', '-d', w2.nodename]);
        expect(active[w2.nodename]?.map((t) => t.id)).toEqual([id]);
      },
      { timeout: 10_000, interval: 200 },
    );
    const r = await celeryctl(['revoke', id, '--terminate', '-d', w2.nodename]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`-> ${w2.nodename}: OK terminate: ${id}\n`);
    // Well before the 60 s sleep would end: the pool process running it got SIGTERM (15), Celery's default.
    await vi.waitFor(() => expect(results.get(id)?.status).toBe('REVOKED'), { timeout: 20_000, interval: 100 });
    await w2.worker.waitForLog(new RegExp(`Terminating ${id} \\(15\\)`));
    const active = await celeryctlJson<Record<string, TaskInfo[]>>(['inspect', 'active', '-d', w2.nodename]);
    expect(active[w2.nodename]).toEqual([]);
  });

  it('inspect scheduled lists a countdown task; revoke stops it from ever running', async () => {
    // The countdown leaves room for a slow machine to inspect and revoke before the task comes due.
    const id = await sendTask({ name: 'tasks.add', args: [2, 3], countdown: 8, queue: w1.queue });
    await fixture.expectScheduled(w1, id);

    const revoke = await celeryctl(['revoke', id, '-d', w1.nodename]);
    expect(revoke.stdout).toBe(`-> ${w1.nodename}: OK tasks ${id} flagged as revoked\n`);
    const revoked = await celeryctlJson<Record<string, string[]>>(['inspect', 'revoked', '-d', w1.nodename]);
    expect(revoked[w1.nodename]).toContain(id);

    // When the countdown ends the worker discards the task and reports it REVOKED instead of running it.
    await vi.waitFor(() => expect(results.get(id)?.status).toBe('REVOKED'), { timeout: 20_000, interval: 100 });
    await w1.worker.waitForLog(new RegExp(`Discarding revoked task: tasks\\.add\\[${id}\\]`));
    expect(w1.worker.output()).not.toContain(`Task tasks.add[${id}] succeeded`);
  });

  it('inspect reserved lists prefetched tasks waiting behind a running one; active and query-task agree', async () => {
    const running = await sendTask({ name: 'tasks.sleep', args: [6], queue: w2.queue });
    const waiting = [
      await sendTask({ name: 'tasks.add', args: [1, 1], queue: w2.queue }),
      await sendTask({ name: 'tasks.add', args: [2, 2], queue: w2.queue, kwargs: {} }),
    ];
    await fixture.expectReserved(w2, waiting);

    const active = await celeryctlJson<Record<string, TaskInfo[]>>(['inspect', 'active', '-d', w2.nodename]);
    expect(active[w2.nodename]?.map((t) => t.id)).toEqual([running]);
    const query = await celeryctlJson<Record<string, Record<string, [string, TaskInfo]>>>([
      'inspect',
      'query-task',
      running,
      ...waiting,
      '-d',
      w2.nodename,
    ]);
    expect(query[w2.nodename]?.[running]?.[0]).toBe('active');
    expect(query[w2.nodename]?.[waiting[0]!]?.[0]).toBe('reserved');
    await vi.waitFor(() => expect(waiting.map((id) => results.get(id)?.status)).toEqual(['SUCCESS', 'SUCCESS']), { timeout: 20_000 });
  });

  it('every --json output parses, for every command and inspect target', async () => {
    const extra = `camq-test-consumer-${randomUUID()}`;
    extraQueues.push(extra);
    await fixture.expectEveryCommandParses(w1, extra);
    const d = ['-d', w1.nodename];
    const stats = await celeryctlJson<Record<string, { pool: { 'max-concurrency': number } }>>(['inspect', 'stats', ...d]);
    expect(stats[w1.nodename]!.pool['max-concurrency']).toBe(1);
    const autoscale = await celeryctlJson(['autoscale', '2', '1', ...d]);
    expect(autoscale[w1.nodename]).toEqual({ error: "ValueError('Autoscale not enabled')" });
  });

  it('camq ctl is the same command', async () => {
    const r = await celeryctl(['ping', '-d', w1.nodename]);
    const { runBin } = await import('../../helpers/run-bin.js');
    const camq = await runBin('camq', ['ctl', 'ping', '-d', w1.nodename, '-b', url]);
    expect(camq.code).toBe(0);
    expect(camq.stdout).toBe(r.stdout);
  });

  it('shutdown --yes stops exactly the addressed worker', async () => {
    const w3 = await startNamedWorker('w3');
    try {
      const r = await celeryctl(['shutdown', '--yes', '-d', w3.nodename]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`-> ${w3.nodename}: OK shutdown requested\n`);
      await vi.waitFor(() => expect(w3.worker.process.exitCode).not.toBeNull(), { timeout: 20_000, interval: 200 });
      expect(w3.worker.output()).toMatch(/shutdown|Got shutdown from remote/i);
      expect((await celeryctl(['ping', '-d', w1.nodename])).code).toBe(0);
    } finally {
      await stopNamedWorkers([w3]);
    }
  });
});
