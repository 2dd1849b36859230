/** Shared set-up for celeryctl's integration tests: uniquely named Python Celery and camq workers and the real bin. */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { expect, vi } from 'vitest';
import { ControlClient } from '../../../src/control/control-client.js';
import type { ScheduledEntry, TaskInfo } from '../../../src/protocol/control-replies.js';
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

/** A worker of either kind, by its node name. */
export interface Node {
  readonly nodename: string;
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

  // The checks both celeryctl suites make, whichever kind of worker answers.
  /** Both answer a broadcast ping; `-d` one of them returns once it answered (ControlClient, celeryctl, --json). */
  expectPing(a: Node, b: Node): Promise<void>;
  /** `rate-limit tasks.add <rate> -d a` says so, and `inspect registered` shows the rate on a, none on b. */
  expectRateLimitSet(a: Node, b: Node, rate: string): Promise<void>;
  /** `inspect scheduled` comes to list task `id` (a countdown) on `node`, and `dump-schedule` shows its row. */
  expectScheduled(node: Node, id: string): Promise<void>;
  /** `inspect reserved` comes to list exactly `ids` (tasks.add of [1, 1] and [2, 2]) on `node`, and the table shows them. */
  expectReserved(node: Node, ids: readonly string[]): Promise<void>;
  /** Every command and inspect target (everyCommand, with `extraQueue` to add and cancel) answers --json from `node` alone. */
  expectEveryCommandParses(node: Node, extraQueue: string): Promise<void>;
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
  const celeryctlJson = async <T = Record<string, unknown>>(args: readonly string[]): Promise<T> => {
    const r = await celeryctl([...args, '--json']);
    expect(r.code, `celeryctl ${args.join(' ')}\n${r.stderr}`).toBe(0);
    const parsed = JSON.parse(r.stdout) as { replies: T; did_not_answer: unknown };
    expect(Object.keys(parsed).sort()).toEqual(['did_not_answer', 'replies']);
    return parsed.replies;
  };
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
    celeryctlJson,
    expectPing: async (a, b) => {
      const client = await ControlClient.connect(brokerUrl);
      try {
        const all = await client.ping({ timeout: 1 });
        expect(all.replies.get(a.nodename)).toEqual({ ok: 'pong' });
        expect(all.replies.get(b.nodename)).toEqual({ ok: 'pong' });
        expect(all.stoppedBy).toBe('timeout');
        const one = await client.ping({ destination: [b.nodename], timeout: 5 });
        expect([...one.replies.keys()]).toEqual([b.nodename]);
        expect(one.stoppedBy).toBe('limit');
      } finally {
        await client.close();
      }
      const human = await celeryctl(['ping', '-d', a.nodename]);
      expect(human.code).toBe(0);
      expect(human.stdout).toBe(`-> ${a.nodename}: OK pong\n\n1 node online.\n`);
      expect(await celeryctlJson(['ping', '-d', b.nodename])).toEqual({ [b.nodename]: { ok: 'pong' } });
    },
    expectRateLimitSet: async (a, b, rate) => {
      const set = await celeryctl(['rate-limit', 'tasks.add', rate, '-d', a.nodename]);
      expect(set.stdout).toBe(`-> ${a.nodename}: OK new rate limit set successfully\n`);
      const registered = await celeryctlJson<Record<string, string[]>>(['inspect', 'registered', '-d', `${a.nodename},${b.nodename}`]);
      expect(registered[a.nodename]).toContain(`tasks.add [rate_limit=${rate}]`);
      expect(registered[b.nodename]).toContain('tasks.add');
      expect(registered[b.nodename]!.join()).not.toContain('rate_limit');
    },
    expectScheduled: async (node, id) => {
      await vi.waitFor(
        async () => {
          const scheduled = await celeryctlJson<Record<string, ScheduledEntry[]>>(['inspect', 'scheduled', '-d', node.nodename]);
          expect(scheduled[node.nodename]?.map((e) => e.request.id)).toContain(id);
        },
        { timeout: 5000, interval: 100 },
      );
      const table = await celeryctl(['inspect', 'dump-schedule', '-d', node.nodename]);
      expect(table.stdout).toContain(`-> ${node.nodename}: OK 1 task`);
      expect(table.stdout).toMatch(
        new RegExp(`│ ${id} │ tasks.add │ \\(2, 3\\)\\s+│ \\d{4}-\\d\\d-\\d\\dT[\\d:]+\\+00:00 │ 0\\s+│ ${node.nodename} │`),
      );
    },
    expectReserved: async (node, ids) => {
      await vi.waitFor(
        async () => {
          const reserved = await celeryctlJson<Record<string, TaskInfo[]>>(['inspect', 'reserved', '-d', node.nodename]);
          expect(reserved[node.nodename]?.map((t) => t.id).sort()).toEqual([...ids].sort());
        },
        { timeout: 5000, interval: 100 },
      );
      const human = await celeryctl(['inspect', 'reserved', '-d', node.nodename]);
      expect(human.stdout).toContain(`-> ${node.nodename}: OK 2 tasks`);
      for (const id of ids) expect(human.stdout).toMatch(new RegExp(`│ ${id} │ tasks.add │ \\([12], [12]\\)\\s+│ -\\s+│ 0\\s+│ ${node.nodename} │`));
    },
    expectEveryCommandParses: async (node, extraQueue) => {
      for (const args of everyCommand(extraQueue)) {
        const reply = await celeryctlJson([...args, '-d', node.nodename]);
        expect(Object.keys(reply), args.join(' ')).toEqual([node.nodename]);
      }
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
