import { randomUUID } from 'node:crypto';
import { decodeResultMessage, RESULT_QUEUE_ARGUMENTS, type ResultBody } from '../protocol/index.js';
import type { Delivery, ResultBackend, TransportChannel } from '../transport/index.js';

/**
 * The client side of the rpc:// result backend (docs/protocol.md, Results over rpc://): one reply queue per app (its
 * `oid`), declared before the first task is published, consumed without acks; results are matched to callers by
 * correlation id. A result that arrives before anyone waits for it is kept until someone asks (the latest per task id).
 */
export class ResultConsumer {
  /** The reply queue name, sent as `reply_to` on every task message. */
  readonly oid: string;
  private readonly waiters = new Map<string, Set<(body: ResultBody) => void>>();
  private readonly arrived = new Map<string, ResultBody>();
  /** Celery's Redis result backend, when the app was given one: results are read from it instead of the queue. */
  private readonly backend: ResultBackend | undefined;

  constructor(oid: string = randomUUID(), backend?: ResultBackend) {
    this.oid = oid;
    this.backend = backend;
  }

  /**
   * Declare the reply queue and consume it on `channel` (run again after every reconnect). Exclusive, as Celery
   * 5.6's rpc backend declares it, since RabbitMQ 4.3 refuses transient queues that are not; auto-delete already
   * dropped it with its consumer, so a result sent while disconnected was lost before too.
   */
  async attach(channel: TransportChannel): Promise<void> {
    await channel.assertQueue(this.oid, { durable: false, exclusive: true, autoDelete: true, arguments: { ...RESULT_QUEUE_ARGUMENTS } });
    await channel.consume(this.oid, (msg) => msg && this.onMessage(msg), { noAck: true });
  }

  /** Resolve with the next result of `taskId` whose status passes `accept`. */
  wait(taskId: string, accept: (body: ResultBody) => boolean): { promise: Promise<ResultBody>; cancel: () => void } {
    let listener: ((body: ResultBody) => void) | undefined;
    const promise = new Promise<ResultBody>((resolve) => {
      const seen = this.arrived.get(taskId);
      if (seen && accept(seen)) {
        resolve(seen);
        return;
      }
      listener = (body) => {
        if (!accept(body)) return;
        this.remove(taskId, listener!);
        resolve(body);
      };
      let set = this.waiters.get(taskId);
      if (!set) this.waiters.set(taskId, (set = new Set()));
      set.add(listener);
      if (this.backend) this.watchBackend(this.backend, taskId);
    });
    return { promise, cancel: () => listener && this.remove(taskId, listener) };
  }

  /** Forget a stored result (after a caller consumed it). */
  forget(taskId: string): void {
    this.arrived.delete(taskId);
  }

  private remove(taskId: string, listener: (body: ResultBody) => void): void {
    const set = this.waiters.get(taskId);
    set?.delete(listener);
    if (set && set.size === 0) this.waiters.delete(taskId);
  }

  /** Read `taskId`'s document from the backend (stored already, or when it is), until nobody waits for it. */
  private watchBackend(backend: ResultBackend, taskId: string): void {
    const step = (): void => {
      if (!this.waiters.has(taskId)) return;
      backend.wait(taskId, 60_000).then(
        (content) => {
          // The backend's document is the rpc:// body (docs/redis-protocol.md), in the JSON result serializer.
          this.onMessage({
            content,
            properties: { contentType: 'application/json', contentEncoding: 'utf-8', correlationId: taskId },
            fields: { exchange: '', routingKey: '', redelivered: false, deliveryTag: 0 },
          });
          // A state that does not end the wait (STARTED, RETRY) is stored again later: watch for the next one.
          if (this.waiters.has(taskId)) setTimeout(step, 100);
        },
        () => step(),
      );
    };
    step();
  }

  private onMessage(msg: Delivery): void {
    const body = decodeResultMessage(msg);
    if (!body) return;
    const id = body.correlationId || body.task_id;
    this.arrived.set(id, body);
    for (const listener of [...(this.waiters.get(id) ?? [])]) listener(body);
  }
}
