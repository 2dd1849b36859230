import { buildResultMessage, type OutgoingMessage, type ResultBody, type SerializerName } from '../protocol/index.js';
import type { Publisher, ResultBackend } from '../transport/index.js';
import { toPythonError, type PythonError } from './error-info.js';
import type { Request } from './request.js';

/**
 * What the worker sends for its tasks (results on rpc://, retries, canvas messages, the failure of an unknown task),
 * through a Publisher that survives what the broker refuses, honouring the connection's write buffer: when a message
 * has to wait for room (or for the connection), `backedUp` is true until every such message went or was dropped, and
 * the worker starts no new task meanwhile; `onRoom` says when it may again. A message that goes out at once costs
 * nothing more than the publish (no promise, no allocation), so the hot path keeps its speed.
 */
export class ResultSender {
  private readonly publisher: Publisher;
  private readonly onRoom: () => void;
  /** The worker's `result_serializer`. */
  readonly serializer: SerializerName;
  /** Messages that wait for room in the write buffer, a channel or the connection. */
  private waiting = 0;
  private readonly settled = (): void => {
    if (--this.waiting === 0) this.onRoom();
  };

  /** Celery's Redis result backend when the worker was given one; rpc:// (the publisher) otherwise. */
  private readonly backend: ResultBackend | undefined;
  private readonly onBackendError: (error: Error) => void;

  constructor(options: {
    readonly publisher: Publisher;
    readonly onRoom: () => void;
    readonly serializer?: SerializerName;
    readonly backend?: ResultBackend | undefined;
    readonly onBackendError?: (error: Error) => void;
  }) {
    this.publisher = options.publisher;
    this.backend = options.backend;
    this.onBackendError = options.onBackendError ?? (() => {});
    this.serializer = options.serializer ?? 'json';
    this.onRoom = options.onRoom;
  }

  /** True while a message waits: start no new task until `onRoom`. */
  get backedUp(): boolean {
    return this.waiting > 0;
  }

  /** Send one message (see Publisher.publish); resolves when it went (true) or was dropped and reported (false). */
  send(message: OutgoingMessage): Promise<boolean> | boolean {
    const sent = this.publisher.publish(message);
    if (typeof sent === 'boolean') return sent;
    this.waiting++;
    void sent.then(this.settled);
    return sent;
  }

  /**
   * Publish the task's result to its reply queue. A result that cannot be encoded (a value nested past what
   * JSON.stringify can walk) is stored as FAILURE with EncodeError instead, and that error is returned so the
   * caller reports the task as failed, as Celery's trace does: the state in the log and events stays true.
   */
  store(req: Request, status: ResultBody['status'], result: unknown, traceback: string | null, children?: unknown[]): PythonError | undefined {
    const m = req.message;
    if ((!m.replyTo && !this.backend) || m.ignoreResult || req.task.options.ignoreResult) return undefined;
    let message: OutgoingMessage;
    let encodeError: PythonError | undefined;
    try {
      message = buildResultMessage({
        taskId: m.id,
        correlationId: m.correlationId,
        replyTo: m.replyTo ?? '',
        status,
        result,
        traceback,
        ...(children ? { children } : {}),
        serializer: this.serializer,
      });
    } catch (err) {
      encodeError = toPythonError(
        Object.assign(
          new Error(
            `the result of ${req.name}[${req.id}] is not ${this.serializer === 'json' ? 'JSON' : this.serializer}: ${(err as Error).message}`,
          ),
          { name: 'EncodeError' },
        ),
      );
      message = buildResultMessage({
        taskId: m.id,
        correlationId: m.correlationId,
        replyTo: m.replyTo ?? '',
        status: 'FAILURE',
        result: encodeError.info,
        traceback: encodeError.traceback,
        serializer: this.serializer,
      });
    }
    if (this.backend) {
      // The same document rpc:// would carry, stored under celery-task-meta-<id> (docs/redis-protocol.md).
      this.backend.store(m.id, message.content).catch((err: unknown) => this.onBackendError(err as Error));
    } else {
      void this.send(message);
    }
    return encodeError;
  }
}

/** A message in a log line: what it is (a task by name and id, a result by task id) and where it was going. */
export function describeMessage(message: OutgoingMessage): string {
  const headers = message.properties.headers as Record<string, unknown> | undefined;
  const task = typeof headers?.['task'] === 'string' ? headers['task'] : undefined;
  const what = task ? `task ${task}[${String(headers?.['id'])}]` : `the message for ${message.properties.correlationId ?? '?'}`;
  return `${what} to exchange '${message.exchange}' with routing key '${message.routingKey}'`;
}
