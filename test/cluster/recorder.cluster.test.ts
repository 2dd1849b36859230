/**
 * `camq record` on a three-node RabbitMQ cluster (short form): given the nodes as a URL list, the recorder declares
 * its queue as a quorum queue and names the journal by the cluster; when its node is killed it reconnects to the
 * next node, says so, and goes on recording the events of tasks a camq worker on another node runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/journal/index.js';
import { startCamqWorker, type CamqWorker } from '../helpers/camq-worker.js';
import { useRabbitmqCluster } from '../helpers/rabbitmq-cluster.js';
import { ROOT, runBin } from '../helpers/run-bin.js';

const cluster = useRabbitmqCluster();

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!cluster)('camq record on a three-node RabbitMQ cluster', () => {
  const c = cluster!;
  const queue = `camq-test-recorder-${randomUUID().slice(0, 8)}`;
  const workerQueue = `camq-test-recorder-w-${randomUUID().slice(0, 8)}`;
  const data = mkdtempSync(join(tmpdir(), 'camq-rec-cluster-'));
  let recorder: ChildProcess | undefined;
  let worker: CamqWorker | undefined;

  afterAll(async () => {
    recorder?.kill('SIGKILL');
    await worker?.stop();
    await runBin('camq', ['-b', c.urlList([3, 2, 1]), 'record', '--queue', queue, '--delete-queue']);
    await runBin('camqadm', ['-b', c.url(3), 'queue.delete', workerQueue]);
    await runBin('camqadm', ['-b', c.url(3), 'exchange.delete', workerQueue]);
    rmSync(data, { recursive: true, force: true });
  });

  it('declares a quorum queue, names the journal by the cluster, and survives the kill of its node', async () => {
    worker = await startCamqWorker({ brokerUrl: c.urlList([3, 2, 1]), queues: workerQueue, nodename: 'rec@cluster', args: ['-E'] });
    const env = { ...process.env, XDG_DATA_HOME: data, NO_COLOR: '1' };
    recorder = spawn(process.execPath, [`${ROOT}bin/camq`, '-b', c.urlList(), 'record', '--queue', queue, '--json', '--status-interval', '1'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    recorder.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    recorder.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const lines = () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    await until(() => lines().some((l) => l['status'] === 'consuming'), 60_000, 'the recorder to consume');
    const first = lines().find((l) => l['status'] === 'consuming')!;
    expect(first['queueType']).toBe('quorum');
    expect(first['node']).toBe(`amqp://guest:**@127.0.0.1:${c.info.port}//`);
    // The journal is the cluster's, and clusters.json lets `camq history` on any one node find it.
    expect(first['journal']).toBe(join(data, 'camq', `cluster_${encodeURIComponent(`${c.info.name}-cluster`)}_%2F`));
    const types = await c.rabbitmqctl(2, 'list_queues', '-q', '--no-table-headers', 'name', 'type');
    expect(types).toMatch(new RegExp(`${queue}\\s+quorum`));
    const written = () =>
      Number(
        lines()
          .filter((l) => l['status'] === 'recording')
          .at(-1)?.['written'] ?? 0,
      );
    await until(() => written() > 0, 30_000, 'events written');

    const before = written();
    await c.killNode(1);
    // Node 1 comes back whatever happens: the next files of the run need all three.
    try {
      await until(() => lines().filter((l) => l['status'] === 'consuming').length >= 2, 60_000, 'the recorder to reconnect');
      const again = lines().filter((l) => l['status'] === 'consuming')[1]!;
      expect(again['node']).toBe(`amqp://guest:**@127.0.0.1:${c.info.port + 1}//`);
      expect(again['queueType']).toBe('quorum');
      expect(out).toMatch(/"status":"reconnecting"/);
      // The journal keeps a heartbeat a minute per worker: tasks make the events to write after the kill.
      for (let i = 0; i < 3; i++) await runBin('camq', ['-b', c.url(3), 'call', 'tasks.add', '--args', `[${i}, 1]`, '--queue', workerQueue]);
      await until(() => written() > before + 1, 30_000, 'events written after the node kill');
      recorder.kill('SIGTERM');
      await new Promise((r) => recorder!.once('close', r));
      recorder = undefined;
    } finally {
      await c.startNode(1);
    }

    const history = await runBin('camq', ['-b', c.url(2), 'history'], { env });
    // Found through node 2's URL: only the cluster's journal holds the tasks run after the kill.
    expect(history.stdout, history.stderr).toMatch(/tasks\.add/);
    expect(readJournal(String(first['journal'])).summary().events).toBeGreaterThan(before);
  });
});
