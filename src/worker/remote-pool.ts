import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../errors/index.js';
import type { Logger } from '../util/logger.js';
import { toPythonError } from './error-info.js';
import type { Pool, PoolRun } from './pool.js';
import type { TaskDefinition } from './task-registry.js';
import type { JobSpec, Outcome } from './task-runner.js';

/** What a pool child needs to load the task module. */
export interface ChildInit {
  readonly modulePath: string;
  readonly cwd: string;
  readonly logLevel: string;
  readonly processLabel: string;
  readonly index: number;
}

export type ChildRequest = { t: 'run'; job: JobSpec } | { t: 'abort'; id: string; name: string; message: string };
export type ChildResponse = { t: 'ready'; pid: number } | { t: 'failed'; message: string } | { t: 'done'; id: string; outcome: Outcome };

/** One thread or child process, seen the same way. */
interface ChildHandle {
  post(message: ChildRequest): void;
  kill(signal?: NodeJS.Signals | number): void;
}

interface Slot {
  readonly index: number;
  handle: ChildHandle;
  pid: number;
  ready: boolean;
  /** Set when the slot should end once its job is done (pool_shrink). */
  retiring: boolean;
  job: { id: string; done: (o: Outcome) => void } | undefined;
}

interface Pending {
  job: JobSpec;
  done: (o: Outcome) => void;
  run: MutableRun;
}

interface MutableRun extends PoolRun {
  pid: number;
  slot: Slot | undefined;
  finished: boolean;
}

const DEFAULT_CHILD = fileURLToPath(new URL('./pool-child.js', import.meta.url));

/**
 * `--pool threads` and `--pool processes`: `concurrency` worker_threads or child processes, each of which loads
 * the task module itself and runs one job at a time. A hard time limit or `terminate` ends that thread or process
 * (a process gets the requested signal; SIGKILL for time limits) and a fresh one takes its place.
 */
export class RemotePool implements Pool {
  readonly kind: 'threads' | 'processes';
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly init: Omit<ChildInit, 'index' | 'processLabel'>;
  private readonly childScript: string;
  private readonly logger: Logger;
  private nextIndex = 1;
  private stopping = false;

  constructor(options: {
    kind: 'threads' | 'processes';
    modulePath: string;
    cwd?: string;
    logLevel: string;
    logger: Logger;
    /** The child entry; tests point it at the built file. @defaultValue ./pool-child.js beside this module */
    childScript?: string;
  }) {
    this.kind = options.kind;
    this.init = { modulePath: options.modulePath, cwd: options.cwd ?? process.cwd(), logLevel: options.logLevel };
    this.childScript = options.childScript ?? DEFAULT_CHILD;
    this.logger = options.logger;
  }

  async start(concurrency: number): Promise<void> {
    await Promise.all(Array.from({ length: concurrency }, () => this.spawn()));
  }

  execute(job: JobSpec, _task: TaskDefinition, done: (outcome: Outcome) => void): PoolRun {
    const run: MutableRun = {
      pid: 0,
      slot: undefined,
      finished: false,
      abort: (reason) => {
        if (run.slot && !run.finished) run.slot.handle.post({ t: 'abort', id: job.id, name: reason.name, message: reason.message });
      },
      kill: (reason, error, signal) => {
        if (run.finished) return;
        const slot = run.slot;
        if (!slot) {
          this.queue.splice(
            this.queue.findIndex((p) => p.run === run),
            1,
          );
        } else {
          slot.job = undefined;
          this.replace(slot, signal ?? 'SIGKILL');
        }
        run.finished = true;
        done({ kind: 'killed', reason, error: toPythonError(error) });
      },
    };
    const finish = (outcome: Outcome) => {
      if (run.finished) return;
      run.finished = true;
      done(outcome);
    };
    this.queue.push({ job, done: finish, run });
    this.dispatch();
    return run;
  }

  resize(concurrency: number): void {
    const live = this.slots.filter((s) => !s.retiring);
    for (let i = live.length; i < concurrency; i++) void this.spawn().catch((err) => this.logger.error(`pool: ${(err as Error).message}`));
    for (const slot of live.slice(concurrency)) {
      slot.retiring = true;
      if (!slot.job) this.retire(slot);
    }
  }

  processes(): number[] {
    return this.slots.filter((s) => !s.retiring).map((s) => s.pid);
  }

  stop(): Promise<void> {
    this.stopping = true;
    for (const slot of this.slots.splice(0)) slot.handle.kill('SIGKILL');
    return Promise.resolve();
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.ready && !s.job && !s.retiring);
      if (!slot) return;
      const pending = this.queue.shift()!;
      pending.run.slot = slot;
      pending.run.pid = slot.pid;
      slot.job = { id: pending.job.id, done: pending.done };
      slot.handle.post({ t: 'run', job: pending.job });
    }
  }

  private spawn(): Promise<void> {
    const index = this.nextIndex++;
    const slot: Slot = { index, handle: undefined as never, pid: 0, ready: false, retiring: false, job: undefined };
    this.slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      const onMessage = (message: ChildResponse) => {
        if (message.t === 'ready') {
          slot.pid = message.pid;
          slot.ready = true;
          resolve();
          this.dispatch();
        } else if (message.t === 'failed') {
          reject(new UsageError(`the ${this.kind} pool could not load the task module: ${message.message}`, 'usage.task-module'));
        } else if (slot.job && slot.job.id === message.id) {
          const { done } = slot.job;
          slot.job = undefined;
          if (slot.retiring) this.retire(slot);
          done(message.outcome);
          this.dispatch();
        }
      };
      const onExit = (code: number | null) => {
        if (!this.slots.includes(slot)) return;
        this.slots.splice(this.slots.indexOf(slot), 1);
        if (!slot.ready) reject(new UsageError(`a ${this.kind} pool child exited (${code}) while loading the task module`, 'usage.task-module'));
        const job = slot.job;
        slot.job = undefined;
        if (job) {
          const error = Object.assign(new Error(`Worker exited prematurely: exit code ${code}.`), { name: 'WorkerLostError' });
          job.done({ kind: 'failure', error: toPythonError(error) });
        }
        if (!this.stopping && !slot.retiring && slot.ready) void this.spawn().catch((err) => this.logger.error(`pool: ${(err as Error).message}`));
      };
      slot.handle = this.kind === 'threads' ? this.startThread(index, onMessage, onExit) : this.startProcess(index, onMessage, onExit);
    });
  }

  private startThread(index: number, onMessage: (m: ChildResponse) => void, onExit: (code: number | null) => void): ChildHandle {
    const worker = new Worker(this.childScript, { workerData: { ...this.init, index, processLabel: 'ThreadPoolWorker' } satisfies ChildInit });
    worker.on('message', onMessage);
    worker.on('error', (err) => this.logger.error(`pool thread ${index}: ${err.message}`));
    worker.on('exit', onExit);
    return { post: (m) => worker.postMessage(m), kill: () => void worker.terminate() };
  }

  private startProcess(index: number, onMessage: (m: ChildResponse) => void, onExit: (code: number | null) => void): ChildHandle {
    const init: ChildInit = { ...this.init, index, processLabel: 'ForkPoolWorker' };
    const child: ChildProcess = fork(this.childScript, [], {
      env: { ...process.env, CAMQ_POOL_INIT: JSON.stringify(init) },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (m) => onMessage(m as ChildResponse));
    child.on('error', (err) => this.logger.error(`pool process ${index}: ${err.message}`));
    child.on('exit', (code, signal) => onExit(code ?? (signal ? -1 : null)));
    return {
      post: (m) => {
        if (child.connected) child.send(m);
      },
      kill: (signal) => void child.kill(signal ?? 'SIGKILL'),
    };
  }

  /** End a slot whose job was killed, and start a fresh one. */
  private replace(slot: Slot, signal: NodeJS.Signals | number): void {
    slot.retiring = true; // its exit must not fail a job or spawn twice
    this.slots.splice(this.slots.indexOf(slot), 1);
    slot.handle.kill(signal);
    if (!this.stopping) void this.spawn().catch((err) => this.logger.error(`pool: ${(err as Error).message}`));
  }

  private retire(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    slot.handle.kill('SIGTERM');
  }
}
