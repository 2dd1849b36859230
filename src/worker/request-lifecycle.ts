import { constants as osConstants } from 'node:os';
import {
  buildResultMessage,
  buildRetryMessage,
  decodeTaskMessage,
  exceptionInfo,
  formatIsoDate,
  pyRepr,
  revokedExceptionInfo,
  truncateRepr,
  type ScheduledEntry,
  type TaskMessage,
} from '../protocol/index.js';
import type { Delivery } from '../transport/index.js';
import type { Clock } from '../util/clock.js';
import { LogLevels, type Logger } from '../util/logger.js';
import type { RepeatLimiter } from '../util/repeat-limiter.js';
import type { CanvasSender } from './canvas-sender.js';
import type { DelayedDelivery } from './delayed-delivery.js';
import { failurePlan, hasCanvas, successPlan, type CanvasOptions } from './canvas.js';
import type { TaskConsumer } from './consumer.js';
import { toPythonError, type PythonError } from './error-info.js';
import { EtaScheduler, ETA_TIMER_PRIORITY } from './eta-scheduler.js';
import type { EventDispatcher } from './event-dispatcher.js';
import type { Pool } from './pool.js';
import { RateLimiter } from './rate-limiter.js';
import { Request } from './request.js';
import type { ResultSender } from './result-sender.js';
import type { RevokedSet } from './revoked-set.js';
import { formatSeconds, NotRegistered, SoftTimeLimitExceeded, TaskRevokedError, TimeLimitExceeded } from './task-errors.js';
import type { TaskRegistry } from './task-registry.js';
import type { Outcome } from './task-runner.js';

export interface RequestLifecycleOptions {
  readonly hostname: string;
  readonly defaultQueue: string;
  readonly registry: TaskRegistry;
  readonly revoked: RevokedSet;
  readonly events: EventDispatcher;
  readonly pool: Pool;
  readonly consumer: TaskConsumer;
  readonly results: ResultSender;
  readonly canvas: CanvasSender;
  readonly clock: Clock;
  readonly logger: Logger;
  /** One line per bad message, and a count for the repeats. */
  readonly badLines: RepeatLimiter;
  readonly concurrency: number;
  /** Ack after the task ran, for every task that does not say otherwise. */
  readonly acksLate: boolean;
  /** The content types task messages may come in (`accept_content`, see acceptContent). */
  readonly accept: ReadonlySet<string>;
  /** Revoked ids were added (an expired task): persist them. */
  readonly revokedChanged: () => void;
  /** A task finished running (any outcome). */
  readonly taskDone: (req: Request, outcome: Outcome) => void;
  /** A task message was answered without running: revoked or expired before it ran, or its task is not registered. */
  readonly taskDiscarded: (task: DiscardedTask, reason: DiscardReason) => void;
  /** Where long ETAs wait (delayed-delivery.ts); without it every ETA is held in memory. */
  readonly delayed?: DelayedDelivery;
}

/** Why a task message was answered without running (see RequestLifecycleOptions.taskDiscarded). */
export type DiscardReason = 'revoked' | 'expired' | 'unregistered';

/** The task a discarded message named: its id, and its name as the message gave it. */
export interface DiscardedTask {
  readonly id: string;
  readonly name: string;
}

/** How many task ids a consumer_timeout close is remembered for (see onConsumerTimeout). */
const TIMED_OUT_IDS_MAX = 1000;

/**
 * The request lifecycle (docs/protocol.md, The worker's semantics): a delivery is decoded into a Request, held for
 * its ETA, for a rate-limit token, reserved, started in the pool when a slot is free (and the results can go out:
 * see ResultSender), and finished: result, canvas, events, the ack. Bad and unknown messages are refused here with
 * one line each (repeats counted). The inspect views of it (reserved, active, scheduled) and the shutdown's steps
 * (give back, stop running) read and change its state.
 */
export class RequestLifecycle {
  /** Slots of the pool: tasks run at once. */
  concurrency: number;
  /** Tasks started, and by name. */
  processed = 0;
  readonly totals: Record<string, number> = {};
  /** Set when the worker stops: a request released from its bucket then goes back to the queue. */
  stopping = false;
  private readonly o: RequestLifecycleOptions;
  private readonly consumer: TaskConsumer;
  private readonly events: EventDispatcher;
  private readonly registry: TaskRegistry;
  private readonly revoked: RevokedSet;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly results: ResultSender;
  private readonly pool: Pool;
  private readonly canvas: CanvasSender;
  private readonly infoEnabled: boolean;
  private readonly eta: EtaScheduler<Request>;
  private readonly limiter: RateLimiter<Request>;
  private readonly reservedQueue: Request[] = [];
  private readonly activeRequests = new Map<string, Request>();
  private idleWaiters: (() => void)[] = [];
  /**
   * Tasks that were running here, unacked, when the broker closed their channel for consumer_timeout: the broker
   * redelivers them. A redelivery that comes back here is acked and not run again (see onConsumerTimeout).
   */
  private readonly timedOut = new Map<string, Request>();

  constructor(options: RequestLifecycleOptions) {
    this.o = options;
    this.consumer = options.consumer;
    this.events = options.events;
    this.registry = options.registry;
    this.revoked = options.revoked;
    this.clock = options.clock;
    this.logger = options.logger;
    this.results = options.results;
    this.pool = options.pool;
    this.canvas = options.canvas;
    this.concurrency = options.concurrency;
    this.infoEnabled = LogLevels.indexOf(options.logger.level) <= LogLevels.indexOf('info');
    this.eta = new EtaScheduler({ clock: options.clock, fire: (req) => this.onEtaDue(req) });
    this.limiter = new RateLimiter({ clock: options.clock, release: (req) => this.reserve(req) });
    for (const task of options.registry) if (task.rateLimit) this.limiter.setRate(task.name, task.rateLimit);
  }

  get activeCount(): number {
    return this.activeRequests.size;
  }

  /** Rebuild the bucket of a task type after its rate limit changed. */
  resetRateLimit(taskName: string): void {
    const task = this.registry.get(taskName);
    this.limiter.setRate(taskName, task?.rateLimit ?? null);
  }

  scheduled(): ScheduledEntry[] {
    return this.eta.list().map((e) => ({ eta: formatIsoDate(e.etaMs), priority: ETA_TIMER_PRIORITY, request: e.item.info() }));
  }

  reserved(): Request[] {
    return [...this.reservedQueue];
  }

  active(): Request[] {
    return [...this.activeRequests.values()];
  }

  /** Terminate the requests of these ids that are running or reserved; returns the ids found. */
  terminate(ids: readonly string[], signal: NodeJS.Signals | number): string[] {
    const found: string[] = [];
    for (const id of ids) {
      const active = this.activeRequests.get(id);
      const req = active ?? this.reservedQueue.find((r) => r.id === id);
      if (!req) continue;
      found.push(id);
      this.logger.info(`Terminating ${id} (${String(signal)})`);
      req.terminateOnAccept = { signal };
      if (active) active.run?.kill('terminated', new TaskRevokedError('terminated'), signal);
    }
    return found;
  }

  /** Resolves when no task runs and none is reserved; `wakeIdle` ends the wait early (a shutdown turned cold). */
  whenIdle(): Promise<void> {
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  wakeIdle(): void {
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /**
   * Their deliveries were never acked and their channel is gone. RabbitMQ requeues what a closed channel left
   * unacked; a broker that went down itself keeps only persistent messages of durable queues.
   */
  dropUnstarted(what: 'connection' | 'channel'): void {
    const dropped = this.eta.drain().length + this.limiter.drain().length + this.reservedQueue.splice(0).length;
    if (dropped === 0) return;
    this.logger.warning(
      what === 'channel'
        ? `dropped ${dropped} unstarted task(s) of the closed channel: they were never acked, so the broker requeues them`
        : `dropped ${dropped} unstarted task(s) of the lost connection: they were never acked, so the broker requeues them ` +
            `(if the broker itself went down, only persistent messages in durable queues survive it)`,
    );
  }

  /** Shutdown: reserved, ETA-held and rate-limited deliveries go back to the queue now. */
  giveBackUnstarted(): void {
    this.giveBack([...this.eta.drain(), ...this.limiter.drain(), ...this.reservedQueue.splice(0)]);
  }

  /** Shutdown: every task still running is stopped (see stopRunning). */
  stopAllRunning(): void {
    for (const req of [...this.activeRequests.values()]) this.stopRunning(req);
  }

  // ---- the message pipeline ----------------------------------------------------------------------------------------

  onTaskMessage(msg: Delivery, queue?: string): void {
    const consumer = this.consumer;
    const generation = consumer.generation;
    const decoded = decodeTaskMessage(msg, this.o.accept);
    if (!decoded.ok) return this.onBadMessage(msg, generation, decoded.error);
    const message = decoded.task;
    const task = this.registry.get(message.name);
    if (!task) return this.onUnknownTask(msg, generation, message);
    const req = new Request({ message, task, delivery: msg, generation, hostname: this.o.hostname });
    req.receivedAt = this.clock.monotonic();
    if (msg.fields.redelivered && this.timedOut.size > 0 && this.timedOut.has(req.id)) return this.onTimedOutRedelivery(req);
    const delayed = this.o.delayed;
    if (queue !== undefined && delayed && message.eta !== null && !this.stopping && delayed.wants(message.eta, this.clock.now())) {
      if (this.revoked.has(req.id) || req.isExpired(this.clock.now())) return this.discardRevoked(req);
      return this.delayInBroker(req, queue, delayed, message.eta);
    }
    if (this.infoEnabled) this.logger.info(`Task ${req.name}[${req.id}] received`);
    if (this.revoked.has(req.id) || req.isExpired(this.clock.now())) return this.discardRevoked(req);
    this.accept(req);
  }

  /** A received task goes on: task-received, then held for its ETA or into its rate-limit bucket. */
  private accept(req: Request): void {
    const message = req.message;
    const task = req.task;
    const consumer = this.consumer;
    const events = this.events;
    if (events.taskEventsEnabled && task.options.sendEvents !== false) {
      events.sendTask('task-received', req.id, {
        name: req.name,
        args: message.argsrepr ?? (message.protocol === 1 ? null : ''),
        kwargs: message.kwargsrepr ?? (message.protocol === 1 ? null : ''),
        root_id: message.rootId,
        parent_id: message.parentId,
        retries: message.retries,
        eta: message.eta === null ? null : formatIsoDate(message.eta),
        expires: message.expires === null ? null : formatIsoDate(message.expires),
      });
    }
    if (message.eta !== null && message.eta > this.clock.now()) {
      req.state = 'scheduled';
      consumer.holdEta(1);
      this.eta.schedule(message.eta, req);
      return;
    }
    this.toBucket(req);
  }

  /**
   * A long ETA: a copy goes into the broker's delay queues (with confirms), then the delivery is acked; the copy
   * comes back to `queue` when due. If the broker does not take it, the task is held in memory as any ETA task.
   */
  private delayInBroker(req: Request, queue: string, delayed: DelayedDelivery, etaMs: number): void {
    delayed.delay(req.delivery, queue, etaMs, this.clock.now()).then(
      () => {
        if (this.infoEnabled)
          this.logger.info(`Task ${req.name}[${req.id}] due at ${formatIsoDate(etaMs)}: waits in the broker's delay queues until then`);
        req.state = 'done';
        this.ack(req);
      },
      (err: unknown) => {
        this.o.badLines.log(
          `cannot put ${req.name}[${req.id}] in the broker's delay queues (${(err as Error).message}); holding it until its ETA`,
          (line) => this.logger.warning(line),
        );
        if (req.generation !== this.consumer.generation) return; // its channel is gone: the broker redelivers it
        if (this.revoked.has(req.id) || req.isExpired(this.clock.now())) return this.discardRevoked(req);
        this.accept(req);
      },
    );
  }

  /**
   * The broker closed the task channel because a delivery stayed unacked past its consumer_timeout (RabbitMQ names no
   * delivery): the oldest unacked request here is the one, returned for the worker's line. Its running acks-late
   * tasks are remembered, so that their redeliveries are not run a second time here.
   */
  onConsumerTimeout(): Request | undefined {
    const unacked = [...this.eta.list().map((e) => e.item), ...this.reservedQueue, ...this.activeRequests.values()].filter(
      (r) => !r.acknowledged && r.generation === this.consumer.generation,
    );
    for (const r of this.activeRequests.values()) {
      if (r.acknowledged || r.generation !== this.consumer.generation) continue;
      if (this.timedOut.size >= TIMED_OUT_IDS_MAX) this.timedOut.delete(this.timedOut.keys().next().value!);
      this.timedOut.set(r.id, r);
    }
    return unacked.reduce<Request | undefined>((oldest, r) => (oldest === undefined || r.receivedAt < oldest.receivedAt ? r : oldest), undefined);
  }

  /** The redelivery of a task that was running here when consumer_timeout closed its channel: ack it, run it once. */
  private onTimedOutRedelivery(req: Request): void {
    const first = this.timedOut.get(req.id)!;
    this.timedOut.delete(req.id);
    req.state = 'done';
    this.logger.warning(
      `Task ${req.name}[${req.id}] redelivered after consumer_timeout closed its channel: ${first.state === 'active' ? 'it is still running here' : 'it ran here'}; acked, not run again`,
    );
    this.ack(req);
  }

  private onEtaDue(req: Request): void {
    this.consumer.holdEta(-1);
    this.toBucket(req);
  }

  private toBucket(req: Request): void {
    req.state = 'waiting';
    this.limiter.submit(req.task.name, req);
  }

  private reserve(req: Request): void {
    if (this.stopping) return this.giveBack([req]);
    req.state = 'reserved';
    this.reservedQueue.push(req);
    this.pump();
  }

  /**
   * Start reserved requests while slots are free, and while the results of finished ones can go out: a task started
   * while they wait for room in the write buffer would only add to them (ResultSender calls this when they went).
   */
  pump(): void {
    const results = this.results;
    while (this.activeRequests.size < this.concurrency && this.reservedQueue.length > 0 && !results.backedUp) {
      this.startRequest(this.reservedQueue.shift()!);
    }
    if (this.activeRequests.size === 0 && this.reservedQueue.length === 0) this.wakeIdle();
  }

  private startRequest(req: Request): void {
    if (req.generation !== this.consumer.generation) return; // its delivery died with a lost channel
    if (this.revoked.has(req.id) || req.isExpired(this.clock.now())) return this.discardRevoked(req);
    req.state = 'active';
    req.timeStart = this.clock.now() / 1000;
    req.startedAt = this.clock.monotonic();
    this.activeRequests.set(req.id, req);
    this.processed++;
    this.totals[req.task.name] = (this.totals[req.task.name] ?? 0) + 1;
    if (!this.acksLate(req)) this.ack(req);
    if (this.events.taskEventsEnabled && req.task.options.sendEvents !== false) this.events.sendTask('task-started', req.id);
    const run = this.pool.execute(req.job(), req.task, (outcome) => this.finishSafely(req, outcome));
    if (req.state !== 'active') return; // finished synchronously
    req.run = run;
    req.workerPid = run.pid;
    this.armTimeLimits(req);
    if (req.terminateOnAccept) run.kill('terminated', new TaskRevokedError('terminated'), req.terminateOnAccept.signal);
  }

  private armTimeLimits(req: Request): void {
    const soft = req.softLimit;
    const hard = req.hardLimit;
    if (soft) {
      req.timers.push(
        this.clock.setTimeout(() => {
          this.logger.warning(`Soft time limit (${formatSeconds(soft)}s) exceeded for ${req.name}[${req.id}]`);
          req.run?.abort(new SoftTimeLimitExceeded());
        }, soft * 1000),
      );
    }
    if (hard) {
      req.timers.push(
        this.clock.setTimeout(() => {
          this.logger.error(`Hard time limit (${formatSeconds(hard)}s) exceeded for ${req.name}[${req.id}]`);
          req.run?.kill('time-limit', new TimeLimitExceeded(hard), 'SIGKILL');
        }, hard * 1000),
      );
    }
  }

  /**
   * finish, from a pool callback: a throw here would reach the transport's consumer callback (a synchronous handler)
   * or become an unhandled rejection (an async one) and crash the worker. Settle the delivery and say what happened.
   */
  private finishSafely(req: Request, outcome: Outcome): void {
    try {
      this.finish(req, outcome);
    } catch (err) {
      this.logger.error(`internal error after ${req.name}[${req.id}] ran (${outcome.kind}): ${(err as Error)?.message ?? String(err)}`);
      req.state = 'done';
      this.activeRequests.delete(req.id);
      this.ack(req);
      this.pump();
    }
  }

  private finish(req: Request, outcome: Outcome): void {
    if (req.state !== 'active') return;
    req.state = 'done';
    for (const t of req.timers) t.cancel();
    this.activeRequests.delete(req.id);
    const runtime = (this.clock.monotonic() - req.startedAt) / 1000;
    const events = this.events.taskEventsEnabled && req.task.options.sendEvents !== false;
    switch (outcome.kind) {
      case 'success': {
        // Like Celery: callbacks and the chain's next step go out before the result, which lists them as children.
        let children: unknown[] | undefined;
        try {
          children = hasCanvas(req.message) ? this.canvas.send(req, successPlan(req.message, outcome.value, this.canvasOptions())) : undefined;
        } catch (err) {
          // As Celery's trace does on an EncodeError while applying callbacks: the task fails (nothing was sent).
          this.fail(
            req,
            toPythonError(
              Object.assign(new Error(`cannot send the callbacks of ${req.name}[${req.id}]: ${(err as Error).message}`), { name: 'EncodeError' }),
            ),
            events,
            'raised unexpected: EncodeError',
          );
          break;
        }
        const encodeError = this.results.store(req, 'SUCCESS', outcome.value, null, children);
        if (encodeError) {
          this.fail(req, encodeError, events, `raised unexpected: ${encodeError.repr}`, false);
          break;
        }
        if (events || this.infoEnabled) {
          const repr = truncateRepr(pyRepr(outcome.value));
          if (events) this.events.sendTask('task-succeeded', req.id, { result: repr, runtime });
          if (this.infoEnabled) this.logger.info(`Task ${req.name}[${req.id}] succeeded in ${runtime}s: ${repr}`);
        }
        break;
      }
      case 'failure':
        this.fail(req, outcome.error, events, `raised unexpected: ${outcome.error.repr}`);
        break;
      case 'retry':
        this.retry(req, outcome, events);
        break;
      case 'reject':
        if (!req.acknowledged) {
          this.consumer.reject(req.delivery, req.generation, outcome.requeue);
          req.acknowledged = true;
          if (events) this.events.sendTask('task-rejected', req.id, { requeue: outcome.requeue });
        }
        this.logger.info(`Task ${req.name}[${req.id}] rejected: ${outcome.error.message}`);
        break;
      case 'ignore':
        break;
      case 'killed':
        if (outcome.reason === 'time-limit') {
          this.fail(req, outcome.error, events, `raised unexpected: ${outcome.error.repr}`);
        } else {
          const signum = req.terminateOnAccept?.signal ?? null;
          this.results.store(req, 'REVOKED', revokedExceptionInfo('terminated'), null);
          if (events) this.events.sendTask('task-revoked', req.id, { terminated: true, signum: signalNumber(signum), expired: false });
          this.logger.info(`Task ${req.name}[${req.id}] terminated`);
        }
        break;
    }
    this.ack(req);
    this.o.taskDone(req, outcome);
    this.pump();
  }

  private canvasOptions(): CanvasOptions {
    return { origin: this.o.hostname, defaultQueue: this.o.defaultQueue, now: this.clock.now(), tasks: this.registry };
  }

  /** FAILURE: the result (unless `store` is false: already stored), the errbacks, task-failed, one error line. */
  private fail(req: Request, error: PythonError, events: boolean, text: string, store = true): void {
    if (store) this.results.store(req, 'FAILURE', error.info, error.traceback);
    if (hasCanvas(req.message)) {
      try {
        this.canvas.send(req, failurePlan(req.message, this.canvasOptions()));
      } catch (err) {
        this.logger.error(`Task ${req.name}[${req.id}]: cannot send its errbacks: ${(err as Error).message}`);
      }
    }
    if (events) this.events.sendTask('task-failed', req.id, { exception: error.repr, traceback: error.traceback });
    this.logger.error(`Task ${req.name}[${req.id}] ${text}\n${error.traceback.trimEnd()}`);
  }

  private retry(req: Request, outcome: Extract<Outcome, { kind: 'retry' }>, events: boolean): void {
    // In the task's own serializer and compression, as Celery's Task.retry (apply_async merges the task's options).
    let message: ReturnType<typeof buildRetryMessage>;
    try {
      message = buildRetryMessage(req.message, {
        etaMs: outcome.etaMs,
        origin: this.o.hostname,
        now: this.clock.now(),
        serializer: req.task.options.serializer,
        compression: req.task.options.compression,
      });
    } catch (err) {
      // As in Celery, where the error of `retry()`'s apply_async leaves the task: it fails (nothing was sent).
      const error = Object.assign(new Error(`cannot send the retry of ${req.name}[${req.id}]: ${(err as Error).message}`), { name: 'EncodeError' });
      this.fail(req, toPythonError(error), events, 'raised unexpected: EncodeError');
      return;
    }
    void this.results.send(message);
    this.results.store(req, 'RETRY', outcome.error.info, outcome.error.traceback);
    if (events) this.events.sendTask('task-retried', req.id, { exception: outcome.error.repr, traceback: outcome.error.traceback });
    this.logger.info(`Task ${req.name}[${req.id}] retry: ${outcome.message}`);
  }

  /** Revoked or expired before it ran: ack, task-revoked, REVOKED result (docs/protocol.md, The worker's semantics). */
  private discardRevoked(req: Request): void {
    const expired = !this.revoked.has(req.id);
    if (expired) {
      this.revoked.add(req.id);
      this.o.revokedChanged();
    }
    req.state = 'done';
    this.logger.info(`Discarding revoked task: ${req.name}[${req.id}]`);
    if (this.events.taskEventsEnabled && req.task.options.sendEvents !== false) {
      this.events.sendTask('task-revoked', req.id, { terminated: false, signum: null, expired });
    }
    this.results.store(req, 'REVOKED', revokedExceptionInfo(expired ? 'expired' : 'revoked'), null);
    this.ack(req);
    this.o.taskDiscarded(req, expired ? 'expired' : 'revoked');
  }

  private onUnknownTask(msg: Delivery, generation: number, message: TaskMessage): void {
    // Celery's text, in full for the first of a window; a producer sending many is counted (RepeatLimiter).
    this.o.badLines.log(
      `Received unregistered task of type '${message.name}'.\nThe message has been ignored and discarded.\n\n` +
        `Did you remember to register it in the task module (-A)?\n\nThe full contents of the message body was:\n` +
        `${truncateRepr(msg.content.toString('utf8'))}\nheaders: ${JSON.stringify(msg.properties.headers ?? {})}\n` +
        `delivery_info: ${JSON.stringify(message.deliveryInfo)}`,
      (text) => this.logger.error(text),
    );
    this.consumer.reject(msg, generation, false);
    const info = exceptionInfo('NotRegistered', message.name, 'celery.exceptions');
    if (message.replyTo && !message.ignoreResult) {
      void this.results.send(
        buildResultMessage({
          taskId: message.id,
          correlationId: message.correlationId,
          replyTo: message.replyTo,
          status: 'FAILURE',
          result: info,
          traceback: null,
          serializer: this.results.serializer,
        }),
      );
    }
    this.events.sendTask('task-failed', message.id, { exception: toPythonError(new NotRegistered(message.name)).repr });
    this.o.taskDiscarded({ id: message.id, name: message.name }, 'unregistered');
  }

  private onBadMessage(
    msg: Delivery,
    generation: number,
    error: { kind: string; action: 'ack' | 'reject'; message: string; id?: string | undefined; name?: string | undefined },
  ): void {
    const level = error.kind === 'decode-error' ? 'critical' : error.kind === 'unknown-message' ? 'warning' : 'error';
    // Name the message where the refusal does not, so an operator can find it (and its caller) by id.
    const which = error.id !== undefined && !error.message.includes(error.id) ? ` (${error.name ?? 'task'}[${error.id}])` : '';
    this.o.badLines.log(error.message + which, (line) => this.logger[level](line));
    if (error.action === 'ack') this.consumer.ack(msg, generation);
    else this.consumer.reject(msg, generation, false);
    if (error.id !== undefined) {
      if (error.action === 'reject') this.events.sendTask('task-rejected', error.id, { requeue: false });
      else this.events.sendTask('task-failed', error.id, { exception: `DecodeError(${JSON.stringify(error.message)})` });
    }
  }

  // ---- acks and the shutdown's steps ---------------------------------------------------------------------------------

  private acksLate(req: Request): boolean {
    return req.task.options.acksLate ?? this.o.acksLate;
  }

  private ack(req: Request): void {
    if (req.acknowledged) return;
    req.acknowledged = true;
    this.consumer.ack(req.delivery, req.generation);
  }

  /**
   * A task still running when the worker stops. Unacked (acks-late), it goes back to the queue and nothing says it
   * failed: another worker runs it, and a FAILURE result or task-failed event now would be a lie (Celery's
   * Request.on_failure sends neither for a task it requeues). Early-acked, it is lost with the worker: that is a
   * failure, reported as one.
   */
  private stopRunning(req: Request): void {
    if (req.acknowledged) {
      req.run?.abort(new Error('worker shutting down'));
      return;
    }
    req.acknowledged = true;
    req.state = 'done';
    for (const t of req.timers) t.cancel();
    this.activeRequests.delete(req.id);
    const requeued = this.consumer.reject(req.delivery, req.generation, true);
    this.logger.warning(
      requeued
        ? `Task ${req.name}[${req.id}] stopped by the shutdown and put back in the queue (acks-late): another worker runs it`
        : `Task ${req.name}[${req.id}] stopped by the shutdown; its connection is gone, so the broker requeues it`,
    );
    req.run?.abort(new Error('worker shutting down'));
  }

  /** Unstarted deliveries go back to the queue now (nack with requeue), so another worker can take them. */
  private giveBack(requests: Request[]): void {
    let n = 0;
    for (const req of requests) {
      if (req.acknowledged) continue;
      req.acknowledged = true;
      if (this.consumer.reject(req.delivery, req.generation, true)) n++;
    }
    if (n > 0) this.logger.info(`Restored ${n} unstarted task(s) to the queue`);
  }
}

function signalNumber(signal: NodeJS.Signals | number | null): number | null {
  if (signal === null || typeof signal === 'number') return signal;
  return (osConstants.signals as Record<string, number>)[signal] ?? null;
}
