import { availableParallelism, constants as osConstants } from 'node:os';
import { BrokerConnection, connectionReason, Publisher, translateAmqpError, type ConsumeMessage, type ReconnectingInfo } from '../amqp/index.js';
import { ControlClient } from '../control/control-client.js';
import { BrokerError, UsageError, type CamqError } from '../errors/index.js';
import {
  buildResultMessage,
  buildRetryMessage,
  decodeTaskMessage,
  EVENT_EXCHANGE,
  exceptionInfo,
  formatIsoDate,
  LamportClock,
  pyRepr,
  revokedExceptionInfo,
  truncateRepr,
  type ActiveQueueInfo,
  type OutgoingMessage,
  type ResultBody,
  type ScheduledEntry,
  type StatsReply,
  type TaskMessage,
} from '../protocol/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { LogLevels, silentLogger, type Logger } from '../util/logger.js';
import { RepeatLimiter } from '../util/repeat-limiter.js';
import { SafeEmitter } from '../util/typed-emitter.js';
import type { CamqApp } from './app.js';
import { AsyncPool } from './async-pool.js';
import { failurePlan, hasCanvas, successPlan, type CanvasPlan, type CanvasSend } from './canvas.js';
import { TaskConsumer } from './consumer.js';
import {
  ControlPanel,
  PanelError,
  STANDARD_EXCHANGE_TYPES,
  type ControlCommandHandler,
  type ControlCommandOptions,
  type ControlTarget,
} from './control-panel.js';
import { toPythonError, type PythonError } from './error-info.js';
import { EtaScheduler, ETA_TIMER_PRIORITY } from './eta-scheduler.js';
import { EventDispatcher } from './event-dispatcher.js';
import { Heart, softwareInfo } from './heartbeat.js';
import { confReply, reportText, statsReply, type WorkerSnapshot } from './inspect-replies.js';
import { mingle } from './mingle.js';
import type { Pool } from './pool.js';
import { RateLimiter } from './rate-limiter.js';
import { RemotePool } from './remote-pool.js';
import { Request } from './request.js';
import { RevokedSet } from './revoked-set.js';
import { loadStateDb, saveStateDb } from './state-db.js';
import { formatSeconds, NotRegistered, SoftTimeLimitExceeded, TaskRevokedError, TimeLimitExceeded } from './task-errors.js';
import type { TaskRegistry } from './task-registry.js';
import { prepareTaskQueue, taskQueue, type TaskQueue } from './task-queue.js';
import type { Outcome } from './task-runner.js';
import { defaultConcurrency, defaultHostname, type WorkerConnection, type WorkerOptions } from './worker-options.js';

export interface WorkerEvents {
  /** Consuming; `isReconnect` after a lost connection came back. */
  ready: [{ isReconnect: boolean }];
  /** A task finished running (any outcome). */
  'task-done': [Request, Outcome];
  /** The worker stopped (warm or cold) and closed its connection. */
  stopped: [{ mode: 'warm' | 'cold' }];
}

/**
 * A Celery-compatible worker (docs/protocol.md, The worker's semantics): consumes task messages, runs handlers in a
 * pool, publishes rpc:// results, answers remote control, sends events and heartbeats, and survives bad input and lost
 * connections.
 */
export class Worker extends SafeEmitter<WorkerEvents> implements ControlTarget {
  readonly hostname: string;
  readonly app: CamqApp;
  readonly registry: TaskRegistry;
  readonly revoked: RevokedSet;
  readonly events: EventDispatcher;
  readonly appClock = new LamportClock();
  readonly logger: Logger;
  readonly panel: ControlPanel;
  readonly pool: Pool;
  readonly consumer: TaskConsumer;
  private readonly options: WorkerOptions;
  private readonly clock: Clock;
  private readonly connection: WorkerConnection;
  /** Why the connection was last lost: the reason a first setup failed when the broker closed the connection. */
  private lastLoss: CamqError | undefined;
  private readonly heart: Heart;
  private readonly eta: EtaScheduler<Request>;
  private readonly limiter: RateLimiter<Request>;
  private concurrency: number;
  private readonly startConcurrency: number;
  private readonly multiplier: number;
  private readonly reservedQueue: Request[] = [];
  private readonly activeRequests = new Map<string, Request>();
  private readonly totals: Record<string, number> = {};
  private processed = 0;
  /** Results, retries and canvas messages: a channel that survives what the broker refuses (see Publisher). */
  private readonly publisher: Publisher;
  /** Remote-control replies: a channel of their own (see ControlTarget.sendReply), refusals logged as bad input. */
  private readonly replyPublisher: Publisher;
  /** The command each reply in flight answers, for the line that says it was not sent. */
  private readonly replyMethods = new WeakMap<OutgoingMessage, string>();
  /** Queues declared for canvas messages on this connection. */
  private readonly declaredQueues = new Map<string, Promise<void>>();
  private startedAt = 0;
  private stopping: Promise<void> | undefined;
  /** The start-up in progress (settles, never rejects): a stop waits for it, see shutdownSequence. */
  private starting: Promise<void> | undefined;
  private stopMode: 'warm' | 'cold' | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly infoEnabled: boolean;
  private saveTimer: NodeJS.Timeout | undefined;
  /** One line per bad message, and a count for the repeats (RepeatLimiter). */
  private readonly badLines: RepeatLimiter;
  /** When the task consumer's channel was lost lately (monotonic ms), to stop re-consuming in a loop. */
  private readonly channelLosses: number[] = [];
  /** Resolves when the worker has stopped. */
  readonly done: Promise<{ mode: 'warm' | 'cold' }>;

  constructor(options: WorkerOptions) {
    super();
    this.options = options;
    this.app = options.app;
    this.registry = options.app.registry;
    this.hostname = options.hostname ?? defaultHostname();
    this.logger = options.logger ?? silentLogger;
    this.infoEnabled = LogLevels.indexOf(this.logger.level) <= LogLevels.indexOf('info');
    this.clock = options.clock ?? systemClock;
    this.badLines = new RepeatLimiter({ clock: this.clock });
    this.concurrency = Math.max(1, options.concurrency ?? defaultConcurrency());
    this.startConcurrency = this.concurrency;
    this.multiplier = Math.max(0, options.prefetchMultiplier ?? 4);
    this.connection =
      typeof options.broker === 'string'
        ? new BrokerConnection({ url: options.broker, reconnect: true, connectRetries: 0, connectionName: `camq worker ${this.hostname}` })
        : options.broker;
    this.revoked = new RevokedSet({ now: () => this.clock.now() });
    this.events = new EventDispatcher({
      hostname: this.hostname,
      appClock: this.appClock,
      clock: this.clock,
      logger: this.logger,
      taskEvents: options.taskEvents ?? false,
    });
    this.heart = new Heart({
      dispatcher: this.events,
      clock: this.clock,
      software: softwareInfo(options.softwareVersion ?? '0.0.0'),
      counts: () => ({ active: this.activeRequests.size, processed: this.processed }),
      freqSeconds: options.heartbeatInterval ?? 2,
    });
    this.eta = new EtaScheduler({ clock: this.clock, fire: (req) => this.onEtaDue(req) });
    this.limiter = new RateLimiter({ clock: this.clock, release: (req) => this.reserve(req) });
    for (const task of this.registry) if (task.rateLimit) this.limiter.setRate(task.name, task.rateLimit);
    for (const task of this.registry) {
      if (task.timeLimit === null && options.timeLimit) task.timeLimit = options.timeLimit;
      if (task.softTimeLimit === null && options.softTimeLimit) task.softTimeLimit = options.softTimeLimit;
    }
    this.pool = options.poolInstance ?? this.createPool();
    this.consumer = new TaskConsumer({
      queues: (options.queues && options.queues.length > 0 ? options.queues : [this.app.defaultQueue]).map((q) => taskQueue(q)),
      prefetch: this.concurrency * this.multiplier,
      onMessage: (msg) => this.onTaskMessage(msg),
      prepare: (queue) => this.prepareQueue(queue),
      onChannelClosed: (reason) => void this.onConsumerChannelClosed(reason),
      logger: this.logger,
    });
    this.publisher = new Publisher({
      connection: this.connection,
      onDropped: (message, error) => this.logger.error(`not sending ${describeMessage(message)}: ${error.message}`),
      onChannelError: (error) =>
        this.logger.error(`the broker closed the channel results and task messages go out on: ${error.message}; reopening it for the next message`),
    });
    this.replyPublisher = new Publisher({
      connection: this.connection,
      // Anyone may send a request with any reply_to: one line per refused reply, repeats counted (RepeatLimiter).
      onDropped: (message, error) =>
        this.badLines.log(
          `not sending the ${this.replyMethods.get(message) ?? 'remote control'} reply to exchange '${message.exchange}' with routing key '${message.routingKey}': ${error.message}`,
          (line) => this.logger.warning(line),
        ),
      // A reply_to the exchange check passes but the broker refuses (an internal exchange: 403) closes the channel.
      onChannelError: (error) =>
        this.badLines.log(
          `the broker closed the channel remote-control replies go out on: ${error.message}; reopening it for the next reply`,
          (line) => this.logger.error(line),
        ),
    });
    this.panel = new ControlPanel(this);
    for (const command of this.app.commands) this.panel.register(command.name, command.handler, command.options);
    this.done = new Promise((resolve) => this.once('stopped', resolve));
  }

  /** Register a remote-control command on this worker (Celery's `Panel.register`). */
  registerCommand(name: string, handler: ControlCommandHandler, options?: ControlCommandOptions): void {
    this.panel.register(name, handler, options);
  }

  /** Load the state db, start the pool, connect, declare, consume. Rejects when the broker cannot be reached. */
  start(): Promise<void> {
    const starting = this.startSteps();
    this.starting = starting.catch(() => {});
    return starting;
  }

  private async startSteps(): Promise<void> {
    this.startedAt = this.clock.monotonic();
    if (this.options.statedb) {
      const state = await loadStateDb(this.options.statedb);
      if (state) {
        this.revoked.load(state.revoked);
        this.appClock.adjust(state.clock);
      }
    }
    await this.pool.start(this.concurrency);
    this.connection.on('disconnected', (err: CamqError) => this.onDisconnected(err));
    this.connection.on('reconnecting', (info: ReconnectingInfo) => this.logger.warning(reconnectingLine(this.connection.masked, info)));
    this.connection.on('failed', (err: CamqError) => {
      this.logger.critical(`Unrecoverable error: ${err.message}`);
      void this.stop('cold');
    });
    try {
      await this.connection.connect();
      this.lastLoss = undefined;
      let first = true;
      await this.connection.addSetup(async () => {
        if (!(await this.setup())) return;
        this.emit('ready', { isReconnect: !first });
        first = false;
      });
      this.app.useConnection(this.connection);
    } catch (err) {
      // A refused declare (a duplicate node name, a queue declared with other arguments) fails the first setup
      // with the connection open and the heart ticking: release both, or the process would never exit.
      this.heart.stop();
      await this.connection.close();
      await this.pool.stop();
      // When the broker closed the whole connection (a hard error such as 540), the call in flight only says its
      // channel ended: the loss carries the broker's reason.
      throw this.lastLoss ?? translateAmqpError(err);
    }
  }

  /**
   * Bootsteps, after every (re)connect: events, mingle, mailbox, heart, then the task consumer (docs/protocol.md, The
   * worker's semantics: Celery's Control step declares the mailbox before the event loop consumes tasks). A worker
   * whose node name is taken fails before it has said worker-online or taken a task. A worker told to stop meanwhile
   * (a signal while it mingles) completes the steps that its shutdown undoes but does not start consuming: false then.
   */
  private async setup(): Promise<boolean> {
    await this.openEventChannel();
    await this.publisher.open();
    if (this.options.mingle && this.connection instanceof BrokerConnection) {
      const client = new ControlClient({ connection: this.connection });
      try {
        await mingle(this, client);
      } finally {
        await client.close();
      }
    }
    await this.panel.attach(await this.connection.createChannel());
    this.heart.start();
    if (this.stopMode) return false;
    await this.consumer.attach(await this.connection.createChannel());
    this.logger.info(`Connected to ${this.connection.masked}`);
    this.logger.info(`${this.hostname} ready.`);
    return true;
  }

  /**
   * Declare celeryev and send events on a new channel. The broker closes it for a publish it refuses (celeryev deleted
   * under the worker: 404) while the connection stays up; without a new one heartbeats would stop and monitors would
   * show a running worker as offline. Reopened (and celeryev declared again) with one line, repeats counted.
   */
  private async openEventChannel(): Promise<void> {
    const channel = await this.connection.createChannel();
    await channel.assertExchange(EVENT_EXCHANGE.name, EVENT_EXCHANGE.type, {
      durable: EVENT_EXCHANGE.durable,
      autoDelete: EVENT_EXCHANGE.autoDelete,
    });
    channel.on('error', (err: unknown) => {
      const error = translateAmqpError(err);
      if (!(error instanceof BrokerError && error.isChannelError) || this.stopMode || this.connection.isOpen === false) return;
      this.badLines.log(`the broker closed the channel events go out on (${error.message}); reopening it`, (line) => this.logger.error(line));
      this.openEventChannel().catch((e: unknown) =>
        this.logger.error(`cannot reopen the event channel (${translateAmqpError(e).message}): no events are sent until the next reconnect`),
      );
    });
    this.events.attach(channel);
  }

  private onDisconnected(err: CamqError): void {
    this.lastLoss = err;
    // A connection that worked a moment ago: no "cannot connect", no advice about the URL (the next lines say
    // when the worker tries again).
    this.logger.error(`consumer: Connection to broker lost: ${this.connection.masked} (${connectionReason(err)})`);
    this.consumer.detach();
    this.panel.detach();
    this.heart.stop();
    this.events.attach(undefined);
    this.publisher.reset();
    this.replyPublisher.reset();
    this.declaredQueues.clear();
    this.dropUnstarted('connection');
  }

  /**
   * Their deliveries were never acked and their channel is gone. RabbitMQ requeues what a closed channel left
   * unacked; a broker that went down itself keeps only persistent messages of durable queues.
   */
  private dropUnstarted(what: 'connection' | 'channel'): void {
    const dropped = this.eta.drain().length + this.limiter.drain().length + this.reservedQueue.splice(0).length;
    if (dropped === 0) return;
    this.logger.warning(
      what === 'channel'
        ? `dropped ${dropped} unstarted task(s) of the closed channel: they were never acked, so the broker requeues them`
        : `dropped ${dropped} unstarted task(s) of the lost connection: they were never acked, so the broker requeues them ` +
            `(if the broker itself went down, only persistent messages in durable queues survive it)`,
    );
  }

  /**
   * The broker closed the task consumer's channel while the connection stayed up: without a consumer the worker
   * would go on answering ping and take no task. Say so and consume again on a new channel; when that keeps
   * happening (5 times in a minute) or cannot be done, stop with a critical line (cold: the process exits 1).
   */
  private async onConsumerChannelClosed(reason: string): Promise<void> {
    if (this.stopMode) return;
    const now = this.clock.monotonic();
    this.channelLosses.push(now);
    while (this.channelLosses.length > 0 && this.channelLosses[0]! < now - 60_000) this.channelLosses.shift();
    this.dropUnstarted('channel');
    if (this.channelLosses.length > 5) {
      this.logger.critical(`the task consumer's channel was closed ${this.channelLosses.length} times in a minute (last: ${reason}); stopping`);
      void this.stop('cold');
      return;
    }
    this.logger.error(`the task consumer's channel was closed (${reason}); consuming again on a new channel`);
    try {
      await this.consumer.attach(await this.connection.createChannel());
      this.logger.info(`consuming again from ${this.consumer.queueNames().join(', ')}`);
    } catch (err) {
      // A lost connection is handled by the reconnect (its setup consumes again); anything else stops the worker.
      if (this.connection.isOpen === false || this.stopMode) return;
      this.logger.critical(`cannot consume again after the task consumer's channel closed: ${(err as Error).message}; stopping`);
      void this.stop('cold');
    }
  }

  // ---- the message pipeline (docs/protocol.md, The worker's semantics) ----------------------------------------------

  private onTaskMessage(msg: ConsumeMessage): void {
    const generation = this.consumer.generation;
    const decoded = decodeTaskMessage(msg);
    if (!decoded.ok) return this.onBadMessage(msg, generation, decoded.error);
    const message = decoded.task;
    const task = this.registry.get(message.name);
    if (!task) return this.onUnknownTask(msg, generation, message);
    const req = new Request({ message, task, delivery: msg, generation, hostname: this.hostname });
    if (this.infoEnabled) this.logger.info(`Task ${req.name}[${req.id}] received`);
    if (this.revoked.has(req.id) || req.isExpired(this.clock.now())) return this.discardRevoked(req);
    if (this.events.taskEventsEnabled && task.options.sendEvents !== false) {
      this.events.sendTask('task-received', req.id, {
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
      this.consumer.holdEta(1);
      this.eta.schedule(message.eta, req);
      return;
    }
    this.toBucket(req);
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
    if (this.stopMode) return this.giveBack([req]);
    req.state = 'reserved';
    this.reservedQueue.push(req);
    this.pump();
  }

  /** Start reserved requests while slots are free. */
  private pump(): void {
    while (this.activeRequests.size < this.concurrency && this.reservedQueue.length > 0) this.startRequest(this.reservedQueue.shift()!);
    if (this.activeRequests.size === 0 && this.reservedQueue.length === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
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
   * finish, from a pool callback: a throw here would reach amqplib's consumer callback (a synchronous handler) or
   * become an unhandled rejection (an async one) and crash the worker. Settle the delivery and say what happened.
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
          children = hasCanvas(req.message) ? this.sendCanvas(req, successPlan(req.message, outcome.value, this.canvasOptions())) : undefined;
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
        const encodeError = this.storeResult(req, 'SUCCESS', outcome.value, null, children);
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
          this.storeResult(req, 'REVOKED', revokedExceptionInfo('terminated'), null);
          if (events) this.events.sendTask('task-revoked', req.id, { terminated: true, signum: signalNumber(signum), expired: false });
          this.logger.info(`Task ${req.name}[${req.id}] terminated`);
        }
        break;
    }
    this.ack(req);
    this.emit('task-done', req, outcome);
    this.pump();
  }

  /** FAILURE: the result (unless `store` is false: already stored), the errbacks, task-failed, one error line. */
  private fail(req: Request, error: PythonError, events: boolean, text: string, store = true): void {
    if (store) this.storeResult(req, 'FAILURE', error.info, error.traceback);
    if (hasCanvas(req.message)) {
      try {
        this.sendCanvas(req, failurePlan(req.message, this.canvasOptions()));
      } catch (err) {
        this.logger.error(`Task ${req.name}[${req.id}]: cannot send its errbacks: ${(err as Error).message}`);
      }
    }
    if (events) this.events.sendTask('task-failed', req.id, { exception: error.repr, traceback: error.traceback });
    this.logger.error(`Task ${req.name}[${req.id}] ${text}\n${error.traceback.trimEnd()}`);
  }

  private retry(req: Request, outcome: Extract<Outcome, { kind: 'retry' }>, events: boolean): void {
    const message = buildRetryMessage(req.message, { etaMs: outcome.etaMs, origin: this.hostname, now: this.clock.now() });
    void this.publish(message);
    this.storeResult(req, 'RETRY', outcome.error.info, outcome.error.traceback);
    if (events) this.events.sendTask('task-retried', req.id, { exception: outcome.error.repr, traceback: outcome.error.traceback });
    this.logger.info(`Task ${req.name}[${req.id}] retry: ${outcome.message}`);
  }

  /** Revoked or expired before it ran: ack, task-revoked, REVOKED result (docs/protocol.md, The worker's semantics). */
  private discardRevoked(req: Request): void {
    const expired = !this.revoked.has(req.id);
    if (expired) {
      this.revoked.add(req.id);
      this.scheduleSave();
    }
    req.state = 'done';
    this.logger.info(`Discarding revoked task: ${req.name}[${req.id}]`);
    if (this.events.taskEventsEnabled && req.task.options.sendEvents !== false) {
      this.events.sendTask('task-revoked', req.id, { terminated: false, signum: null, expired });
    }
    this.storeResult(req, 'REVOKED', revokedExceptionInfo(expired ? 'expired' : 'revoked'), null);
    this.ack(req);
  }

  private onUnknownTask(msg: ConsumeMessage, generation: number, message: TaskMessage): void {
    // Celery's text, in full for the first of a window; a producer sending many is counted (RepeatLimiter).
    this.badLines.log(
      `Received unregistered task of type '${message.name}'.\nThe message has been ignored and discarded.\n\n` +
        `Did you remember to register it in the task module (-A)?\n\nThe full contents of the message body was:\n` +
        `${truncateRepr(msg.content.toString('utf8'))}\nheaders: ${JSON.stringify(msg.properties.headers ?? {})}\n` +
        `delivery_info: ${JSON.stringify(message.deliveryInfo)}`,
      (text) => this.logger.error(text),
    );
    this.consumer.reject(msg, generation, false);
    const info = exceptionInfo('NotRegistered', message.name, 'celery.exceptions');
    if (message.replyTo && !message.ignoreResult) {
      void this.publish(
        buildResultMessage({
          taskId: message.id,
          correlationId: message.correlationId,
          replyTo: message.replyTo,
          status: 'FAILURE',
          result: info,
          traceback: null,
        }),
      );
    }
    this.events.sendTask('task-failed', message.id, { exception: toPythonError(new NotRegistered(message.name)).repr });
  }

  private onBadMessage(
    msg: ConsumeMessage,
    generation: number,
    error: { kind: string; action: 'ack' | 'reject'; message: string; id?: string | undefined; name?: string | undefined },
  ): void {
    const level = error.kind === 'decode-error' ? 'critical' : error.kind === 'unknown-message' ? 'warning' : 'error';
    // Name the message where the refusal does not, so an operator can find it (and its caller) by id.
    const which = error.id !== undefined && !error.message.includes(error.id) ? ` (${error.name ?? 'task'}[${error.id}])` : '';
    this.badLines.log(error.message + which, (line) => this.logger[level](line));
    if (error.action === 'ack') this.consumer.ack(msg, generation);
    else this.consumer.reject(msg, generation, false);
    if (error.id !== undefined) {
      if (error.action === 'reject') this.events.sendTask('task-rejected', error.id, { requeue: false });
      else this.events.sendTask('task-failed', error.id, { exception: `DecodeError(${JSON.stringify(error.message)})` });
    }
  }

  // ---- acks, results, publishing ---------------------------------------------------------------------------

  private acksLate(req: Request): boolean {
    return req.task.options.acksLate ?? this.options.acksLate ?? false;
  }

  private ack(req: Request): void {
    if (req.acknowledged) return;
    req.acknowledged = true;
    this.consumer.ack(req.delivery, req.generation);
  }

  /**
   * Publish the task's result to its reply queue. A result that cannot be encoded (a value nested past what
   * JSON.stringify can walk) is stored as FAILURE with EncodeError instead, and that error is returned so the
   * caller reports the task as failed, as Celery's trace does: the state in the log and events stays true.
   */
  private storeResult(
    req: Request,
    status: ResultBody['status'],
    result: unknown,
    traceback: string | null,
    children?: unknown[],
  ): PythonError | undefined {
    const m = req.message;
    if (!m.replyTo || m.ignoreResult || req.task.options.ignoreResult) return undefined;
    let message: OutgoingMessage;
    let encodeError: PythonError | undefined;
    try {
      message = buildResultMessage({
        taskId: m.id,
        correlationId: m.correlationId,
        replyTo: m.replyTo,
        status,
        result,
        traceback,
        ...(children ? { children } : {}),
      });
    } catch (err) {
      encodeError = toPythonError(
        Object.assign(new Error(`the result of ${req.name}[${req.id}] is not JSON: ${(err as Error).message}`), { name: 'EncodeError' }),
      );
      message = buildResultMessage({
        taskId: m.id,
        correlationId: m.correlationId,
        replyTo: m.replyTo,
        status: 'FAILURE',
        result: encodeError.info,
        traceback: encodeError.traceback,
      });
    }
    void this.publish(message);
    return encodeError;
  }

  // ---- canvas: callbacks, errbacks, chains (canvas.ts) ------------------------------------------------------

  private canvasOptions(): { origin: string; defaultQueue: string; now: number } {
    return { origin: this.hostname, defaultQueue: this.app.defaultQueue, now: this.clock.now() };
  }

  /** Send what a finished task's canvas asks for; returns the result tuples for its result's `children`. */
  private sendCanvas(req: Request, plan: CanvasPlan): unknown[] {
    if (req.message.embed.chord) {
      this.logger.warning(
        `Task ${req.name}[${req.id}] is part of a chord: camq does not run chords (nor does the rpc:// result backend), so the chord's body will not run`,
      );
    }
    for (const what of plan.unsupported) {
      this.logger.error(`Task ${req.name}[${req.id}]: cannot apply ${what}: camq applies callbacks, errbacks, chains and groups, not chords`);
    }
    for (const send of plan.sends) void this.publishCanvas(send);
    return plan.children;
  }

  private async publishCanvas(send: CanvasSend): Promise<void> {
    if (send.queue !== undefined) await this.declareQueue(send.queue);
    await this.publish(send.message);
  }

  /**
   * Declare a queue a canvas message goes to, once per connection (kombu's maybe_declare). A queue that exists with
   * other arguments is used as it is (one warning); any other failure is logged and the message published anyway.
   */
  private declareQueue(name: string): Promise<void> {
    let declared = this.declaredQueues.get(name);
    if (!declared) {
      declared = this.prepareQueue(taskQueue(name)).catch((err: Error) => {
        this.declaredQueues.delete(name);
        this.logger.warning(`cannot declare queue ${name} for a canvas message (publishing anyway): ${err.message}`);
      });
      this.declaredQueues.set(name, declared);
    }
    return declared;
  }

  /** Declare a task queue (and its exchange and binding) on a channel of its own; see prepareTaskQueue. */
  private prepareQueue(queue: TaskQueue): Promise<void> {
    return prepareTaskQueue(
      () => this.connection.createChannel(),
      queue,
      (warning) => this.logger.warning(warning),
    );
  }

  /** Publish (see Publisher): while disconnected it waits for the reconnect; what cannot go out is logged once. */
  private publish(message: OutgoingMessage): Promise<boolean> | boolean {
    return this.publisher.publish(message);
  }

  // ---- remote control (ControlTarget) -------------------------------------------------------------------

  resetRateLimit(taskName: string): void {
    const task = this.registry.get(taskName);
    this.limiter.setRate(taskName, task?.rateLimit ?? null);
  }

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

  sendReply(reply: OutgoingMessage, method: string): void {
    this.replyMethods.set(reply, method);
    void this.replyPublisher.publish(reply);
  }

  revokedChanged(): void {
    this.scheduleSave();
  }

  heartbeatNow(): void {
    this.heart.beatOnRequest();
  }

  stats(): StatsReply {
    return statsReply(this.snapshot());
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

  activeQueues(): ActiveQueueInfo[] {
    return this.consumer.activeQueues();
  }

  async addConsumer(queue: string, exchange: string, exchangeType: string, routingKey: string): Promise<void> {
    if (exchange !== '' && !STANDARD_EXCHANGE_TYPES.includes(exchangeType)) {
      // RabbitMQ answers a declare of an unknown type by closing the whole connection (503): every reconnect would
      // declare it again. A plugin's type is used only for an exchange that exists (checked on a throwaway channel).
      const channel = await this.connection.createChannel();
      try {
        await channel.checkExchange(exchange);
        await channel.close();
      } catch {
        throw new PanelError(
          'ValueError',
          `exchange ${exchange} of type ${exchangeType} does not exist, and camq declares only ${STANDARD_EXCHANGE_TYPES.join(', ')} exchanges; declare it first`,
        );
      }
    }
    try {
      await this.consumer.addQueue(taskQueue(queue, exchange, exchangeType, routingKey));
    } catch (err) {
      const error = translateAmqpError(err);
      this.logger.error(`add_consumer ${queue} refused: ${error.message}`);
      throw new PanelError('ValueError', `cannot consume from ${queue}: ${error.message}`);
    }
    this.logger.info(`Started consuming from ${queue}`);
  }

  async cancelConsumer(queue: string): Promise<void> {
    await this.consumer.cancelQueue(queue);
    this.logger.info(`Stopped consuming from ${queue}`);
  }

  /**
   * pool_grow's ceiling: 4 × the CPU cores, or the starting concurrency if higher. Celery starts with one process per
   * core; past four per core, threads and processes only add memory (about 12 MB per thread, measured: 30 threads
   * took a worker from 85 to 453 MB) and contention, and an unbounded n forks without end on the process pool.
   * A worker that needs more starts with a higher --concurrency.
   */
  get maxConcurrency(): number {
    return Math.max(this.startConcurrency, 4 * availableParallelism());
  }

  resizePool(delta: number): { before: number; after: number; max: number } {
    const before = this.concurrency;
    const max = this.maxConcurrency;
    const next = Math.min(max, Math.max(1, this.concurrency + delta));
    const change = next - this.concurrency;
    if (change !== 0) {
      this.concurrency = next;
      this.pool.resize(next);
      this.consumer.changeBase(change * this.multiplier);
      this.pump();
    }
    return { before, after: next, max };
  }

  shutdown(reason: string): void {
    void reason;
    setImmediate(() => void this.stop('warm'));
  }

  report(): string {
    return reportText(this.snapshot());
  }

  conf(withDefaults: boolean): Record<string, unknown> {
    return confReply(this.snapshot(), withDefaults);
  }

  /** What the inspect replies read (inspect-replies.ts). */
  private snapshot(): WorkerSnapshot {
    return {
      connection: this.connection,
      totals: this.totals,
      clock: this.appClock.value,
      uptimeSeconds: Math.round((this.clock.monotonic() - this.startedAt) / 1000),
      concurrency: this.concurrency,
      multiplier: this.multiplier,
      prefetchCount: this.consumer.prefetchCount,
      pool: { kind: this.pool.kind, processes: this.pool.processes() },
      softTimeLimit: this.options.softTimeLimit,
      timeLimit: this.options.timeLimit,
      acksLate: this.options.acksLate ?? false,
      taskEvents: this.events.taskEventsEnabled,
      defaultQueue: this.app.defaultQueue,
      softwareVersion: this.options.softwareVersion,
      statedb: this.options.statedb,
      modulePath: this.options.modulePath,
    };
  }

  // ---- shutdown (docs/protocol.md, The worker's semantics) ----------------------------------------------------------

  /**
   * Warm: stop consuming, give reserved, ETA-held and rate-limited messages back to the queue, wait for running
   * tasks (up to the shutdown timeout), send worker-offline, close. Cold: the same without waiting; running tasks
   * are aborted (early-acked ones are lost, as with Celery; acks-late ones come back).
   */
  stop(mode: 'warm' | 'cold' = 'warm'): Promise<void> {
    if (this.stopping) {
      if (mode === 'cold' && this.stopMode === 'warm') {
        this.stopMode = 'cold';
        this.logger.warning(`worker: Warm shutdown turned cold: stopping ${this.activeRequests.size} running task(s) now`);
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
      return this.stopping;
    }
    this.stopMode = mode;
    this.stopping = this.shutdownSequence();
    return this.stopping;
  }

  private async shutdownSequence(): Promise<void> {
    const started = this.stopMode!;
    this.logger.warning(started === 'warm' ? 'worker: Warm shutdown (MainProcess)' : 'worker: Cold shutdown (MainProcess)');
    // A signal during start-up (mingle waits 1 s for replies): closing the connection under the steps in flight failed
    // them ("the control channel … was closed", exit 2). Let them finish (setup then does not consume) and undo them.
    await this.starting;
    await this.consumer.stopConsuming().catch(() => {});
    this.giveBack([...this.eta.drain(), ...this.limiter.drain(), ...this.reservedQueue.splice(0)]);
    // The mode now, not at the start: a second signal during the steps above already made it cold.
    if (this.stopMode === 'warm' && this.activeRequests.size > 0) {
      const timeoutMs = (this.options.shutdownTimeout ?? 60) * 1000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
      if (this.activeRequests.size > 0 && this.stopMode === 'warm')
        this.logger.warning(`${this.activeRequests.size} task(s) still running after ${timeoutMs / 1000}s; stopping anyway`);
    }
    for (const req of [...this.activeRequests.values()]) this.stopRunning(req);
    this.events.flush();
    this.badLines.flush();
    this.heart.offline();
    await this.panel.close();
    await this.saveState();
    // Give the results of the last tasks a moment to leave before the connection goes; the last acks go now.
    await new Promise((r) => setImmediate(r));
    this.consumer.flushAcks();
    await this.app.close().catch(() => {});
    await this.connection.close();
    await this.pool.stop();
    const mode = this.stopMode!;
    this.emit('stopped', { mode });
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

  private scheduleSave(): void {
    if (!this.options.statedb || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.saveState();
    }, 200);
    this.saveTimer.unref();
  }

  private async saveState(): Promise<void> {
    if (!this.options.statedb) return;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    try {
      await saveStateDb(this.options.statedb, { clock: this.appClock.value, revoked: this.revoked.toJSON() });
    } catch (err) {
      this.logger.error(`cannot write the state db ${this.options.statedb}: ${(err as Error).message}`);
    }
  }

  private createPool(): Pool {
    const kind = this.options.pool ?? 'async';
    if (kind === 'async') return new AsyncPool({ logger: this.logger, now: () => this.clock.now() });
    if (!this.options.modulePath) throw new UsageError(`--pool ${kind} needs the task module path (modulePath) so its children can load it`);
    return new RemotePool({ kind, modulePath: this.options.modulePath, logLevel: this.options.logLevel ?? this.logger.level, logger: this.logger });
  }
}

function signalNumber(signal: NodeJS.Signals | number | null): number | null {
  if (signal === null || typeof signal === 'number') return signal;
  return (osConstants.signals as Record<string, number>)[signal] ?? null;
}

/** A message in a log line: what it is (a task by name and id, a result by task id) and where it was going. */
function describeMessage(message: OutgoingMessage): string {
  const headers = message.properties.headers as Record<string, unknown> | undefined;
  const task = typeof headers?.['task'] === 'string' ? headers['task'] : undefined;
  const what = task ? `task ${task}[${String(headers?.['id'])}]` : `the message for ${message.properties.correlationId ?? '?'}`;
  return `${what} to exchange '${message.exchange}' with routing key '${message.routingKey}'`;
}

/** One line per reconnect attempt: why the last try failed (or the loss), which attempt is next and when. */
function reconnectingLine(masked: string, info: ReconnectingInfo): string {
  const next = `attempt ${info.attempt}, next in ${(info.delayMs / 1000).toFixed(1)} s`;
  // The loss itself was the line before (onDisconnected).
  if (info.attempt === 1) return `consumer: reconnecting to ${masked} (${next})`;
  return `consumer: still no connection to ${masked} (${info.reason}); reconnecting (${next})`;
}
