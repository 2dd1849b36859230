import { pyRepr, pyTupleRepr, truncateRepr, type TaskInfo, type TaskMessage } from '../protocol/index.js';
import type { Delivery } from '../transport/index.js';
import type { PoolRun } from './pool.js';
import type { TaskDefinition } from './task-registry.js';
import type { JobSpec } from './task-runner.js';

/**
 * One delivered task on its way through the worker (Celery's `Request`): received → (scheduled for its ETA) →
 * (waiting for a rate-limit token) → reserved → active → done. It holds the unacked delivery until it is acked
 * or rejected, on the channel generation it came from.
 */
export type RequestState = 'received' | 'scheduled' | 'waiting' | 'reserved' | 'active' | 'done';

export class Request {
  readonly message: TaskMessage;
  readonly task: TaskDefinition;
  readonly delivery: Delivery;
  /** The consumer channel generation the delivery tag belongs to; a tag from a dead channel is never acked. */
  readonly generation: number;
  readonly hostname: string;
  state: RequestState = 'received';
  /** Float Unix seconds when the pool accepted it. */
  timeStart: number | null = null;
  /** Monotonic ms when its delivery arrived: how long it has been unacked (consumer_timeout). */
  receivedAt = 0;
  /** Monotonic ms at start, for the runtime. */
  startedAt = 0;
  acknowledged = false;
  workerPid: number | null = null;
  run: PoolRun | undefined;
  /** `revoke(terminate=True)` reached it before it started: terminate as soon as it is accepted. */
  terminateOnAccept: { signal: NodeJS.Signals | number } | undefined;
  /** Timers of its time limits. */
  timers: { cancel(): void }[] = [];

  constructor(init: { message: TaskMessage; task: TaskDefinition; delivery: Delivery; generation: number; hostname: string }) {
    this.message = init.message;
    this.task = init.task;
    this.delivery = init.delivery;
    this.generation = init.generation;
    this.hostname = init.hostname;
  }

  get id(): string {
    return this.message.id;
  }

  /** The display name: the shadow name when the sender set one. */
  get name(): string {
    return this.message.shadow ?? this.message.name;
  }

  get argsrepr(): string {
    return this.message.argsrepr ?? truncateRepr(pyTupleRepr(this.message.args));
  }

  get kwargsrepr(): string {
    return this.message.kwargsrepr ?? truncateRepr(pyRepr(this.message.kwargs));
  }

  /** Effective limits in seconds: the message's `timelimit` header, else the task's (live) settings. */
  get hardLimit(): number | null {
    return this.message.timeLimit.hard ?? this.task.timeLimit;
  }

  get softLimit(): number | null {
    return this.message.timeLimit.soft ?? this.task.softTimeLimit;
  }

  /** Whether the message expired at `nowMs`. */
  isExpired(nowMs: number): boolean {
    return this.message.expires !== null && this.message.expires <= nowMs;
  }

  /** Celery's `Request.info()`; with `safe` the args are repr strings. */
  info(safe = false): TaskInfo {
    return {
      id: this.id,
      name: this.name,
      args: safe ? this.argsrepr : this.message.args,
      kwargs: safe ? this.kwargsrepr : this.message.kwargs,
      type: this.message.name,
      hostname: this.hostname,
      time_start: this.timeStart,
      acknowledged: this.acknowledged,
      delivery_info: this.message.deliveryInfo,
      worker_pid: this.workerPid,
    };
  }

  /** The plain data a pool needs to run it. */
  job(): JobSpec {
    const m = this.message;
    return {
      id: m.id,
      name: m.name,
      args: m.args,
      kwargs: m.kwargs,
      retries: m.retries,
      hostname: this.hostname,
      request: {
        rootId: m.rootId,
        parentId: m.parentId,
        group: m.group,
        origin: m.origin,
        eta: m.eta,
        expires: m.expires,
        correlationId: m.correlationId,
        replyTo: m.replyTo,
        headers: m.headers,
        deliveryInfo: m.deliveryInfo,
      },
    };
  }
}
