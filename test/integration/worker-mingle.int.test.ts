/**
 * Mingle between camq workers and Python Celery 5.2 workers, on each broker: a worker that starts learns the ids the
 * others revoked (and they learn its own), so a task revoked while it was away does not run there (PROTOCOL.md
 * §5.11), at start-up and again after a reconnect. Checked through `celery inspect revoked` and the workers' logs.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, expect, it, vi } from 'vitest';
import { brokerTargets, describeBrokers } from '../helpers/brokers.js';
import { deleteQueues, startCamqWorker, type CamqWorker } from '../helpers/camq-worker.js';
import { usePythonCelery, runCeleryCli, startPythonWorker, type PythonWorker } from '../helpers/python-celery.js';

const hasPython = await usePythonCelery('the mingle tests are skipped');
const targets = hasPython ? await brokerTargets({ embedded: 'child-process' }) : [];
const FIXTURE = 'test/fixtures/worker/tasks.js';

describeBrokers('worker mingle', targets, ({ url, inspector }) => {
  const stops: (() => Promise<unknown>)[] = [];
  const queues: string[] = [];
  const name = (kind: string) => `${kind}-${randomUUID().slice(0, 8)}@testhost`;
  const queue = () => {
    const q = `camq-test-${randomUUID()}`;
    queues.push(q);
    return q;
  };
  const camq = async (nodename: string, mingle: boolean): Promise<CamqWorker> => {
    const w = await startCamqWorker({ brokerUrl: url, module: FIXTURE, nodename, queues: queue(), mingle });
    stops.push(() => w.stop());
    return w;
  };
  const python = async (nodename: string, mingle: boolean): Promise<PythonWorker> => {
    const w = await startPythonWorker({ brokerUrl: url, nodename, queues: queue(), concurrency: 1, mingle });
    stops.push(() => w.stop());
    return w;
  };
  const revokedOn = async (nodename: string): Promise<string[]> => {
    const r = await runCeleryCli(url, ['inspect', 'revoked', '-d', nodename, '-j']);
    return (JSON.parse(r.stdout) as Record<string, string[]>)[nodename] ?? [];
  };
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await deleteQueues(url, queues.splice(0));
  });

  it('a camq worker that starts takes the ids a Python worker revoked, and the Python worker hears from it', async () => {
    const pyNode = name('py');
    const py = await python(pyNode, false);
    const id = randomUUID();
    expect((await runCeleryCli(url, ['control', 'revoke', id, '-d', pyNode, '-j'])).stdout).toContain('flagged as revoked');
    const worker = await camq(name('camq'), true);
    expect(worker.output()).toContain('mingle: searching for neighbors');
    expect(worker.output()).toMatch(/mingle: sync with [1-9]\d* nodes/);
    expect(await revokedOn(worker.nodename)).toContain(id);
    await py.waitForLog(new RegExp(`sync with ${escape(worker.nodename)}`));
  });

  it("a Python worker that starts takes a camq worker's revoked ids (sent as floats, as Python requires)", async () => {
    const worker = await camq(name('camq'), false);
    const id = randomUUID();
    const r = await runCeleryCli(url, ['control', 'revoke', id, '-d', worker.nodename, '-j']);
    expect(r.stdout).toContain('flagged as revoked');
    const pyNode = name('py');
    const py = await python(pyNode, true);
    await py.waitForLog(/mingle: sync with \d+ nodes/);
    expect(py.output()).not.toMatch(/Expecting float timestamp|Traceback/);
    await worker.waitForLog(new RegExp(`sync with ${escape(pyNode)}`));
    expect(await revokedOn(pyNode)).toContain(id);
  });

  it('a camq worker mingles again after a reconnect: it learns what was revoked elsewhere meanwhile', async () => {
    const pyNode = name('py');
    await python(pyNode, false);
    const worker = await camq(name('camq'), true);
    expect(worker.output().match(/mingle: searching for neighbors/g)).toHaveLength(1);
    // Revoked on the Python worker only: the camq worker can learn it by mingling, and by nothing else.
    const id = randomUUID();
    expect((await runCeleryCli(url, ['control', 'revoke', id, '-d', pyNode, '-j'])).stdout).toContain('flagged as revoked');
    expect(await revokedOn(worker.nodename)).not.toContain(id);

    expect(await inspector.closeConnectionsNamed(`camq worker ${worker.nodename}`, 'camq test: forced close')).toBeGreaterThanOrEqual(1);
    await vi.waitFor(() => expect(worker.output().match(/mingle: searching for neighbors/g)).toHaveLength(2), { timeout: 20_000, interval: 100 });
    await worker.waitForLog(/mingle: sync with [1-9]\d* nodes[\s\S]*mingle: sync with [1-9]\d* nodes/);
    expect(await revokedOn(worker.nodename)).toContain(id);
  });

  it('two camq workers: the second learns what the first revoked', async () => {
    const first = await camq(name('camq1'), false);
    const id = randomUUID();
    await runCeleryCli(url, ['control', 'revoke', id, '-d', first.nodename, '-j']);
    const second = await camq(name('camq2'), true);
    expect(await revokedOn(second.nodename)).toContain(id);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
