import { buildTaskMessage, type Signature, type TaskSendOptions } from '../protocol/index.js';
import { signature } from '../protocol/index.js';
import type { AsyncResult } from './async-result.js';
import type { TaskDefinition } from './task-registry.js';

/**
 * What `applyAsync` takes: Celery's `apply_async` options, times in seconds (see TaskSendOptions). `queue` defaults
 * to the task's `queue` option, else the app's default queue (`celery`).
 */
export type ApplyOptions = Pick<
  TaskSendOptions,
  | 'args'
  | 'kwargs'
  | 'countdown'
  | 'eta'
  | 'expires'
  | 'queue'
  | 'id'
  | 'priority'
  | 'timeLimit'
  | 'softTimeLimit'
  | 'ignoreResult'
  | 'shadow'
  | 'headers'
  | 'link'
  | 'linkError'
  | 'serializer'
  | 'compression'
>;

/** How a Task sends itself; implemented by CamqApp. */
export interface TaskSender {
  send(options: TaskSendOptions): Promise<AsyncResult>;
  readonly defaultQueue: string;
}

/**
 * A registered task, usable from Node to send work like Celery's task objects: `add.delay(2, 2)` and
 * `add.applyAsync({ args: [2, 2], countdown: 5 })` publish the message Python's `apply_async` would, and resolve
 * with an AsyncResult whose `get()` waits for the rpc:// result.
 */
export class Task<A extends unknown[] = unknown[], R = unknown> {
  readonly definition: TaskDefinition;
  private readonly sender: TaskSender;

  constructor(definition: TaskDefinition, sender: TaskSender) {
    this.definition = definition;
    this.sender = sender;
  }

  get name(): string {
    return this.definition.name;
  }

  delay(...args: A): Promise<AsyncResult<R>> {
    return this.applyAsync({ args });
  }

  async applyAsync(options: ApplyOptions = {}): Promise<AsyncResult<R>> {
    const def = this.definition.options;
    const send: TaskSendOptions = {
      name: this.name,
      args: options.args ?? [],
      kwargs: options.kwargs ?? {},
      queue: options.queue ?? def.queue ?? this.sender.defaultQueue,
      ignoreResult: options.ignoreResult ?? def.ignoreResult ?? false,
      ...pick(def, ['serializer', 'compression', 'priority']),
      ...pick(options, [
        'countdown',
        'eta',
        'expires',
        'id',
        'priority',
        'timeLimit',
        'softTimeLimit',
        'shadow',
        'headers',
        'link',
        'linkError',
        'serializer',
        'compression',
      ]),
    };
    return (await this.sender.send(send)) as AsyncResult<R>;
  }

  /** A signature dict for links and chains (`add.s(2, 2)`). */
  s(...args: A): Signature {
    return signature(this.name, args);
  }

  /** The message `applyAsync` would publish, without publishing it (for tests and tools). */
  message(options: ApplyOptions = {}): ReturnType<typeof buildTaskMessage> {
    return buildTaskMessage({
      name: this.name,
      queue: options.queue ?? this.sender.defaultQueue,
      ...pick(this.definition.options, ['serializer', 'compression', 'priority']),
      ...options,
    });
  }
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}
