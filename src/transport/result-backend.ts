/**
 * Where a worker stores task results and a client reads them, when that is not the broker's rpc:// reply queues:
 * Celery's Redis result backend (`celery-task-meta-<id>` keys, docs/redis-protocol.md). `createResultBackend` picks
 * the implementation by the URL's scheme, as createTransport does for brokers; engines take this interface.
 */
export interface ResultBackend {
  /** The URL with the password masked. */
  readonly masked: string;
  connect(): Promise<void>;
  /** Store a task's result document (Celery's meta, serialized as the result_serializer says) and notify waiters. */
  store(taskId: string, content: Buffer): Promise<void>;
  /** The stored document, or null when there is none (yet, or it expired). */
  get(taskId: string): Promise<Buffer | null>;
  /** Resolves with the document once it is stored (at once if it is); rejects after `timeoutMs`. */
  wait(taskId: string, timeoutMs: number): Promise<Buffer>;
  close(): Promise<void>;
}
