/**
 * The audit trail in the journal (docs/audit.md): actions taken with the built bins — celeryctl's revoke answered by
 * a camq worker, `camq queues purge` — are recorded in the broker's journal with who, what, when and the replies,
 * and `camq history --actions --json` lists them; `--no-journal` records nothing. RabbitMQ and the embedded broker.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { journaledTaskBody, readJournal } from '../../../src/journal/index.js';
import { createTransport, type Transport } from '../../../src/transport/index.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { deleteQueues, startCamqWorker, type CamqWorker } from '../../helpers/camq-worker.js';
import { runBin } from '../../helpers/run-bin.js';

const targets = await brokerTargets({ embedded: 'child-process' });

interface Listed {
  who: string;
  what: string;
  when: number;
  target: string;
  replies?: unknown;
  outcome?: { ok: boolean };
}

describeBrokers('the audit trail in the journal', targets, ({ url }) => {
  const queue = `camq-test-audit-${randomUUID().slice(0, 8)}`;
  const workerQueue = `camq-test-audit-w-${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), 'camq-audit-'));
  let connection: Transport;
  let worker: CamqWorker;

  beforeAll(async () => {
    connection = await createTransport(url).connect();
    const channel = await connection.openChannel();
    await channel.assertQueue(queue, { durable: true });
    for (const body of ['one', 'two', 'three']) channel.publish('', queue, Buffer.from(body), { contentType: 'text/plain' });
    await channel.close();
    worker = await startCamqWorker({ brokerUrl: url, queues: workerQueue });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await connection?.close();
    await deleteQueues(url, [queue, workerQueue]);
    rmSync(dir, { recursive: true, force: true });
  });

  const listed = async (): Promise<Listed[]> => {
    const r = await runBin('camq', ['history', '--actions', '--json', '--journal', dir]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Listed);
  };

  it('records a revoke with the worker’s reply and a purge with its count; history --actions --json lists them', async () => {
    const started = Date.now();
    const taskId = randomUUID();
    const revoke = await runBin('celeryctl', ['-b', url, '--journal', dir, 'revoke', taskId, '-d', worker.nodename, '-t', '5']);
    expect(revoke.code, revoke.stderr).toBe(0);
    const purge = await runBin('camq', ['-b', url, '--journal', dir, 'queues', 'purge', queue, '--yes']);
    expect(purge.code, purge.stderr).toBe(0);
    const actions = await listed();
    const who = `${userInfo().username}@${hostname()}`;
    expect(actions.map((a) => [a.what, a.target, a.who])).toEqual([
      ['revoke', taskId, who],
      ['queue.purge', queue, who],
    ]);
    expect(actions[0]!.replies).toEqual({ [worker.nodename]: { ok: `tasks ${taskId} flagged as revoked` } });
    expect(actions[1]!.replies).toEqual({ removed: 3 });
    expect(actions.every((a) => a.when >= started - 1000 && a.when <= Date.now() && a.outcome?.ok === true)).toBe(true);
    const text = await runBin('camq', ['history', '--actions', '--journal', dir]);
    expect(text.stdout).toContain(`revoke ${taskId}`);
    expect(text.stdout).toContain(`queue.purge ${queue}`);
  }, 60_000);

  it('records nothing with --no-journal', async () => {
    const before = (await listed()).length;
    const revoke = await runBin('celeryctl', ['-b', url, '--journal', dir, '--no-journal', 'revoke', randomUUID(), '-d', worker.nodename, '-t', '5']);
    expect(revoke.code, revoke.stderr).toBe(0);
    const purge = await runBin('camq', ['-b', url, '--no-journal', 'queues', 'purge', queue, '--yes']);
    expect(purge.code, purge.stderr).toBe(0);
    expect(await listed()).toHaveLength(before);
  }, 60_000);

  it('camq call records the action and, at the source, the body it sent (exact arguments for a retry)', async () => {
    const long = 'y'.repeat(1500);
    const call = await runBin('camq', ['-b', url, '--journal', dir, 'call', 'tasks.echo', '--args', JSON.stringify([long, 2]), '-Q', queue]);
    expect(call.code, call.stderr).toBe(0);
    const id = call.stdout.trim();
    const body = journaledTaskBody(readJournal(dir), id);
    expect(body).toMatchObject({ taskId: id, name: 'tasks.echo', routingKey: queue });
    expect(JSON.parse(body!.body.toString('utf8'))[0]).toEqual([long, 2]);
    expect((await listed()).at(-1)).toMatchObject({ what: 'task.call', target: 'tasks.echo', replies: { id } });
  }, 60_000);
});
