/** Shared set-up for celeryctl's integration tests: uniquely named Python Celery and camq workers and the real bin. */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { expect } from 'vitest';
import { deleteQueues, startCamqWorker, type CamqWorker } from '../../helpers/camq-worker.js';
import { startPythonWorker, type PythonWorker } from '../../helpers/python-celery.js';
import { runBin, type BinResult } from '../../helpers/run-bin.js';

export interface NamedWorker {
  readonly nodename: string;
  readonly queue: string;
  readonly worker: PythonWorker;
}

export interface NamedCamqWorker {
  readonly nodename: string;
  readonly queue: string;
  readonly worker: CamqWorker;
}

/** Uniquely named workers of both kinds and the real celeryctl bin, all on one broker. */
export interface CtlFixture {
  /** A Python Celery 5 worker with a unique node name (`camq-test-<label>-<id>@<host>`) and its own queue. */
  startNamedWorker(label: string, options?: { concurrency?: number }): Promise<NamedWorker>;
  /** Stop the workers and delete their (durable) task queues and the same-named exchanges, so no test leaves them behind. */
  stopNamedWorkers(workers: readonly (NamedWorker | undefined)[]): Promise<void>;
  /** camq's own worker (examples/tasks.js) with a unique node name (`camq-test-<label>-<id>@<host>`) and its own queue. */
  startNamedCamqWorker(label: string, args?: readonly string[]): Promise<NamedCamqWorker>;
  /** Stop camq workers and delete their task queues and same-named exchanges. */
  stopNamedCamqWorkers(workers: readonly (NamedCamqWorker | undefined)[]): Promise<void>;
  /** Run the built `celeryctl` against the fixture's broker (or `broker`). */
  celeryctl(args: readonly string[], options?: { broker?: string; timeoutMs?: number }): Promise<BinResult>;
  /**
   * Run `celeryctl ... --json` and return its `replies` (Celery's `{"<nodename>": <reply>}`), checking the
   * envelope's keys; fails the test on a non-zero exit.
   */
  celeryctlJson<T = Record<string, unknown>>(args: readonly string[]): Promise<T>;
}

export function ctlFixture(brokerUrl: string): CtlFixture {
  const named = (label: string) => {
    const id = randomUUID().slice(0, 8);
    return { nodename: `camq-test-${label}-${id}@${hostname()}`, queue: `camq-test-${label}-${id}` };
  };
  const stop = async (workers: readonly ({ queue: string; worker: { stop(): Promise<unknown> } } | undefined)[]) => {
    const started = workers.filter((w) => w !== undefined);
    await Promise.all(started.map((w) => w.worker.stop()));
    await deleteQueues(
      brokerUrl,
      started.map((w) => w.queue),
    );
  };
  const celeryctl: CtlFixture['celeryctl'] = (args, options = {}) => runBin('celeryctl', [...args, '-b', options.broker ?? brokerUrl], options);
  return {
    startNamedWorker: async (label, options = {}) => {
      const { nodename, queue } = named(label);
      return { nodename, queue, worker: await startPythonWorker({ brokerUrl, nodename, queues: queue, concurrency: options.concurrency ?? 1 }) };
    },
    stopNamedWorkers: stop,
    startNamedCamqWorker: async (label, args = ['-c', '1']) => {
      const { nodename, queue } = named(label);
      return { nodename, queue, worker: await startCamqWorker({ brokerUrl, nodename, queues: queue, args }) };
    },
    stopNamedCamqWorkers: stop,
    celeryctl,
    celeryctlJson: async <T>(args: readonly string[]) => {
      const r = await celeryctl([...args, '--json']);
      expect(r.code, `celeryctl ${args.join(' ')}\n${r.stderr}`).toBe(0);
      const parsed = JSON.parse(r.stdout) as { replies: T; did_not_answer: unknown };
      expect(Object.keys(parsed).sort()).toEqual(['did_not_answer', 'replies']);
      return parsed.replies;
    },
  };
}

/** celeryctl's argument lists for every command and inspect target (for "every --json output parses"). */
export function everyCommand(extraQueue: string): string[][] {
  return [
    ['ping'],
    ['status'],
    ...['active', 'reserved', 'scheduled', 'revoked', 'registered', 'stats', 'active-queues', 'conf', 'report', 'clock', 'ping'].map((t) => [
      'inspect',
      t,
    ]),
    ['inspect', 'query-task', randomUUID()],
    ['inspect', 'registered', 'rate_limit', 'serializer'],
    ['rate-limit', 'tasks.noop', '5/s'],
    ['rate-limit', 'tasks.noop', '0'],
    ['time-limit', 'tasks.noop', '5', '10'],
    ['enable-events'],
    ['disable-events'],
    ['heartbeat'],
    ['add-consumer', extraQueue],
    ['cancel-consumer', extraQueue],
    ['pool-grow'],
    ['pool-shrink'],
    ['autoscale', '2', '1'],
    ['revoke', randomUUID(), '--terminate', '--signal', 'KILL'],
    ['terminate', 'TERM', randomUUID()],
    ['call', 'dump_tasks', '--args', '{"builtins": true}'],
  ];
}
