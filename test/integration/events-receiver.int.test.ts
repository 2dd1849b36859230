/**
 * The event receiver against each broker (RabbitMQ, and the embedded one as `camq broker` in its own process) with a
 * real Python Celery worker (-E) as the event source. This file also inspects raw broker state on purpose (the
 * broker's inspector): the receiver's queue arguments, that it leaves no queue behind, and a forced connection close
 * for the reconnect path.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { BrokerConnection } from '../../src/amqp/index.js';
import { ClusterState, isWorkerAlive } from '../../src/events/cluster-state.js';
import type { ConnectionStatus } from '../../src/events/connection-status.js';
import { EventReceiver } from '../../src/events/event-receiver.js';
import type { EventEnvelope } from '../../src/protocol/event-message.js';
import { brokerTargets, describeBrokers } from '../helpers/brokers.js';
import { deleteQueues } from '../helpers/camq-worker.js';
import { usePythonCelery, runPython, startPythonWorker, type PythonWorker } from '../helpers/python-celery.js';

const hasPython = await usePythonCelery('the event receiver tests are skipped');
const targets = hasPython ? await brokerTargets({ embedded: 'child-process' }) : [];

interface Monitor {
  readonly connection: BrokerConnection;
  readonly receiver: EventReceiver;
  readonly state: ClusterState;
  readonly events: EventEnvelope[];
  close(): Promise<void>;
}

async function startMonitor(url: string, name: string): Promise<Monitor> {
  const connection = new BrokerConnection({ url, reconnect: true, connectionName: name, backoff: { initialMs: 100, maxMs: 500 } });
  const receiver = new EventReceiver({ connection });
  const state = new ClusterState();
  const events: EventEnvelope[] = [];
  receiver.on('events', (batch) => {
    events.push(...batch);
    state.applyAll(batch, Date.now());
  });
  await receiver.start();
  await connection.connect();
  return {
    connection,
    receiver,
    state,
    events,
    close: async () => {
      await receiver.stop();
      await connection.close();
    },
  };
}

describeBrokers('EventReceiver with a Python Celery worker (-E)', targets, ({ url, inspector }) => {
  const nodename = `camq-ev-${randomUUID().slice(0, 8)}@test`;
  const queue = `camq-test-${randomUUID()}`;
  let worker: PythonWorker | undefined;
  let monitor: Monitor;

  beforeAll(async () => {
    monitor = await startMonitor(url, `camq-test-${randomUUID()}`);
    worker = await startPythonWorker({ brokerUrl: url, nodename, queues: queue, events: true, concurrency: 1 });
  });

  afterAll(async () => {
    await worker?.stop();
    await monitor?.close();
    await deleteQueues(url, [queue]);
  });

  it('declares its own exclusive, auto-delete queue with the message TTL and x-expires, bound to celeryev with #', async () => {
    const name = monitor.receiver.queue!;
    expect(name).toMatch(/^celeryev\.[0-9a-f-]{36}$/);
    expect(await inspector.queue(name)).toMatchObject({
      exclusive: true,
      autoDelete: true,
      durable: false,
      arguments: { 'x-message-ttl': 5000, 'x-expires': 60000 },
    });
    expect(await inspector.listBindings()).toContainEqual({ source: 'celeryev', destination: name, routingKey: '#' });
  });

  it('sees the worker come online and heartbeat', async () => {
    await vi.waitFor(() => expect(monitor.state.workers.get(nodename)).toBeDefined(), { timeout: 15_000 });
    const w = monitor.state.workers.get(nodename)!;
    expect(w).toMatchObject({ swIdent: 'py-celery', freq: 2 });
    expect(isWorkerAlive(w, Date.now())).toBe(true);
    const count = monitor.events.filter((e) => e.hostname === nodename && e.type === 'worker-heartbeat').length;
    await vi.waitFor(
      () => expect(monitor.events.filter((e) => e.hostname === nodename && e.type === 'worker-heartbeat').length).toBeGreaterThan(count),
      { timeout: 10_000 },
    );
  });

  it('a new receiver wakes the workers: the cast heartbeat command brings a freq 5 heartbeat at once', async () => {
    const second = await startMonitor(url, `camq-test-${randomUUID()}`);
    try {
      await vi.waitFor(
        () =>
          expect(second.events.some((e) => e.hostname === nodename && e.type === 'worker-heartbeat' && (e as { freq?: number }).freq === 5)).toBe(
            true,
          ),
        { timeout: 5000 },
      );
    } finally {
      await second.close();
    }
  });

  it('task lifecycles from task.multi batches reach the state with repr fields', async () => {
    const out = await runPython(
      url,
      [
        'from tasks import add, fail',
        `a = add.apply_async((2, 3), queue=${JSON.stringify(queue)})`,
        `f = fail.apply_async(('bad',), queue=${JSON.stringify(queue)})`,
        'print(a.id, f.id)',
        'print(a.get(timeout=20))',
        'try:\n    f.get(timeout=20)\nexcept Exception as e:\n    print(type(e).__name__)',
      ].join('\n'),
    );
    const [addId, failId] = out.split('\n')[0]!.split(' ');
    await vi.waitFor(() => expect(monitor.state.tasks.get(failId!)?.state).toBe('FAILURE'), { timeout: 15_000 });
    await vi.waitFor(() => expect(monitor.state.tasks.get(addId!)?.state).toBe('SUCCESS'), { timeout: 15_000 });
    const add = monitor.state.tasks.get(addId!)!;
    expect(add).toMatchObject({ name: 'tasks.add', args: '(2, 3)', kwargs: '{}', result: '5', worker: nodename });
    expect(add.runtime).toBeGreaterThan(0);
    expect(add.received).toBeLessThanOrEqual(add.started!);
    const failed = monitor.state.tasks.get(failId!)!;
    expect(failed).toMatchObject({ name: 'tasks.fail', args: "('bad',)", exception: "RuntimeError('bad')" });
    expect(failed.traceback).toContain('RuntimeError: bad');
    // Python workers batch task events on task.multi: the receiver saw them as arrays and split them.
    expect(monitor.events.filter((e) => e.type.startsWith('task-') && e.hostname === nodename).length).toBeGreaterThanOrEqual(6);
    expect(monitor.state.taskTypes.get('tasks.add')!.counts.succeeded).toBe(1);
  });

  it('reconnects after the broker closes its connection, with a new queue, and keeps receiving', async () => {
    const name = `camq-test-${randomUUID()}`;
    const m = await startMonitor(url, name);
    try {
      const before = m.receiver.queue;
      const statuses: ConnectionStatus[] = [];
      m.receiver.on('status', (status) => statuses.push(status));
      expect(await inspector.closeConnectionsNamed(name, 'camq test: forced close')).toBe(1);
      await vi.waitFor(() => expect(m.receiver.status).toMatchObject({ phase: 'connected', reconnects: 1 }), { timeout: 15_000 });
      // What the live view's header shows meanwhile: why, and which attempt is next.
      expect(statuses.find((st) => st.attempt === 1)).toMatchObject({
        phase: 'reconnecting',
        reason: expect.stringMatching(/camq test: forced close/),
      });
      expect(m.receiver.status).toMatchObject({ attempt: undefined, reason: undefined });
      expect(m.receiver.queue).not.toBe(before);
      const seen = m.events.length;
      await vi.waitFor(() => expect(m.events.length).toBeGreaterThan(seen), { timeout: 10_000 });
    } finally {
      await m.close();
    }
  });

  it('the worker going offline is seen at once, and a closed receiver leaves no queue behind', async () => {
    const name = monitor.receiver.queue!;
    await worker!.stop();
    await vi.waitFor(() => expect(monitor.state.workers.get(nodename)?.hasShutdown).toBe(true), { timeout: 15_000 });
    expect(isWorkerAlive(monitor.state.workers.get(nodename)!, Date.now())).toBe(false);
    await monitor.close();
    expect(await inspector.queue(name)).toBeUndefined();
  });
});
