import { CamqError } from '../errors/index.js';
import type { ExceptionInfo, ResultBody } from '../protocol/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { TaskRevokedError } from './task-errors.js';
import type { ResultConsumer } from './result-consumer.js';

/** A task failed on the worker: the exception as the worker reported it, rebuilt like Python's `get()` does. */
export class TaskFailedError extends CamqError {
  readonly excType: string;
  readonly excModule: string;
  readonly excMessage: unknown[];
  /** The worker's traceback text. */
  readonly traceback: string | null;

  constructor(info: ExceptionInfo, traceback: string | null) {
    super('task.failed', `${info.exc_type}: ${info.exc_message.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(', ')}`);
    this.excType = info.exc_type;
    this.excModule = info.exc_module;
    this.excMessage = info.exc_message;
    this.traceback = traceback;
  }
}

/** `get()` gave up waiting (Celery's `TimeoutError: The operation timed out.`). */
export class ResultTimeoutError extends CamqError {
  constructor(taskId: string, seconds: number) {
    super('task.timeout', `The operation timed out: no result for task ${taskId} within ${seconds} s; is a worker consuming its queue?`);
  }
}

const READY = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

function asExceptionInfo(value: unknown): ExceptionInfo {
  const v = (value ?? {}) as Partial<ExceptionInfo>;
  return {
    exc_type: typeof v.exc_type === 'string' ? v.exc_type : 'Exception',
    exc_module: typeof v.exc_module === 'string' ? v.exc_module : 'builtins',
    exc_message: Array.isArray(v.exc_message) ? v.exc_message : v.exc_message === undefined ? [] : [v.exc_message],
  };
}

/** A handle on a sent task (Celery's `AsyncResult` with the rpc:// backend). */
export class AsyncResult<R = unknown> {
  readonly id: string;
  private readonly results: ResultConsumer;
  private readonly clock: Clock;

  constructor(id: string, results: ResultConsumer, clock: Clock = systemClock) {
    this.id = id;
    this.results = results;
    this.clock = clock;
  }

  /**
   * Wait for the task's final state: resolve with its return value, reject with TaskFailedError (FAILURE),
   * TaskRevokedError (REVOKED) or ResultTimeoutError. `timeout` is in seconds, like Celery's. RETRY and STARTED
   * states keep waiting.
   */
  async get(options: { timeout?: number } = {}): Promise<R> {
    const wait = this.results.wait(this.id, (body) => READY.has(body.status));
    let timer: TimerHandle | undefined;
    const timeout = options.timeout;
    try {
      const body = await (timeout === undefined
        ? wait.promise
        : Promise.race([
            wait.promise,
            new Promise<never>((_, reject) => {
              timer = this.clock.setTimeout(() => reject(new ResultTimeoutError(this.id, timeout)), timeout * 1000);
            }),
          ]));
      return AsyncResult.unwrap<R>(body);
    } finally {
      timer?.cancel();
      wait.cancel();
    }
  }

  private static unwrap<R>(body: ResultBody): R {
    if (body.status === 'SUCCESS') return body.result as R;
    const info = asExceptionInfo(body.result);
    if (body.status === 'REVOKED') {
      const reason = info.exc_message[0];
      throw new TaskRevokedError(reason === 'expired' || reason === 'terminated' ? reason : 'revoked');
    }
    throw new TaskFailedError(info, body.traceback);
  }
}
