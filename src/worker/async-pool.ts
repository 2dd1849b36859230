import type { Logger } from '../util/logger.js';
import type { Pool, PoolRun } from './pool.js';
import type { TaskDefinition } from './task-registry.js';
import { contextFor, runHandler, type JobSpec, type Outcome, type SignalSource } from './task-runner.js';
import { toPythonError } from './error-info.js';

/** One job in the async pool: its outcome goes to `done` once, and its AbortController exists only if used. */
class AsyncRun implements PoolRun, SignalSource {
  readonly pid = process.pid;
  private finished = false;
  // Made on first use: most handlers never look at their signal, and an AbortController per task shows in profiles.
  private controller: AbortController | undefined;
  private readonly done: (outcome: Outcome) => void;

  constructor(done: (outcome: Outcome) => void) {
    this.done = done;
  }

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  finish(outcome: Outcome): void {
    if (this.finished) return;
    this.finished = true;
    this.done(outcome);
  }

  abort(reason: Error): void {
    if (!this.finished) (this.controller ??= new AbortController()).abort(reason);
  }

  kill(reason: 'time-limit' | 'terminated', error: Error): void {
    if (this.finished) return;
    (this.controller ??= new AbortController()).abort(error);
    this.finish({ kind: 'killed', reason, error: toPythonError(error) });
  }
}

/**
 * Handlers run in the worker's own thread. "Killing" a slot here (hard time limit, terminate) means: the job is
 * completed at once as failed (TimeLimitExceeded / revoked), its AbortSignal fires, the slot is free for the next
 * task, and whatever the abandoned handler returns or throws later is ignored. JavaScript cannot stop a function
 * that does not yield: a handler stuck in a synchronous loop keeps the thread, and nothing (heartbeats, remote
 * control, other tasks) runs until it returns. Use `--pool threads` or `--pool processes` for such handlers.
 */
export class AsyncPool implements Pool {
  readonly kind = 'async' as const;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(options: { logger: Logger; now?: () => number }) {
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {}

  execute(job: JobSpec, task: TaskDefinition, done: (outcome: Outcome) => void): PoolRun {
    const run = new AsyncRun(done);
    const outcome = runHandler(task, job, contextFor(job, task, run, this.logger, this.now));
    if (outcome instanceof Promise) void outcome.then((o) => run.finish(o));
    else run.finish(outcome);
    return run;
  }

  resize(): void {}

  processes(): number[] {
    return [process.pid];
  }

  async stop(): Promise<void> {}
}
