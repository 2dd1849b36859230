import type { TaskDefinition } from './task-registry.js';
import type { JobSpec, Outcome } from './task-runner.js';

/**
 * Where task handlers run (`--pool`):
 *
 * - `async` (default): in the worker's own thread, up to `-c` at once. Right for I/O-bound handlers (they await);
 *   a handler that computes without awaiting blocks everything else, including heartbeats and remote control.
 * - `threads`: `-c` worker_threads, each with its own copy of the task module. For CPU-bound handlers.
 * - `processes`: `-c` child processes (Celery's prefork). For CPU-bound handlers and full isolation.
 *
 * The worker decides when a job may start (it keeps at most `concurrency` running); a pool only runs it.
 */
export type PoolKind = 'async' | 'threads' | 'processes';
export const POOL_KINDS: readonly PoolKind[] = ['async', 'threads', 'processes'];

export interface PoolRun {
  /** The process id to report as `worker_pid`. */
  readonly pid: number;
  /** Soft stop: fire the handler's AbortSignal with this reason. */
  abort(reason: Error): void;
  /**
   * Hard stop: complete the job now with a `killed` outcome. Thread and process pools end the thread or process
   * (with `signal` for processes) and start a fresh one; the async pool can only abandon the handler (see README).
   */
  kill(reason: 'time-limit' | 'terminated', error: Error, signal?: NodeJS.Signals | number): void;
}

export interface Pool {
  readonly kind: PoolKind;
  /** Start the threads or processes and load the task module in each. */
  start(concurrency: number): Promise<void>;
  /** Run one job; `done` is called exactly once. Only called while fewer than `concurrency` jobs run. */
  execute(job: JobSpec, task: TaskDefinition, done: (outcome: Outcome) => void): PoolRun;
  /** Grow or shrink to `concurrency` slots (`pool_grow`/`pool_shrink`). */
  resize(concurrency: number): void;
  /** The pids Celery's `stats` lists under `pool.processes`. */
  processes(): number[];
  /** End every thread or process; running jobs are abandoned. */
  stop(): Promise<void>;
}
