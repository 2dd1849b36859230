import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTransport } from '../transport/index.js';
import { CamqApp } from '../worker/app.js';
import { removeTaskQueue, taskQueue, type TaskQueue } from '../worker/task-queue.js';
import { TrafficGenerator } from './traffic-generator.js';

const ROOT = new URL('../../', import.meta.url);
const CAMQ_BIN = fileURLToPath(new URL('bin/camq', ROOT));
const EXAMPLE_TASKS = fileURLToPath(new URL('examples/tasks.js', ROOT));

/** How long a worker has for its warm shutdown before it is killed. */
const KILL_AFTER_MS = 10_000;

export interface DemoClusterOptions {
  readonly url: string;
  readonly workers: number;
  /** Tasks sent per second. */
  readonly rate: number;
  /**
   * Sets this run's names apart on a broker others use (`camq-demo-<id>`, `demo<i>-<id>@host`); `''` for a broker
   * of the demo's own, where the plain names (`camq-demo`, `demo<i>@host`) cannot clash and are the ones the README
   * can show. @defaultValue six random hex digits
   */
  readonly id?: string;
  /** Told what the cluster is doing while it stops (a stop takes seconds: warm shutdowns, the queue's removal). */
  readonly onProgress?: (line: string) => void;
}

/** How a stop went: where the logs are when they were kept, and why. */
export interface DemoStopReport {
  /** Set when the logs were kept because a worker did not end cleanly. */
  readonly keptLogs?: { readonly dir: string; readonly reason: string };
  /** Set when the demo queue could not be removed (the broker went away first). */
  readonly leftQueue?: { readonly name: string; readonly reason: string };
}

interface DemoWorker {
  readonly node: string;
  readonly child: ChildProcess;
  /** Resolves with how the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The demo's cluster on a broker that may be the user's own (`camq demo -b URL`): worker processes running
 * examples/tasks.js and a traffic generator, all on a queue and node names of this run only (`camq-demo-<id>`,
 * `demo<i>-<id>@host`), so no demo task lands in the user's `celery` queue and no demo node clashes with theirs.
 * `stop()` takes back what the run made: the workers end (their unfinished and ETA tasks go back to the demo queue),
 * then the queue and its exchange are deleted with whatever they still hold, and the log folder is removed.
 */
export class DemoCluster {
  readonly id: string;
  readonly queue: TaskQueue;
  readonly logDir: string;
  private readonly options: DemoClusterOptions;
  private readonly app: CamqApp;
  private readonly traffic: TrafficGenerator;
  private readonly workers: DemoWorker[] = [];
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(options: DemoClusterOptions) {
    this.options = options;
    this.id = options.id ?? randomBytes(3).toString('hex');
    this.queue = taskQueue(`camq-demo${this.suffix}`);
    this.logDir = mkdtempSync(join(tmpdir(), 'camq-demo-'));
    this.app = new CamqApp({ broker: options.url, defaultQueue: this.queue.name });
    this.traffic = new TrafficGenerator({
      rate: options.rate,
      send: (name, call) => this.app.taskOf(name).applyAsync({ ...call, ignoreResult: true }),
    });
  }

  /** Node name of worker `i` (from 1). */
  nodeName(i: number): string {
    return `demo${i}${this.suffix}@${hostname()}`;
  }

  private get suffix(): string {
    return this.id === '' ? '' : `-${this.id}`;
  }

  /** The worker processes' ids, in start order (undefined for one that could not be spawned). */
  get workerPids(): readonly (number | undefined)[] {
    return this.workers.map((w) => w.child.pid);
  }

  /** Start the workers and the traffic (once). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (let i = 1; i <= this.options.workers; i++) this.workers.push(this.startWorker(i));
    this.traffic.start();
  }

  /** Stop the traffic and the workers, but leave the queue: the view can still watch the workers go offline. */
  stopWorkers(): Promise<void> {
    this.stopping ??= this.endWorkers();
    return this.stopping;
  }

  private async endWorkers(): Promise<void> {
    this.traffic.stop();
    await this.app.close();
    const running = this.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    if (running.length > 0) this.progress(`stopping ${running.length} demo worker(s) (running tasks get 3 s)…`);
    await Promise.all(this.workers.map((w) => stopWorker(w)));
  }

  /** Everything: workers, then the queue with what it holds, then the logs (kept when a worker did not end cleanly). */
  async stop(): Promise<DemoStopReport> {
    await this.stopWorkers();
    const leftQueue = this.started ? await this.removeQueue() : undefined;
    const outcomes = await Promise.all(this.workers.map(async (w) => ({ node: w.node, ...(await w.exited) })));
    const unclean = outcomes.filter((o) => o.code !== 0);
    if (unclean.length > 0) {
      const reason = unclean.map((o) => `${o.node} ended with ${o.signal ?? `exit code ${o.code}`}`).join(', ');
      return { keptLogs: { dir: this.logDir, reason }, ...(leftQueue ? { leftQueue } : {}) };
    }
    rmSync(this.logDir, { recursive: true, force: true });
    return leftQueue ? { leftQueue } : {};
  }

  private async removeQueue(): Promise<DemoStopReport['leftQueue']> {
    this.progress(`removing the demo queue ${this.queue.name}…`);
    const connection = createTransport(this.options.url, {
      reconnect: false,
      connectRetries: 0,
      connectionName: `camq demo cleanup ${this.queue.name}`,
    });
    try {
      await connection.connect();
      await removeTaskQueue(() => connection.openChannel(), this.queue);
      return undefined;
    } catch (err) {
      return { name: this.queue.name, reason: err instanceof Error ? err.message : String(err) };
    } finally {
      await connection.close().catch(() => {});
    }
  }

  private progress(line: string): void {
    this.options.onProgress?.(line);
  }

  /** Odd workers on the async pool, even ones on worker threads, all sending events; a warm shutdown gives 3 s. */
  private startWorker(i: number): DemoWorker {
    const log = openSync(join(this.logDir, `demo${i}.log`), 'a');
    const pool = i % 2 === 0 ? ['--pool', 'threads', '-c', '2'] : ['-c', '4'];
    const node = this.nodeName(i);
    const args = [
      CAMQ_BIN,
      '-b',
      this.options.url,
      'worker',
      '-A',
      EXAMPLE_TASKS,
      '-n',
      node,
      '-Q',
      this.queue.name,
      '-E',
      '-l',
      'info',
      '--shutdown-timeout',
      '3',
      ...pool,
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', log, log] });
    closeSync(log);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    return { node, child, exited };
  }
}

/** Warm shutdown (SIGTERM), then SIGKILL if the worker is still there after 10 s. */
async function stopWorker(worker: DemoWorker): Promise<void> {
  const { child } = worker;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const kill = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  child.kill('SIGTERM');
  await worker.exited;
  clearTimeout(kill);
}
