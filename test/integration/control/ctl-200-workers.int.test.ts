/**
 * celeryctl against 200 simulated Celery 5.2 workers on RabbitMQ with its management API (issue 13): all 200 answer
 * and the broadcast returns as soon as they did; then 3 are killed (SIGKILL: their auto-delete mailboxes go with their
 * connection, so they drop out of the live set and nobody waits for them) and 3 others hang (SIGSTOP: still bound,
 * still consumers, never answering), and those 3 are named as silent. The workers run in processes of their own
 * (test/helpers/worker-sim.ts, groups of 3, 3 and 194); celeryctl runs as the built bin. Needs `npm run build`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveMailboxes } from '../../../src/queues/live-mailboxes.js';
import { ManagementApi } from '../../../src/queues/management-api.js';
import { parseBrokerUrl } from '../../../src/transport/broker-url.js';
import { RABBITMQ_URL, useRabbitmqManagementApi } from '../../helpers/brokers.js';
import { startWorkerSim, type WorkerSim } from '../../helpers/worker-sim.js';
import { ctlFixture } from './ctl-fixture.js';

const ok = await useRabbitmqManagementApi();

describe.skipIf(!ok)('celeryctl with 200 simulated workers on RabbitMQ', () => {
  const tag = randomBytes(3).toString('hex');
  const mine = (node: string) => node.includes(`@sim-${tag}-`);
  const broker = parseBrokerUrl(RABBITMQ_URL);
  const api = new ManagementApi({ baseUrl: `http://${broker.hostname}:15672`, username: broker.username, password: broker.password });
  const { celeryctl } = ctlFixture(RABBITMQ_URL);
  let sim: WorkerSim;

  /** Until the API lists exactly `nodes` of this run as live (RabbitMQ samples consumer counts every 5 s). */
  async function untilLive(nodes: readonly string[], timeoutMs = 20_000): Promise<void> {
    const want = [...nodes].sort();
    const deadline = Date.now() + timeoutMs;
    let seen: string[] = [];
    while (Date.now() < deadline) {
      seen = (await liveMailboxes(api, broker.vhost)).filter(mine).sort();
      if (JSON.stringify(seen) === JSON.stringify(want)) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the management API never listed exactly the ${want.length} expected workers as live (last: ${seen.length})`);
  }

  /** The `-> node: OK pong` lines of a --expand output, by node name. */
  const answered = (stdout: string) =>
    stdout
      .split('\n')
      .map((l) => /^-> (\S+): OK pong$/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined);

  beforeAll(async () => {
    sim = await startWorkerSim({ url: RABBITMQ_URL, workers: 200, groupSizes: [3, 3, 194], tag });
    await untilLive(sim.nodenames);
  }, 90_000);

  afterAll(async () => {
    if (sim) {
      sim.resume(1);
      await sim.stop();
    }
  });

  it('all 200 answer, and the broadcast returns once they did, well before its timeout, grouped', async () => {
    const r = await celeryctl(['ping', '-t', '5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('200 workers: OK pong\n\n200 nodes online.\n');
    expect(r.ms).toBeLessThan(3000);
    const expanded = await celeryctl(['ping', '-t', '5', '--expand']);
    expect(answered(expanded.stdout).sort()).toEqual([...sim.nodenames].sort());
  });

  it('3 killed are not waited for; 3 hung are waited for and named as silent', async () => {
    const killed = sim.groups[0]!.nodenames;
    const hung = sim.groups[1]!.nodenames;
    const answering = sim.groups[2]!.nodenames;
    sim.kill(0);
    sim.hang(1);
    // The killed ones' mailboxes go with their connection; the hung ones stay bound with their consumers.
    await untilLive([...hung, ...answering]);
    const r = await celeryctl(['ping', '-t', '2', '--expand']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.ms).toBeGreaterThanOrEqual(2000);
    expect(r.ms).toBeLessThan(5000);
    expect(answered(r.stdout).sort()).toEqual([...answering].sort());
    expect(r.stdout).toContain(`\n3 of 197 workers did not answer within 2 s: ${[...hung].sort().join(', ')}\n`);
    expect(r.stdout.endsWith('\n194 nodes online.\n')).toBe(true);
    for (const node of killed) expect(r.stdout).not.toContain(node);
    const json = await celeryctl(['inspect', 'ping', '-t', '1', '--json']);
    const parsed = JSON.parse(json.stdout) as { replies: Record<string, unknown>; did_not_answer: string[] };
    expect(Object.keys(parsed.replies).sort()).toEqual([...answering].sort());
    expect([...parsed.did_not_answer].sort()).toEqual([...hung].sort());
  }, 30_000);
});
