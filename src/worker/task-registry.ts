import { UsageError } from '../errors/index.js';
import type { Logger } from '../util/logger.js';
import { requireCompression, requireSerializer, type SerializerName, type TaskMessage } from '../protocol/index.js';

/** What a handler can read and do while it runs (Celery's `self.request` plus `self.retry`). */
export interface TaskContext {
  /** The task id. */
  readonly id: string;
  /** The registered task name. */
  readonly name: string;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  /** How many times this task was retried so far (0 on the first run). */
  readonly retries: number;
  /** The worker's node name (`w1@host`). */
  readonly hostname: string;
  /**
   * Fires when the task should stop: its soft time limit passed (reason: SoftTimeLimitExceeded), it was revoked
   * with terminate (TaskRevokedError), its hard time limit passed (TimeLimitExceeded) or the worker shuts down cold.
   */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Every header of the message (Celery exposes them all as `task.request.*`), plus eta/expires/root/parent ids. */
  readonly request: TaskRequestInfo;
  /**
   * Run this task again later: throws a `Retry` (do not catch it). `countdown` in seconds, default the task's
   * `defaultRetryDelay`; or an absolute `eta`. Past `maxRetries`, throws `exc` (or MaxRetriesExceededError) instead.
   */
  retry(options?: RetryOptions): never;
}

export interface TaskRequestInfo {
  readonly rootId: string | null;
  readonly parentId: string | null;
  readonly group: string | null;
  readonly origin: string | null;
  /** Epoch milliseconds, or null. */
  readonly eta: number | null;
  readonly expires: number | null;
  readonly correlationId: string;
  readonly replyTo: string | null;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly deliveryInfo: TaskMessage['deliveryInfo'];
}

export interface RetryOptions {
  /** Seconds from now. */
  readonly countdown?: number;
  /** An absolute time (Date or epoch ms); wins over countdown. */
  readonly eta?: Date | number;
  /** The error that made the task retry; thrown instead when retries are exhausted. */
  readonly exc?: unknown;
  /** Overrides the task's maxRetries for this call. */
  readonly maxRetries?: number | null;
}

/**
 * A task handler. Positional `args` arrive as arguments; `kwargs` are bound by name through `params`. `this` is
 * the TaskContext (for `function` handlers); with `bind: true` the context is also the first argument, like
 * Celery's `bind=True`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers declare their own parameter types
export type TaskHandler = (this: TaskContext, ...args: any[]) => unknown;

/** Per-task settings, named after Celery's task attributes. */
export interface TaskOptions {
  /** `'10/s'`, `'100/m'`, `'5/h'` or a number per second; null for none. @defaultValue null */
  readonly rateLimit?: string | number | null;
  /** @defaultValue 3 (Celery's default); null retries forever. */
  readonly maxRetries?: number | null;
  /** Seconds before a retry when `ctx.retry()` gives no countdown. @defaultValue 180 */
  readonly defaultRetryDelay?: number;
  /** Ack after the task ran instead of when it starts. @defaultValue the worker's --acks-late */
  readonly acksLate?: boolean;
  /** Hard time limit in seconds: the slot is killed. @defaultValue the worker's --time-limit */
  readonly timeLimit?: number | null;
  /** Soft time limit in seconds: the handler's AbortSignal fires. @defaultValue the worker's --soft-time-limit */
  readonly softTimeLimit?: number | null;
  /** Do not publish a result. @defaultValue false */
  readonly ignoreResult?: boolean;
  /** Pass the TaskContext as the first argument. @defaultValue false */
  readonly bind?: boolean;
  /** Parameter names, so Python keyword arguments (`add.delay(x=2, y=2)`) bind to positions. */
  readonly params?: readonly string[];
  /** Send task events for this task when events are on. @defaultValue true */
  readonly sendEvents?: boolean;
  /** The queue `delay()`/`applyAsync()` publish to when none is given. @defaultValue the app's default queue */
  readonly queue?: string;
  /** The serializer `delay()`/`applyAsync()` write with ('json', 'msgpack', 'yaml'), as Celery's. @defaultValue 'json' */
  readonly serializer?: SerializerName;
  /** Compress what `delay()`/`applyAsync()` send ('gzip', 'bzip2', 'brotli'), as Celery's. @defaultValue none */
  readonly compression?: string;
  /** The message priority `delay()`/`applyAsync()` send with (0–255; honoured by `x-max-priority` queues). */
  readonly priority?: number;
}

/** A registered task: its handler and its settings, some of which remote control changes live. */
export class TaskDefinition {
  readonly name: string;
  readonly handler: TaskHandler;
  readonly options: TaskOptions;
  /** Live settings: `rate_limit` and `time_limit` remote commands change these on one worker. */
  rateLimit: string | number | null;
  timeLimit: number | null;
  softTimeLimit: number | null;

  constructor(name: string, handler: TaskHandler, options: TaskOptions = {}) {
    // A task module's mistakes, reported as one line like any bad input (a plain TypeError would print as a bug).
    if (typeof name !== 'string' || name === '') throw new UsageError('a task needs a non-empty name', 'usage.task-definition');
    if (typeof handler !== 'function') throw new UsageError(`task ${name}: the handler must be a function`, 'usage.task-definition');
    try {
      if (options.serializer !== undefined) requireSerializer(options.serializer);
      if (options.compression !== undefined) requireCompression(options.compression);
    } catch (err) {
      throw new UsageError(`task ${name}: ${(err as Error).message}`, 'usage.task-definition');
    }
    this.name = name;
    this.handler = handler;
    this.options = options;
    this.rateLimit = options.rateLimit ?? null;
    this.timeLimit = options.timeLimit ?? null;
    this.softTimeLimit = options.softTimeLimit ?? null;
  }

  get maxRetries(): number | null {
    return this.options.maxRetries === undefined ? 3 : this.options.maxRetries;
  }

  get defaultRetryDelay(): number {
    return this.options.defaultRetryDelay ?? 180;
  }
}

/** The tasks a worker can run, by name (Celery's `app.tasks`). */
export class TaskRegistry {
  private readonly tasks = new Map<string, TaskDefinition>();

  register(task: TaskDefinition): TaskDefinition {
    if (this.tasks.has(task.name)) throw new UsageError(`task ${task.name} is registered twice`, 'usage.task-definition');
    this.tasks.set(task.name, task);
    return task;
  }

  get(name: string): TaskDefinition | undefined {
    return this.tasks.get(name);
  }

  has(name: string): boolean {
    return this.tasks.has(name);
  }

  /** Names in sorted order, as `registered` lists them. */
  names(): string[] {
    return [...this.tasks.keys()].sort();
  }

  get size(): number {
    return this.tasks.size;
  }

  [Symbol.iterator](): IterableIterator<TaskDefinition> {
    return this.tasks.values();
  }
}
