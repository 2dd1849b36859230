/**
 * The worker simulator (src/demo/worker-simulator.ts, run as processes by bench/worker-sim/run.mjs) held to Celery's
 * own tools, so the figures measured with it are figures for a Celery cluster: `celery inspect ping` lists every
 * simulated worker, `inspect stats` and `inspect active` get Celery's shapes, `celery events --dump` shows their
 * heartbeats and batched task events. Killing one process takes its workers' mailboxes away; SIGSTOP leaves them
 * bound and silent. Needs `npm run build`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RABBITMQ_URL, useRabbitmq } from '../../helpers/brokers.js';
import { runCeleryCli, usePythonCelery } from '../../helpers/python-celery.js';
import { startWorkerSim, type WorkerSim } from '../../helpers/worker-sim.js';

const ok = (await useRabbitmq('the worker simulator tests are skipped')) && (await usePythonCelery('the worker simulator tests are skipped'));

/** The node names a `celery inspect` output lists (`->  name@host: OK`). */
function answered(stdout: string): Set<string> {
  return new Set([...stdout.matchAll(/^->\s+(\S+): OK/gm)].map((m) => m[1]!));
}

describe.skipIf(!ok)('worker simulator against Celery 5.2', () => {
  const tag = randomBytes(3).toString('hex');
  let sim: WorkerSim;

  beforeAll(async () => {
    sim = await startWorkerSim({ url: RABBITMQ_URL, workers: 200, groups: 4, eventsPerSecond: 2000, tag });
  }, 90_000);
  afterAll(async () => {
    await sim?.stop();
  });

  it('celery inspect ping lists all 200 simulated workers', async () => {
    const result = await runCeleryCli(RABBITMQ_URL, ['inspect', 'ping', '-t', '3', '-j']);
    const replies = JSON.parse(result.stdout) as Record<string, unknown>;
    const mine = Object.keys(replies).filter((n) => n.includes(`@sim-${tag}-`));
    expect(mine.sort()).toEqual([...sim.nodenames].sort());
    for (const n of mine) expect(replies[n]).toEqual({ ok: 'pong' });
  }, 60_000);

  it('celery inspect stats and active read Celery shapes from one simulated worker', async () => {
    const node = sim.nodenames[0]!;
    const stats = await runCeleryCli(RABBITMQ_URL, ['inspect', 'stats', '-d', node, '-t', '3', '-j']);
    const reply = (JSON.parse(stats.stdout) as Record<string, Record<string, unknown>>)[node]!;
    expect(reply).toMatchObject({ pid: expect.any(Number), clock: expect.any(String), prefetch_count: 16 });
    expect(reply['pool']).toMatchObject({ 'max-concurrency': 4 });
    const active = await runCeleryCli(RABBITMQ_URL, ['inspect', 'active', '-d', node, '-t', '3', '-j']);
    expect(Array.isArray((JSON.parse(active.stdout) as Record<string, unknown>)[node])).toBe(true);
    const reserved = await runCeleryCli(RABBITMQ_URL, ['inspect', 'reserved', '-d', node, '-t', '3', '-j']);
    expect((JSON.parse(reserved.stdout) as Record<string, unknown>)[node]).toEqual([]);
  }, 60_000);

  it('celery events --dump shows their heartbeats and task events', async () => {
    // --dump runs until stopped: the timeout ends it, and what it printed by then is kept.
    const dump = await runCeleryCli(RABBITMQ_URL, ['events', '--dump'], { timeoutMs: 6_000 });
    const lines = dump.stdout.split('\n').filter((l) => l.includes(`@sim-${tag}-`));
    expect(lines.some((l) => /heartbeat: active=\d+, clock=\d+, freq=2/.test(l) && /sw_ident=py-celery/.test(l))).toBe(true);
    expect(lines.some((l) => /task received: tasks\.\w+\(/.test(l))).toBe(true);
    expect(lines.some((l) => /task started:/.test(l))).toBe(true);
    expect(lines.some((l) => /task succeeded:/.test(l))).toBe(true);
  }, 60_000);

  it('a killed group drops out of ping (its mailboxes went), a hung group stays silent', async () => {
    sim.kill(0);
    sim.hang(1);
    try {
      const result = await runCeleryCli(RABBITMQ_URL, ['inspect', 'ping', '-t', '3']);
      const mine = [...answered(result.stdout)].filter((n) => n.includes(`@sim-${tag}-`));
      expect(mine.sort()).toEqual([...sim.groups[2]!.nodenames, ...sim.groups[3]!.nodenames].sort());
    } finally {
      sim.resume(1);
    }
  }, 60_000);
});
