import type { Logger } from '../util/logger.js';
import { toPythonError, type PythonError } from './error-info.js';
import { Ignore, MaxRetriesExceededError, Reject, Retry } from './task-errors.js';
import type { RetryOptions, TaskContext, TaskDefinition, TaskRequestInfo } from './task-registry.js';

/**
 * Calling a handler and turning whatever it did into an Outcome. Shared by the async pool (in the main thread)
 * and by thread and process pool children, so a task behaves the same in every pool.
 */

/** What a pool is asked to run: the plain-data part of a TaskContext, so it can cross to a thread or a child process. */
export type JobSpec = Pick<TaskContext, 'id' | 'name' | 'args' | 'kwargs' | 'retries' | 'hostname' | 'request'>;

export type Outcome =
  | { readonly kind: 'success'; readonly value: unknown }
  | { readonly kind: 'failure'; readonly error: PythonError }
  | { readonly kind: 'retry'; readonly etaMs: number; readonly countdown: number; readonly error: PythonError; readonly message: string }
  | { readonly kind: 'reject'; readonly requeue: boolean; readonly error: PythonError }
  | { readonly kind: 'ignore' }
  /** The slot was killed: hard time limit, or terminate. Set by the worker/pool, never by a handler. */
  | { readonly kind: 'killed'; readonly reason: 'time-limit' | 'terminated'; readonly error: PythonError };

/** Where a context's AbortSignal comes from: an AbortController, or a run that makes one on first use. */
export interface SignalSource {
  readonly signal: AbortSignal;
}

/**
 * The TaskContext a handler sees. A class, so every context shares one shape and its `signal` getter and `retry`
 * method live on the prototype: an object literal with a getter got a hidden class of its own per task, which kept
 * thousands of them alive through young-generation GCs (it showed as half the CPU profile of a noop drain).
 */
class JobContext implements TaskContext {
  readonly id: string;
  readonly name: string;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly retries: number;
  readonly hostname: string;
  readonly logger: Logger;
  readonly request: TaskRequestInfo;
  private readonly task: TaskDefinition;
  private readonly source: SignalSource;
  private readonly now: () => number;

  constructor(job: JobSpec, task: TaskDefinition, source: SignalSource, logger: Logger, now: () => number) {
    this.id = job.id;
    this.name = job.name;
    this.args = job.args;
    this.kwargs = job.kwargs;
    this.retries = job.retries;
    this.hostname = job.hostname;
    this.logger = logger;
    this.request = job.request;
    this.task = task;
    this.source = source;
    this.now = now;
  }

  get signal(): AbortSignal {
    return this.source.signal;
  }

  retry(options: RetryOptions = {}): never {
    const max = options.maxRetries === undefined ? this.task.maxRetries : options.maxRetries;
    if (max !== null && this.retries + 1 > max) {
      // Celery raises the task's own exception as it is, whatever it is.
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      if (options.exc !== undefined) throw options.exc;
      throw new MaxRetriesExceededError(
        `Can't retry ${this.name}[${this.id}] args:${JSON.stringify(this.args)} kwargs:${JSON.stringify(this.kwargs)}`,
      );
    }
    const at = this.now();
    let etaMs: number;
    if (options.eta !== undefined) etaMs = options.eta instanceof Date ? options.eta.getTime() : options.eta;
    else etaMs = at + (options.countdown ?? this.task.defaultRetryDelay) * 1000;
    throw new Retry(etaMs, Math.max(0, (etaMs - at) / 1000), options.exc);
  }
}

/** The context of one run; `source.signal` is read only when the handler looks at its signal. */
export function contextFor(job: JobSpec, task: TaskDefinition, source: SignalSource, logger: Logger, now: () => number = Date.now): TaskContext {
  return new JobContext(job, task, source, logger, now);
}

/** Positional args plus kwargs bound through `params`; kwargs a handler cannot take are a TypeError, as in Python. */
export function bindArguments(task: TaskDefinition, job: JobSpec, ctx: TaskContext): readonly unknown[] {
  if (isEmpty(job.kwargs)) return task.options.bind ? [ctx, ...job.args] : job.args; // apply() never changes it
  const args = [...job.args];
  const names = Object.keys(job.kwargs);
  const params = task.options.params;
  if (!params) {
    if (!task.options.bind) {
      throw new TypeError(
        `${task.name}() got unexpected keyword arguments ${names.map((n) => `'${n}'`).join(', ')}; declare params: [...] on the task to bind them`,
      );
    }
  } else {
    for (const key of names) {
      const at = params.indexOf(key);
      if (at < 0) throw new TypeError(`${task.name}() got an unexpected keyword argument '${key}'`);
      if (at < job.args.length) throw new TypeError(`${task.name}() got multiple values for argument '${key}'`);
      while (args.length < at) args.push(undefined);
      args[at] = job.kwargs[key];
    }
  }
  return task.options.bind ? [ctx, ...args] : args;
}

function isEmpty(record: Readonly<Record<string, unknown>>): boolean {
  for (const _ in record) return false;
  return true;
}

/** What an error thrown by a handler means for the worker. */
export function outcomeOfError(err: unknown): Outcome {
  if (err instanceof Retry) {
    return { kind: 'retry', etaMs: err.etaMs, countdown: err.countdown, error: toPythonError(err.exc ?? err), message: err.message };
  }
  if (err instanceof Ignore) return { kind: 'ignore' };
  if (err instanceof Reject) return { kind: 'reject', requeue: err.requeue, error: toPythonError(err) };
  return { kind: 'failure', error: toPythonError(err) };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * Run the handler. A synchronous handler's outcome is returned as is (no promise on the hot path); a handler that
 * returns a promise gives a promise of its outcome, which never rejects.
 */
export function runHandler(task: TaskDefinition, job: JobSpec, ctx: TaskContext): Outcome | Promise<Outcome> {
  let value: unknown;
  try {
    value = task.handler.apply(ctx, bindArguments(task, job, ctx) as unknown[]);
  } catch (err) {
    return outcomeOfError(err);
  }
  if (!isThenable(value)) return { kind: 'success', value };
  return Promise.resolve(value).then((v): Outcome => ({ kind: 'success', value: v }), outcomeOfError);
}
