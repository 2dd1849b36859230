/**
 * Broadcasts that return when every live worker answered (issue 13), on each broker with its management API
 * (RabbitMQ 3.10's, and `camq broker --management` as a child process), against real workers: two Python Celery 5
 * and three camq workers. The live set comes from the API (celery.pidbox bindings whose queue has a consumer);
 * celeryctl runs as the built bin.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManagementApi } from '../../../src/queues/management-api.js';
import { liveMailboxes } from '../../../src/queues/live-mailboxes.js';
import { parseBrokerUrl } from '../../../src/transport/broker-url.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { usePythonCelery } from '../../helpers/python-celery.js';
import { ctlFixture, type NamedCamqWorker, type NamedWorker } from './ctl-fixture.js';

const hasPython = await usePythonCelery('celeryctl early return with live workers is skipped');
const targets = hasPython ? await brokerTargets({ embedded: 'child-process', management: true }) : [];

/** A port where nothing listens (bound, then closed): a management API that is not there. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describeBrokers('celeryctl returns when every live worker answered', targets, ({ name, url, apiUrl }) => {
  const { celeryctl, startNamedWorker, stopNamedWorkers, startNamedCamqWorker, stopNamedCamqWorkers } = ctlFixture(url);
  const broker = parseBrokerUrl(url);
  const api = new ManagementApi({ baseUrl: apiUrl ?? `http://${broker.hostname}:15672`, username: broker.username, password: broker.password });
  /** RabbitMQ's API celeryctl finds from the broker URL; the embedded broker's (on a free port) it is told. */
  const withApi = (args: string[]) => (apiUrl === undefined ? args : [...args, '--api', apiUrl]);
  let py: NamedWorker[] = [];
  let camq: NamedCamqWorker[] = [];
  let all: string[] = [];

  /** Until the API lists exactly `nodes` as live (RabbitMQ samples consumer counts every 5 s). */
  async function untilLive(nodes: readonly string[], timeoutMs = 30_000): Promise<void> {
    const want = [...nodes].sort();
    const deadline = Date.now() + timeoutMs;
    let seen: string[] = [];
    while (Date.now() < deadline) {
      seen = (await liveMailboxes(api, broker.vhost)).filter((n) => n.startsWith('camq-test-'));
      if (JSON.stringify(seen) === JSON.stringify(want)) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the management API never listed exactly ${want.join(', ')} as live (last: ${seen.join(', ')})`);
  }

  beforeAll(async () => {
    py = await Promise.all([startNamedWorker('live-py1'), startNamedWorker('live-py2')]);
    camq = await Promise.all([startNamedCamqWorker('live-c1'), startNamedCamqWorker('live-c2'), startNamedCamqWorker('live-c3')]);
    all = [...py, ...camq].map((w) => w.nodename);
    await untilLive(all);
  }, 120_000);

  afterAll(async () => {
    for (const w of py) if (w.worker.process.exitCode === null) w.worker.process.kill('SIGCONT');
    await stopNamedWorkers(py);
    await stopNamedCamqWorkers(camq);
  });

  it(`${name}: a broadcast returns once all five answered, well under its timeout, with their replies grouped`, async () => {
    const r = await celeryctl(withApi(['ping', '-t', '5']));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('5 workers: OK pong\n\n5 nodes online.\n');
    expect(r.stderr).toBe('');
    expect(r.ms).toBeLessThan(2500);
  });

  it(`${name}: --expand prints one line per worker; --json keeps Celery's object under replies and says nobody is missing`, async () => {
    const expanded = await celeryctl(withApi(['status', '-t', '5', '--expand']));
    expect(
      expanded.stdout
        .split('\n')
        .filter((l) => l.startsWith('-> '))
        .sort(),
    ).toEqual(all.map((n) => `-> ${n}: OK`).sort());
    expect(expanded.ms).toBeLessThan(2500);
    const json = await celeryctl(withApi(['inspect', 'ping', '-t', '5', '--json']));
    const parsed = JSON.parse(json.stdout) as { replies: Record<string, unknown>; did_not_answer: string[] };
    expect(Object.keys(parsed).sort()).toEqual(['did_not_answer', 'replies']);
    expect(Object.keys(parsed.replies).sort()).toEqual([...all].sort());
    expect(Object.values(parsed.replies)).toEqual(all.map(() => ({ ok: 'pong' })));
    expect(parsed.did_not_answer).toEqual([]);
  });

  it(`${name}: --wait-all waits the whole timeout`, async () => {
    const r = await celeryctl(withApi(['ping', '-t', '1.5', '--wait-all']));
    expect(r.stdout).toBe('5 workers: OK pong\n\n5 nodes online.\n');
    expect(r.ms).toBeGreaterThanOrEqual(1500);
  });

  it(`${name}: without the management API, the whole timeout and one line saying why`, async () => {
    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    const r = await celeryctl(['ping', '-t', '1.5', '--api', nowhere]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('5 workers: OK pong\n\n5 nodes online.\n');
    expect(r.ms).toBeGreaterThanOrEqual(1500);
    expect(r.stderr).toMatch(
      new RegExp(
        `^note: waited the whole 1.5 s, not knowing which workers are live: cannot reach the management API at ${nowhere} \\(ECONNREFUSED.*\\n$`,
      ),
    );
    const json = await celeryctl(['ping', '-t', '1', '--api', nowhere, '--json']);
    expect(JSON.parse(json.stdout).did_not_answer).toBeNull();
    const targeted = await celeryctl(['ping', '-t', '1', '--api', nowhere, '-d', all[0]!]);
    expect(targeted.stderr).toBe('');
    expect(targeted.ms).toBeLessThan(1000);
  });

  it(`${name}: a hung worker (SIGSTOP: still bound, still a consumer) is waited for and named as silent`, async () => {
    const hung = py[0]!;
    hung.worker.process.kill('SIGSTOP');
    try {
      const r = await celeryctl(withApi(['ping', '-t', '2']));
      expect(r.code).toBe(0);
      expect(r.ms).toBeGreaterThanOrEqual(2000);
      const others = all.filter((n) => n !== hung.nodename);
      expect(
        r.stdout
          .split('\n')
          .filter((l) => l.startsWith('-> '))
          .sort(),
      ).toEqual(others.map((n) => `-> ${n}: OK pong`).sort());
      expect(r.stdout).toContain(`\n1 of 5 workers did not answer within 2 s: ${hung.nodename}\n\n4 nodes online.\n`);
      const json = await celeryctl(withApi(['ping', '-t', '1', '--json']));
      expect(JSON.parse(json.stdout).did_not_answer).toEqual([hung.nodename]);
    } finally {
      hung.worker.process.kill('SIGCONT');
    }
  });

  it(`${name}: a killed worker's mailbox goes with it, so nobody waits for it`, async () => {
    const killed = camq[2]!;
    killed.worker.process.kill('SIGKILL');
    await killed.worker.exited;
    const left = all.filter((n) => n !== killed.nodename);
    await untilLive(left, 10_000);
    const r = await celeryctl(withApi(['ping', '-t', '5']));
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(2500);
    expect(r.stdout).not.toContain('did not answer');
    expect(r.stdout).not.toContain(killed.nodename);
    expect(r.stdout.endsWith('\n4 nodes online.\n')).toBe(true);
  });
});
