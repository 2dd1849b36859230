import { availableParallelism } from 'node:os';
import { asCamqError, BrokerError, connectionReason, UsageError, type CamqError } from '../errors/index.js';
import { EVENT_EXCHANGE, LamportClock, type ActiveQueueInfo, type OutgoingMessage, type ScheduledEntry, type StatsReply } from '../protocol/index.js';
import { createTransport, Publisher, type ReconnectingInfo, type Transport } from '../transport/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { RepeatLimiter } from '../util/repeat-limiter.js';
import { SafeEmitter } from '../util/typed-emitter.js';
import type { CamqApp } from './app.js';
import { AsyncPool } from './async-pool.js';
import { STANDARD_EXCHANGE_TYPES } from './builtin-commands.js';
import { CanvasSender } from './canvas-sender.js';
import { DEFAULT_ETA_DELAY_AFTER_MS, DelayedDelivery } from './delayed-delivery.js';
import { TaskConsumer } from './consumer.js';
import { ControlPanel, PanelError, type ControlCommandHandler, type ControlCommandOptions, type ControlTarget } from './control-panel.js';
import { EventDispatcher } from './event-dispatcher.js';
import { Heart, softwareInfo } from './heartbeat.js';
import { confReply, reportText, statsReply, type WorkerSnapshot } from './inspect-replies.js';
import { Mailbox } from './mailbox.js';
import { mingle } from './mingle.js';
import type { Pool } from './pool.js';
import { RemotePool } from './remote-pool.js';
import type { Request } from './request.js';
import { RequestLifecycle, type DiscardedTask, type DiscardReason } from './request-lifecycle.js';
import { describeMessage, ResultSender } from './result-sender.js';
import { RevokedSet } from './revoked-set.js';
import { shutDown, type ShutdownMode } from './shutdown.js';
import { StateDb } from './state-db.js';
import type { TaskRegistry } from './task-registry.js';
import { parseQueueSpec, prepareTaskQueue, taskQueue, type QueueType, type TaskQueue } from './task-queue.js';
import type { Outcome } from './task-runner.js';
import { defaultConcurrency, defaultHostname, workerAccept, type WorkerOptions } from './worker-options.js';

export interface WorkerEvents {
  /** Consuming; `isReconnect` after a lost connection came back. */
  ready: [{ isReconnect: boolean }];
  /** A task finished running (any outcome). */
  'task-done': [Request, Outcome];
  /**
   * A task message answered without running: revoked or expired before it ran (REVOKED, task-revoked), or naming a
   * task this worker does not have (rejected, FAILURE NotRegistered, task-failed). Never for a message that is not a task.
   */
  'task-discarded': [DiscardedTask, DiscardReason];
  /** The worker stopped (warm or cold) and closed its connection. */
  stopped: [{ mode: ShutdownMode }];
}

/**
 * A Celery-compatible worker (docs/protocol.md, The worker's semantics): consumes task messages, runs handlers in a
 * pool, publishes rpc:// results, answers remote control, sends events and heartbeats, and survives bad input and lost
 * connections. This class puts the parts together and runs the bootsteps after every (re)connect: the request
 * lifecycle (request-lifecycle.ts), results and canvas (result-sender.ts, canvas-sender.ts), remote control
 * (mailbox.ts, control-panel.ts), events (event-dispatcher.ts, heartbeat.ts), the state db and the shutdown.
 */
export class Worker extends SafeEmitter<WorkerEvents> implements ControlTarget {
  readonly hostname: string;
  readonly app: CamqApp;
  readonly registry: TaskRegistry;
  readonly revoked: RevokedSet;
  readonly events: EventDispatcher;
  readonly appClock = new LamportClock();
  readonly logger: Logger;
  readonly clock: Clock;
  readonly panel: ControlPanel;
  readonly pool: Pool;
  readonly consumer: TaskConsumer;
  private readonly options: WorkerOptions;
  private readonly transport: Transport;
  /** Why the connection was last lost: the reason a first setup failed when the broker closed the connection. */
  private lastLoss: CamqError | undefined;
  private readonly heart: Heart;
  private readonly mailbox: Mailbox;
  private readonly lifecycle: RequestLifecycle;
  /** Long ETAs wait in the broker (delayed-delivery.ts). */
  readonly delayed: DelayedDelivery;
  private readonly state: StateDb;
  private readonly startConcurrency: number;
  private readonly multiplier: number;
  /** Results, retries and canvas messages: a channel that survives what the broker refuses (see Publisher). */
  private readonly publisher: Publisher;
  private readonly results: ResultSender;
  private readonly canvas: CanvasSender;
  /** Remote-control replies: a channel of their own (see ControlTarget.sendReply), refusals logged as bad input. */
  private readonly replyPublisher: Publisher;
  /** The command each reply in flight answers, for the line that says it was not sent. */
  private readonly replyMethods = new WeakMap<OutgoingMessage, string>();
  private startedAt = 0;
  private stopping: Promise<void> | undefined;
  /** The start-up in progress (settles, never rejects): a stop waits for it, see shutDown. */
  private starting: Promise<void> | undefined;
  private stopMode: ShutdownMode | undefined;
  /** One line per bad message, and a count for the repeats (RepeatLimiter). */
  private readonly badLines: RepeatLimiter;
  /** When the task consumer's channel was lost lately (monotonic ms), to stop re-consuming in a loop. */
  private readonly channelLosses: number[] = [];
  /** Resolves when the worker has stopped. */
  readonly done: Promise<{ mode: ShutdownMode }>;

  constructor(options: WorkerOptions) {
    super();
    this.options = options;
    this.app = options.app;
    this.registry = options.app.registry;
    this.hostname = options.hostname ?? defaultHostname();
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.badLines = new RepeatLimiter({ clock: this.clock });
    const accept = workerAccept(options);
    const concurrency = Math.max(1, options.concurrency ?? defaultConcurrency());
    this.startConcurrency = concurrency;
    this.multiplier = Math.max(0, options.prefetchMultiplier ?? 4);
    const broker = options.broker;
    this.transport =
      typeof broker === 'string' || !('openChannel' in broker)
        ? createTransport(broker, { reconnect: true, connectRetries: 0, connectionName: `camq worker ${this.hostname}` })
        : broker;
    this.revoked = new RevokedSet({ now: () => this.clock.now() });
    this.state = new StateDb({
      path: options.statedb,
      clock: this.clock,
      logger: this.logger,
      snapshot: () => ({ clock: this.appClock.value, revoked: this.revoked.toJSON() }),
    });
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
      counts: () => ({ active: this.lifecycle.activeCount, processed: this.lifecycle.processed }),
      freqSeconds: options.heartbeatInterval ?? 2,
    });
    for (const task of this.registry) {
      if (task.timeLimit === null && options.timeLimit) task.timeLimit = options.timeLimit;
      if (task.softTimeLimit === null && options.softTimeLimit) task.softTimeLimit = options.softTimeLimit;
    }
    this.pool = options.poolInstance ?? this.createPool();
    this.consumer = new TaskConsumer({
      queues: (options.queues && options.queues.length > 0 ? options.queues : [this.app.defaultQueue]).map((spec) => {
        const { name, type } = parseQueueSpec(spec);
        return taskQueue(name, name, 'direct', name, type ?? this.app.queueTypes.get(name));
      }),
      prefetch: concurrency * this.multiplier,
      onMessage: (msg, queue) => this.lifecycle.onTaskMessage(msg, queue),
      prepare: (queue) => this.prepareQueue(queue),
      reopen: () => this.reconsume(),
      onChannelClosed: (reason) => void this.onConsumerChannelClosed(reason),
      logger: this.logger,
      clock: this.clock,
    });
    this.publisher = new Publisher({
      connection: this.transport,
      onDropped: (message, error) => this.logger.error(`not sending ${describeMessage(message)}: ${error.message}`),
      onChannelError: (error) =>
        this.logger.error(`the broker closed the channel results and task messages go out on: ${error.message}; reopening it for the next message`),
    });
    this.results = new ResultSender({
      publisher: this.publisher,
      onRoom: () => this.lifecycle.pump(),
      serializer: options.resultSerializer ?? 'json',
      backend: options.resultBackend,
      onBackendError: (error) =>
        this.logger.error(`could not store a result in ${options.resultBackend?.masked ?? 'the result backend'}: ${error.message}`),
    });
    this.canvas = new CanvasSender({ results: this.results, prepare: async (queue) => void (await this.prepareQueue(queue)), logger: this.logger });
    this.replyPublisher = new Publisher({
      connection: this.transport,
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
    const delayAfter = options.etaDelayAfter;
    this.delayed = new DelayedDelivery({
      transport: this.transport,
      logger: this.logger,
      thresholdMs: delayAfter === null ? null : delayAfter === undefined ? DEFAULT_ETA_DELAY_AFTER_MS : Math.max(0, delayAfter * 1000),
    });
    this.lifecycle = new RequestLifecycle({
      delayed: this.delayed,
      hostname: this.hostname,
      defaultQueue: this.app.defaultQueue,
      registry: this.registry,
      revoked: this.revoked,
      events: this.events,
      pool: this.pool,
      consumer: this.consumer,
      results: this.results,
      canvas: this.canvas,
      clock: this.clock,
      logger: this.logger,
      badLines: this.badLines,
      concurrency,
      acksLate: options.acksLate ?? false,
      accept,
      revokedChanged: () => this.state.scheduleSave(),
      taskDone: (req, outcome) => this.safeEmit('task-done', req, outcome),
      taskDiscarded: (task, reason) => this.safeEmit('task-discarded', task, reason),
    });
    this.panel = new ControlPanel(this);
    this.mailbox = new Mailbox(this.panel, this);
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
    const state = await this.state.load();
    if (state) {
      this.revoked.load(state.revoked);
      this.appClock.adjust(state.clock);
    }
    await this.pool.start(this.lifecycle.concurrency);
    if (this.options.queueTypes) {
      const known = await this.options.queueTypes(this.consumer.queueNames()).catch((err: unknown) => {
        this.logger.debug(`queue types from the management API: ${(err as Error).message}`);
        return new Map<string, QueueType>();
      });
      for (const [name, type] of known) this.consumer.presetType(name, type);
    }
    this.transport.on('disconnected', (err: CamqError) => this.onDisconnected(err));
    this.transport.on('reconnecting', (info: ReconnectingInfo) => this.logger.warning(reconnectingLine(this.transport.masked, info)));
    this.transport.on('failed', (err: CamqError) => {
      this.logger.critical(`Unrecoverable error: ${err.message}`);
      void this.stop('cold');
    });
    try {
      await this.transport.connect();
      this.lastLoss = undefined;
      let first = true;
      await this.transport.addSetup(async () => {
        if (!(await this.setup())) return;
        this.safeEmit('ready', { isReconnect: !first });
        first = false;
      });
      this.app.useConnection(this.transport);
    } catch (err) {
      // A refused declare (a duplicate node name, a queue declared with other arguments) fails the first setup
      // with the connection open and the heart ticking: release both, or the process would never exit.
      this.heart.stop();
      await this.transport.close();
      await this.pool.stop();
      // When the broker closed the whole connection (a hard error such as 540), the call in flight only says its
      // channel ended: the loss carries the broker's reason.
      throw this.lastLoss ?? asCamqError(err);
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
    if (this.options.mingle) await mingle(this, this.options.mingle(this.transport));
    await this.mailbox.attach(await this.transport.openChannel());
    this.heart.start();
    if (this.stopMode) return false;
    await this.consumer.attach(await this.transport.openChannel());
    this.logger.info(`Connected to ${this.transport.masked}`);
    this.logger.info(`${this.hostname} ready.`);
    return true;
  }

  /**
   * Declare celeryev and send events on a new channel. The broker closes it for a publish it refuses (celeryev deleted
   * under the worker: 404) while the connection stays up; without a new one heartbeats would stop and monitors would
   * show a running worker as offline. Reopened (and celeryev declared again) with one line, repeats counted.
   */
  private async openEventChannel(): Promise<void> {
    const channel = await this.transport.openChannel();
    await channel.assertExchange(EVENT_EXCHANGE.name, EVENT_EXCHANGE.type, {
      durable: EVENT_EXCHANGE.durable,
      autoDelete: EVENT_EXCHANGE.autoDelete,
    });
    channel.on('error', (err: unknown) => {
      const error = asCamqError(err);
      if (!(error instanceof BrokerError && error.isChannelError) || this.stopMode || !this.transport.isOpen) return;
      this.badLines.log(`the broker closed the channel events go out on (${error.message}); reopening it`, (line) => this.logger.error(line));
      this.openEventChannel().catch((e: unknown) =>
        this.logger.error(`cannot reopen the event channel (${asCamqError(e).message}): no events are sent until the next reconnect`),
      );
    });
    this.events.attach(channel);
  }

  private onDisconnected(err: CamqError): void {
    this.lastLoss = err;
    // A queue whose type the declare did not reveal refused global QoS (540, which closes the connection): the
    // reconnect's setup consumes with per-consumer prefetch.
    const refusal = /queue '(.+?)' in vhost '.*?' does not support global qos/.exec(err.message);
    if (refusal) this.consumer.noteQueueType(refusal[1]!, 'quorum');
    // A connection that worked a moment ago: no "cannot connect", no advice about the URL (the next lines say
    // when the worker tries again).
    this.logger.error(`consumer: Connection to broker lost: ${this.transport.masked} (${connectionReason(err)})`);
    this.consumer.detach();
    this.delayed.reset();
    this.mailbox.detach();
    this.heart.stop();
    this.events.attach(undefined);
    this.publisher.reset();
    this.replyPublisher.reset();
    this.canvas.reset();
    this.lifecycle.dropUnstarted('connection');
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
    const timeout = consumerTimeoutOf(reason);
    if (timeout !== undefined) this.onConsumerTimeout(timeout);
    this.lifecycle.dropUnstarted('channel');
    if (this.channelLosses.length > 5) {
      this.logger.critical(`the task consumer's channel was closed ${this.channelLosses.length} times in a minute (last: ${reason}); stopping`);
      void this.stop('cold');
      return;
    }
    this.logger.error(`the task consumer's channel was closed (${reason}); consuming again on a new channel`);
    try {
      await this.consumer.attach(await this.transport.openChannel());
      this.logger.info(`consuming again from ${this.consumer.queueNames().join(', ')}`);
    } catch (err) {
      // A lost connection is handled by the reconnect (its setup consumes again); anything else stops the worker.
      if (!this.transport.isOpen || this.stopMode) return;
      this.logger.critical(`cannot consume again after the task consumer's channel closed: ${(err as Error).message}; stopping`);
      void this.stop('cold');
    }
  }

  /** Consume every queue again on a new channel (the QoS mode changed), dropping what the old channel delivered. */
  private async reconsume(): Promise<void> {
    this.lifecycle.dropUnstarted('channel');
    await this.consumer.attach(await this.transport.openChannel());
  }

  /**
   * RabbitMQ closed the task channel because a delivery stayed unacked past `consumer_timeout` (timeoutMs; 0 when its
   * text did not say). One line: which task (the oldest unacked one: the broker names none), and what to change.
   * From now on no ETA is held longer than half that timeout (the redelivered one goes to the delay queues), and a
   * running acks-late task's redelivery is acked here without running it again (RequestLifecycle.onConsumerTimeout).
   */
  private onConsumerTimeout(timeoutMs: number): void {
    const req = this.lifecycle.onConsumerTimeout();
    if (timeoutMs > 0) this.delayed.lowerThreshold(timeoutMs);
    const limit = timeoutMs > 0 ? `${timeoutMs / 1000} s` : 'its limit';
    const held = req
      ? `${req.name}[${req.id}] (unacked for ${Math.round((this.clock.monotonic() - req.receivedAt) / 1000)} s, ${req.state})`
      : 'a task';
    const what =
      req?.state === 'active'
        ? `a task that runs longer than that with acks-late needs a higher consumer_timeout (rabbitmq.conf) or acks_late off`
        : this.delayed.threshold === null
          ? `ETAs are held in memory (--eta-delay-after off): turn the delay queues on or raise consumer_timeout`
          : `ETAs further away than ${Math.round(this.delayed.threshold / 1000)} s now wait in the broker's delay queues; set --eta-delay-after below that, or raise consumer_timeout`;
    this.logger.error(`consumer_timeout: the broker closed the task channel because ${held} stayed unacked longer than ${limit}: ${what}`);
  }

  /** Declare a task queue (and its exchange and binding) on a channel of its own; see prepareTaskQueue. */
  private prepareQueue(queue: TaskQueue): Promise<QueueType | undefined> {
    return prepareTaskQueue(
      () => this.transport.openChannel(),
      queue,
      (warning) => this.logger.warning(warning),
    );
  }

  // ---- remote control (ControlTarget) -------------------------------------------------------------------

  resetRateLimit(taskName: string): void {
    this.lifecycle.resetRateLimit(taskName);
  }

  terminate(ids: readonly string[], signal: NodeJS.Signals | number): string[] {
    return this.lifecycle.terminate(ids, signal);
  }

  sendReply(reply: OutgoingMessage, method: string): Promise<boolean> | boolean {
    this.replyMethods.set(reply, method);
    return this.replyPublisher.publish(reply);
  }

  revokedChanged(): void {
    this.state.scheduleSave();
  }

  heartbeatNow(): void {
    this.heart.beatOnRequest();
  }

  stats(): StatsReply {
    return statsReply(this.snapshot());
  }

  scheduled(): ScheduledEntry[] {
    return this.lifecycle.scheduled();
  }

  reserved(): Request[] {
    return this.lifecycle.reserved();
  }

  active(): Request[] {
    return this.lifecycle.active();
  }

  activeQueues(): ActiveQueueInfo[] {
    return this.consumer.activeQueues();
  }

  async addConsumer(queue: string, exchange: string, exchangeType: string, routingKey: string): Promise<void> {
    if (exchange !== '' && !STANDARD_EXCHANGE_TYPES.includes(exchangeType)) {
      // RabbitMQ answers a declare of an unknown type by closing the whole connection (503): every reconnect would
      // declare it again. A plugin's type is used only for an exchange that exists (checked on a throwaway channel).
      const channel = await this.transport.openChannel();
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
      await this.consumer.addQueue(taskQueue(queue, exchange, exchangeType, routingKey, this.app.queueTypes.get(queue)));
    } catch (err) {
      const error = asCamqError(err);
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
    const before = this.lifecycle.concurrency;
    const max = this.maxConcurrency;
    const next = Math.min(max, Math.max(1, before + delta));
    const change = next - before;
    if (change !== 0) {
      this.lifecycle.concurrency = next;
      this.pool.resize(next);
      this.consumer.changeBase(change * this.multiplier);
      this.lifecycle.pump();
    }
    return { before, after: next, max };
  }

  shutdown(reason: string): void {
    void reason;
    this.clock.setImmediate(() => void this.stop('warm'));
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
      connection: this.transport,
      totals: this.lifecycle.totals,
      clock: this.appClock.value,
      uptimeSeconds: Math.round((this.clock.monotonic() - this.startedAt) / 1000),
      concurrency: this.lifecycle.concurrency,
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
      acceptContent: this.options.acceptContent ?? ['json'],
      resultSerializer: this.options.resultSerializer ?? 'json',
    };
  }

  // ---- shutdown (shutdown.ts) --------------------------------------------------------------------------------------

  /**
   * Warm: stop consuming, give unstarted messages back, wait for running tasks (up to the shutdown timeout), send
   * worker-offline, close. Cold: the same without waiting (see shutDown). A cold stop during a warm one turns it cold.
   */
  stop(mode: ShutdownMode = 'warm'): Promise<void> {
    if (this.stopping) {
      if (mode === 'cold' && this.stopMode === 'warm') {
        this.stopMode = 'cold';
        this.logger.warning(`worker: Warm shutdown turned cold: stopping ${this.lifecycle.activeCount} running task(s) now`);
        this.lifecycle.wakeIdle();
      }
      return this.stopping;
    }
    this.stopMode = mode;
    this.lifecycle.stopping = true;
    this.stopping = shutDown({
      lifecycle: this.lifecycle,
      consumer: this.consumer,
      events: this.events,
      badLines: this.badLines,
      heart: this.heart,
      mailbox: this.mailbox,
      state: this.state,
      app: this.app,
      transport: this.transport,
      pool: this.pool,
      clock: this.clock,
      logger: this.logger,
      timeoutMs: (this.options.shutdownTimeout ?? 60) * 1000,
      starting: this.starting,
      mode: () => this.stopMode!,
    }).then((ended) => {
      this.safeEmit('stopped', { mode: ended });
    });
    return this.stopping;
  }

  private createPool(): Pool {
    const kind = this.options.pool ?? 'async';
    if (kind === 'async') return new AsyncPool({ logger: this.logger, now: () => this.clock.now() });
    if (!this.options.modulePath) throw new UsageError(`--pool ${kind} needs the task module path (modulePath) so its children can load it`);
    return new RemotePool({ kind, modulePath: this.options.modulePath, logLevel: this.options.logLevel ?? this.logger.level, logger: this.logger });
  }
}

/**
 * The consumer_timeout (ms) in RabbitMQ's close text, "PRECONDITION_FAILED - delivery acknowledgement on channel 1
 * timed out. Timeout value used: 10000 ms. This timeout value can be configured, see consumers doc guide to learn
 * more"; 0 when it names none; undefined when the channel closed for another reason.
 */
export function consumerTimeoutOf(reason: string): number | undefined {
  if (!/delivery acknowledgement on channel \d+ timed out/.test(reason)) return undefined;
  const value = /Timeout value used: (\d+) ms/.exec(reason);
  return value ? Number(value[1]) : 0;
}

/** One line per reconnect attempt: why the last try failed (or the loss), which attempt is next and when. */
function reconnectingLine(masked: string, info: ReconnectingInfo): string {
  const next = `attempt ${info.attempt}, next in ${(info.delayMs / 1000).toFixed(1)} s`;
  // The loss itself was the line before (onDisconnected).
  if (info.attempt === 1) return `consumer: reconnecting to ${masked} (${next})`;
  return `consumer: still no connection to ${masked} (${info.reason}); reconnecting (${next})`;
}
