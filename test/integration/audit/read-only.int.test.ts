/**
 * `--read-only` and CAMQ_READ_ONLY=1 through the built bins (celeryctl, camqadm, camq ctl/queues/shell) on RabbitMQ and
 * the embedded broker: every action refused with one line naming the flag, exit 1, nothing changed; reads still run.
 * And the audit hook at the engines: a sink passed in sees each action (camqadm's declare, purge, move) with its
 * outcome, and no read.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ActionPolicy } from '../../../src/audit/action-policy.js';
import { CollectingActionSink } from '../../../src/audit/action-record.js';
import { moveMessages } from '../../../src/queues/move.js';
import { peekQueue } from '../../../src/queues/peek.js';
import { purgeAll } from '../../../src/queues/purge.js';
import { ShellSession } from '../../../src/shell/shell-session.js';
import { createTransport, type Transport } from '../../../src/transport/index.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { deleteQueues } from '../../helpers/camq-worker.js';
import { runBin } from '../../helpers/run-bin.js';

const targets = await brokerTargets({ embedded: 'child-process' });
const REFUSED = /^Error: refused (\S+): it changes the cluster and camq runs read-only \(--read-only or CAMQ_READ_ONLY=1\); run without it to act$/m;

describeBrokers('read-only mode and the audit hook', targets, ({ url }) => {
  const a = `camq-test-ro-a-${randomUUID().slice(0, 8)}`;
  const b = `camq-test-ro-b-${randomUUID().slice(0, 8)}`;
  let connection: Transport;

  beforeAll(async () => {
    connection = await createTransport(url).connect();
    const channel = await connection.openChannel();
    await channel.assertQueue(a, { durable: true });
    await channel.assertQueue(b, { durable: true });
    channel.publish('', a, Buffer.from('one'), { contentType: 'text/plain' });
    channel.publish('', a, Buffer.from('two'), { contentType: 'text/plain' });
    await channel.close();
  });

  afterAll(async () => {
    await connection?.close();
    await deleteQueues(url, [a, b]);
  });

  const depth = async (queue: string) => {
    const channel = await connection.openChannel();
    const { messageCount } = await channel.checkQueue(queue);
    await channel.close();
    return messageCount;
  };

  it('refuses every action of every tool, before it changes anything', async () => {
    const ro = { CAMQ_READ_ONLY: '1' };
    const runs: [string, Promise<{ code: number; stderr: string }>][] = [
      ['revoke', runBin('celeryctl', ['-b', url, '--read-only', 'revoke', 'abc'])],
      ['rate_limit', runBin('celeryctl', ['-b', url, 'rate-limit', 'tasks.add', '10/s'], { env: ro })],
      ['time_limit', runBin('celeryctl', ['-b', url, 'time-limit', 'tasks.add', '10'], { env: ro })],
      ['terminate', runBin('celeryctl', ['-b', url, 'terminate', 'SIGKILL', 'abc'], { env: ro })],
      ['pool_grow', runBin('camq', ['-b', url, '--read-only', 'ctl', 'pool-grow'])],
      ['add_consumer', runBin('camq', ['-b', url, 'ctl', 'add-consumer', 'q'], { env: ro })],
      ['shutdown', runBin('celeryctl', ['-b', url, '--read-only', 'shutdown', '--yes'])],
      ['control.my_command', runBin('celeryctl', ['-b', url, 'call', 'my_command'], { env: ro })],
      ['queue.purge', runBin('camq', ['-b', url, 'queues', 'purge', a, '--yes', '--read-only'])],
      ['queue.move', runBin('camq', ['-b', url, 'queues', 'move', a, b], { env: ro })],
      ['task.call', runBin('camq', ['-b', url, 'call', 'tasks.add'], { env: ro })],
      ['queue.delete', runBin('camqadm', ['-b', url, '--read-only', 'queue.delete', a])],
      ['basic.publish', runBin('camq', ['-b', url, 'shell', 'basic.publish', 'x', '', a], { env: ro })],
    ];
    for (const [what, pending] of runs) {
      const r = await pending;
      expect(r.code, what).toBe(1);
      expect(r.stderr.match(REFUSED)?.[1], `${what}: ${r.stderr}`).toBe(what);
    }
    expect(await depth(a)).toBe(2);
    expect(await depth(b)).toBe(0);
  });

  it('keeps reads working: ping, inspect, peek, basic.get', async () => {
    const ro = { CAMQ_READ_ONLY: '1' };
    const ping = await runBin('celeryctl', ['-b', url, 'ping', '-t', '0.3'], { env: ro });
    expect(ping.code).toBe(3); // no worker here: the read ran and nobody answered
    const inspect = await runBin('camq', ['-b', url, '--read-only', 'ctl', 'inspect', 'active', '-t', '0.3']);
    expect(inspect.code).toBe(3);
    const peek = await runBin('camq', ['-b', url, 'queues', 'peek', a, '--json'], { env: ro });
    expect(peek.code).toBe(0);
    expect(peek.stdout.trim().split('\n')).toHaveLength(2);
    const get = await runBin('camqadm', ['-b', url, '--read-only', 'basic.get', a]);
    expect(get.code).toBe(0);
    expect(get.stdout).toContain('one');
    expect(await depth(a)).toBe(2);
  });

  it('hands each action to the sink with its outcome, and no read', async () => {
    const sink = new CollectingActionSink();
    const actions = new ActionPolicy({ sink, who: 'ann@ops1' });
    const session = await ShellSession.open({ connection, actions });
    const temp = `camq-test-ro-tmp-${randomUUID().slice(0, 8)}`;
    expect((await session.execute(`queue.declare ${temp}`))?.ok).toBe(true);
    expect((await session.execute(`basic.get ${a}`))?.ok).toBe(true);
    expect((await session.execute(`queue.delete ${temp}`))?.ok).toBe(true);
    await session.close();
    await peekQueue(connection, a, { count: 5 });
    const moved = await moveMessages(connection, a, b, { actions });
    expect(moved.moved).toBe(2);
    const purged = await purgeAll(connection, b, { actions });
    expect(purged.messageCount).toBe(2);
    expect(sink.records.map((r) => [r.who, r.what, r.target, r.outcome.ok])).toEqual([
      ['ann@ops1', 'camqadm.queue.declare', temp, true],
      ['ann@ops1', 'camqadm.queue.delete', temp, true],
      ['ann@ops1', 'queue.move', `${a} -> ${b}`, true],
      ['ann@ops1', 'queue.purge', b, true],
    ]);
    expect(sink.records[2]!.outcome.result).toEqual({ moved: 2, kept: 0 });
    expect(sink.records[3]!.outcome.result).toEqual({ removed: 2 });
    expect(sink.records.every((r) => typeof r.when === 'number' && r.when > 0)).toBe(true);
  });

  it('refuses in the engines too, for library and live-view use', async () => {
    const actions = new ActionPolicy({ readOnly: true });
    await expect(purgeAll(connection, a, { actions })).rejects.toMatchObject({ code: 'usage.read-only' });
    const session = await ShellSession.open({ connection, actions });
    const outcome = await session.execute(`queue.purge ${a}`);
    expect(outcome?.ok).toBe(false);
    expect(outcome?.error?.code).toBe('usage.read-only');
    await session.close();
  });
});
