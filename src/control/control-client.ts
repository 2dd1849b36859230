import { randomUUID } from 'node:crypto';
import { controlActionName, isControlAction } from '../audit/action-catalog.js';
import { DEFAULT_ACTION_POLICY, type ActionPolicy } from '../audit/action-policy.js';
import { CamqError, ConnectionClosedError, UsageError } from '../errors/index.js';
import { buildControlRequest, decodeControlReply, matchesDestination, type ControlReply, type Matcher } from '../protocol/control-message.js';
import { LamportClock } from '../protocol/lamport-clock.js';
import { PIDBOX_EXCHANGE, PIDBOX_QUEUE_ARGUMENTS, REPLY_EXCHANGE, replyQueueName, type ExchangeSpec } from '../protocol/topology.js';
import type { OutgoingMessage } from '../protocol/amqp-message.js';
import {
  createTransport,
  publishMessage,
  type BrokerUrl,
  type Delivery,
  type PublishOutcome,
  type Transport,
  type TransportChannel,
} from '../transport/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import {
  addConsumerCommand,
  autoscaleCommand,
  cancelConsumerCommand,
  customCommand,
  plainCommand,
  poolGrowCommand,
  poolShrinkCommand,
  rateLimitCommand,
  revokeCommand,
  terminateCommand,
  timeLimitCommand,
  type AddConsumerOptions,
  type ControlCommand,
  type ReplyOf,
  type RevokeOptions,
} from './control-command.js';
import { inspectCommand } from './inspect-target.js';
import { ReplyCollector, type ControlResult, type NodeReply, type StopReason } from './reply-collector.js';

/** Seconds: Celery's default for `broadcast`, `inspect` and the `celery inspect|control -t` option. */
export const DEFAULT_CONTROL_TIMEOUT = 1.0;

/**
 * Milliseconds a broadcast keeps listening after every expected worker answered: room for a worker that is starting
 * (its mailbox bound, its consumer not there yet when the list was taken), whose copy of the request waits in it.
 */
export const DEFAULT_EXPECTED_GRACE_MS = 100;

/**
 * The workers a broadcast should hear from: a list, or a function the call runs while the request goes out (so an
 * HTTP look-up, such as src/queues/live-mailboxes.ts, costs no time of its own), or `RECEIVERS`: as many as the
 * transport says received the broadcast (on Redis, PUBLISH's reply counts the live mailboxes' subscriptions; see
 * docs/celeryctl.md, "On Redis"). A transport that does not say (AMQP), or a broadcast to a `pattern` (the count
 * includes workers the pattern leaves out), waits the whole timeout with `expectedError` saying why.
 */
export type ExpectedNodes = readonly string[] | (() => Promise<readonly string[]>) | typeof RECEIVERS;

/** CallOptions.expected: wait for as many replies as the transport says mailboxes received the request. */
export const RECEIVERS = 'receivers';

export interface ControlClientOptions {
  /** An open transport; the client opens its own channel on it (again after losing it, once the connection is back). */
  readonly connection: Transport;
  /** The reply routing key; the reply queue is `<oid>.reply.celery.pidbox`. @defaultValue a random UUID */
  readonly oid?: string;
  /** Seconds, for calls that give none. @defaultValue 1.0 */
  readonly timeout?: number;
  readonly clock?: Clock;
  /** Close `connection` too when the client is closed. @defaultValue false */
  readonly ownsConnection?: boolean;
  /**
   * Read-only mode and the audit trail for commands that change workers (src/audit/action-catalog.ts says which):
   * refused when read-only, recorded with their replies otherwise. @defaultValue allowed, not recorded
   */
  readonly actions?: ActionPolicy;
}

/** Who a request is for. Without any of these every worker runs it. */
export interface TargetOptions {
  /** Node names (`w1@host`); only these workers run the command. */
  readonly destination?: readonly string[] | undefined;
  /** A node-name pattern, used when `destination` is empty. */
  readonly pattern?: string | undefined;
  /** @defaultValue 'glob' when `pattern` is given */
  readonly matcher?: Matcher | undefined;
}

export interface CallOptions<T = unknown> extends TargetOptions {
  /**
   * How long to wait for replies, in seconds, counted from publishing the request: an overall deadline, not
   * Celery's inactivity timeout (which restarts after every reply). The call returns earlier once `limit` replies
   * came. @defaultValue the client's timeout (1.0)
   */
  readonly timeout?: number | undefined;
  /** Stop after this many replies. @defaultValue the number of destinations when `destination` is given, else none */
  readonly limit?: number | undefined;
  /**
   * The workers that should answer a broadcast (the live mailboxes). Once each of them answered, the call listens
   * `graceMs` more and returns (stoppedBy `expected`) instead of waiting out the timeout; whoever of them did not
   * answer in time is in the result's `missing`. With `pattern`, only the names it matches are waited for. Ignored
   * with `destination` (the call already stops once those answered). When the function rejects, or has not answered
   * by the deadline, the call waits the whole timeout and the result's `expectedError` says why.
   * @defaultValue none: wait the whole timeout
   */
  readonly expected?: ExpectedNodes | undefined;
  /** @defaultValue DEFAULT_EXPECTED_GRACE_MS (100) */
  readonly graceMs?: number | undefined;
  /** Called for each reply as it arrives (for streaming output); an exception it throws fails the call. */
  readonly onReply?: ((reply: NodeReply<T>) => void) | undefined;
}

interface PendingCall {
  offer(reply: ControlReply): void;
  fail(error: CamqError): void;
}

/**
 * A remote-control client over kombu's pidbox (docs/protocol.md, Remote control): it publishes requests to the
 * `celery.pidbox` fanout with its own `reply_to`, and collects the replies that carry the request's ticket from one
 * reply queue, declared once and reused for every call.
 *
 * The reply queue is exclusive and auto-delete, so it disappears with the client's connection: nothing piles up on
 * the broker (Celery's own non-exclusive reply queues linger for `x-expires`, and RabbitMQ 4.x refuses transient
 * non-exclusive queues; celery/celery#6575, #10287). Several calls may run at once; each gets only its replies.
 */
export class ControlClient {
  readonly oid: string;
  readonly replyQueue: string;
  private readonly connection: Transport;
  private readonly clock: Clock;
  private readonly defaultTimeout: number;
  private readonly ownsConnection: boolean;
  private readonly actions: ActionPolicy;
  /** The mailbox's Lamport clock: forwarded for each request, adjusted from reply headers (as kombu's Mailbox). */
  private readonly mailboxClock = new LamportClock();
  private readonly pending = new Map<string, PendingCall>();
  private channel: TransportChannel | undefined;
  private settingUp: Promise<TransportChannel> | undefined;
  private isClosed = false;
  /** A cast went out on the channel: close() must then see the channel's CloseOk before closing the connection. */
  private hasCast = false;

  constructor(options: ControlClientOptions) {
    this.connection = options.connection;
    this.oid = options.oid ?? randomUUID();
    this.replyQueue = replyQueueName(this.oid);
    this.clock = options.clock ?? systemClock;
    this.defaultTimeout = requireTimeout(options.timeout ?? DEFAULT_CONTROL_TIMEOUT);
    this.ownsConnection = options.ownsConnection ?? false;
    this.actions = options.actions ?? DEFAULT_ACTION_POLICY;
  }

  /** Connect to `url` and return a client that owns the connection (closing the client closes it). */
  static async connect(
    url: string | BrokerUrl,
    options: { timeout?: number; connectionName?: string; connectTimeoutMs?: number; actions?: ActionPolicy } = {},
  ): Promise<ControlClient> {
    const connection = createTransport(url, {
      connectionName: options.connectionName ?? 'camq control',
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
    });
    await connection.connect();
    return new ControlClient({
      connection,
      ownsConnection: true,
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
      ...(options.actions === undefined ? {} : { actions: options.actions }),
    });
  }

  /**
   * Declare the exchanges and the reply queue and start consuming replies. Calls do this on first use (and again
   * after the channel was lost); call it yourself to pay the cost up front.
   */
  async open(): Promise<void> {
    await this.requireChannel();
  }

  /**
   * Send `command` and collect the replies (see CallOptions for when collection stops). A command that changes
   * workers is refused in read-only mode and recorded with its replies (ControlClientOptions.actions).
   */
  async broadcast<M extends string>(command: ControlCommand<M>, options: CallOptions<ReplyOf<M>> = {}): Promise<ControlResult<ReplyOf<M>>> {
    if (!isControlAction(command.method)) return this.collect(command, options);
    return this.actions.run(
      { what: controlActionName(command.method), target: actionTarget(command, options), args: command.arguments },
      () => this.collect(command, options),
      (result) => ({ ok: true, replies: Object.fromEntries(result.replies), result: { missing: result.missing } }),
    );
  }

  private async collect<M extends string>(command: ControlCommand<M>, options: CallOptions<ReplyOf<M>>): Promise<ControlResult<ReplyOf<M>>> {
    const timeout = requireTimeout(options.timeout ?? this.defaultTimeout);
    if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1)) {
      throw new UsageError(`invalid limit '${options.limit}': expected a whole number >= 1`);
    }
    const channel = await this.requireChannel();
    const target = targetFields(options);
    const message = buildControlRequest({
      method: command.method,
      arguments: { ...command.arguments },
      ...target,
      replyRoutingKey: this.oid,
      clock: this.mailboxClock.forward(),
      timeoutSeconds: timeout,
      now: this.clock.now(),
    });
    const ticket = message.ticket!;
    const collector = new ReplyCollector<ReplyOf<M>>({ method: command.method, ticket, limit: options.limit, destination: target.destination });
    const graceMs = options.graceMs ?? DEFAULT_EXPECTED_GRACE_MS;
    const wantsExpected = options.expected !== undefined && target.destination === null;
    const started = this.clock.monotonic();

    return new Promise<ControlResult<ReplyOf<M>>>((resolve, reject) => {
      let done = false;
      let grace: TimerHandle | undefined;
      const stop = () => {
        done = true;
        timer.cancel();
        grace?.cancel();
        this.pending.delete(ticket);
      };
      const finish = (stoppedBy: StopReason) => {
        if (done) return;
        stop();
        resolve(collector.result(stoppedBy, this.clock.monotonic() - started));
      };
      const fail = (error: CamqError) => {
        if (done) return;
        stop();
        reject(error);
      };
      /** Every expected worker answered: a short grace for one that is starting, then return. */
      const checkExpected = () => {
        if (!done && grace === undefined && collector.hasAllExpected) grace = this.clock.setTimeout(() => finish('expected'), graceMs);
      };
      const timer = this.clock.setTimeout(() => {
        if (wantsExpected) {
          collector.expectFailed(new CamqError('control.expected-late', 'the list of live workers did not come before the timeout'));
        }
        finish(collector.hasAllExpected ? 'expected' : 'timeout');
      }, timeout * 1000);
      this.pending.set(ticket, {
        offer: (reply) => {
          const accepted = collector.offer(reply, this.clock.monotonic() - started);
          if (!accepted) return;
          try {
            options.onReply?.(accepted);
          } catch (err) {
            fail(err instanceof CamqError ? err : new CamqError('control.callback-failed', String((err as Error)?.message ?? err), { cause: err }));
            return;
          }
          if (collector.isComplete) finish('limit');
          else checkExpected();
        },
        fail,
      });
      const given = options.expected;
      const counted = given === RECEIVERS && wantsExpected;
      const onConfirm = (err: CamqError | null, outcome?: PublishOutcome) => {
        if (done || err !== null) return;
        if (target.pattern !== null) {
          collector.expectFailed(
            new CamqError('control.expected-failed', 'with a pattern, the count of mailboxes reached includes workers it leaves out'),
          );
        } else if (outcome?.receivers === undefined) {
          collector.expectFailed(
            new CamqError('control.expected-failed', `${this.connection.masked} does not say how many workers received a broadcast`),
          );
        } else {
          collector.expectCount(outcome.receivers);
          checkExpected();
        }
      };
      Promise.resolve(publishMessage(channel, message, counted ? onConfirm : undefined)).catch(fail);
      if (given !== undefined && given !== RECEIVERS && wantsExpected) {
        (typeof given === 'function' ? Promise.resolve().then(given) : Promise.resolve(given)).then(
          (nodes) => {
            if (done) return;
            collector.expect(nodes.filter((node) => matchesDestination(target, node)));
            checkExpected();
          },
          (err: unknown) => {
            if (done) return;
            collector.expectFailed(
              err instanceof CamqError ? err : new CamqError('control.expected-failed', String((err as Error)?.message ?? err), { cause: err }),
            );
          },
        );
      }
    });
  }

  /**
   * Send `command` without asking for replies (kombu's `cast`). Resolves once it is written to the connection;
   * `close()` the client (not only its connection) to be sure the broker has it before the process ends.
   */
  async cast(command: ControlCommand, options: TargetOptions = {}): Promise<void> {
    if (!isControlAction(command.method)) return this.castNow(command, options);
    const action = { what: controlActionName(command.method), target: actionTarget(command, options), args: command.arguments };
    return this.actions.run(action, () => this.castNow(command, options));
  }

  private async castNow(command: ControlCommand, options: TargetOptions): Promise<void> {
    const channel = await this.requireChannel();
    const message = buildControlRequest({
      method: command.method,
      arguments: { ...command.arguments },
      ...targetFields(options),
      clock: this.mailboxClock.forward(),
      now: this.clock.now(),
    });
    this.hasCast = true;
    await this.publish(channel, message);
  }

  // Typed helpers for the common commands (docs/protocol.md, Remote control). Each validates its input before anything
  // is sent and rejects with a UsageError when it is wrong.

  async ping(options?: CallOptions<ReplyOf<'ping'>>) {
    return this.broadcast(plainCommand('ping'), options);
  }

  async rateLimit(taskName: string, rate: string | number, options?: CallOptions<ReplyOf<'rate_limit'>>) {
    return this.broadcast(rateLimitCommand(taskName, rate), options);
  }

  async revoke(taskIds: string | readonly string[], options: RevokeOptions & CallOptions<ReplyOf<'revoke'>> = {}) {
    return this.broadcast(revokeCommand(taskIds, options), options);
  }

  async terminate(signal: string | number, taskIds: string | readonly string[], options?: CallOptions<ReplyOf<'terminate'>>) {
    return this.broadcast(terminateCommand(signal, taskIds), options);
  }

  async timeLimit(taskName: string, soft: number | null, hard: number | null = null, options?: CallOptions<ReplyOf<'time_limit'>>) {
    return this.broadcast(timeLimitCommand(taskName, soft, hard), options);
  }

  async enableEvents(options?: CallOptions<ReplyOf<'enable_events'>>) {
    return this.broadcast(plainCommand('enable_events'), options);
  }

  async disableEvents(options?: CallOptions<ReplyOf<'disable_events'>>) {
    return this.broadcast(plainCommand('disable_events'), options);
  }

  async heartbeat(options?: CallOptions<ReplyOf<'heartbeat'>>) {
    return this.broadcast(plainCommand('heartbeat'), options);
  }

  async addConsumer(queue: string, consumer: AddConsumerOptions = {}, options?: CallOptions<ReplyOf<'add_consumer'>>) {
    return this.broadcast(addConsumerCommand(queue, consumer), options);
  }

  async cancelConsumer(queue: string, options?: CallOptions<ReplyOf<'cancel_consumer'>>) {
    return this.broadcast(cancelConsumerCommand(queue), options);
  }

  async poolGrow(n = 1, options?: CallOptions<ReplyOf<'pool_grow'>>) {
    return this.broadcast(poolGrowCommand(n), options);
  }

  async poolShrink(n = 1, options?: CallOptions<ReplyOf<'pool_shrink'>>) {
    return this.broadcast(poolShrinkCommand(n), options);
  }

  async autoscale(max: number, min: number, options?: CallOptions<ReplyOf<'autoscale'>>) {
    return this.broadcast(autoscaleCommand(max, min), options);
  }

  /** Ask workers for a warm shutdown. They never reply, so this is a cast. */
  async shutdown(options?: TargetOptions): Promise<void> {
    return this.cast(plainCommand('shutdown'), options);
  }

  /** `inspect <what>` by camq's name or a Celery alias (`reserved`, `dump-schedule`, `active-queues`, ...). */
  async inspect(what: string, args: readonly string[] = [], options?: CallOptions) {
    return this.broadcast(inspectCommand(what, args), options);
  }

  /** Any command by its wire name with keyword arguments. */
  async call(method: string, args: Readonly<Record<string, unknown>> = {}, options?: CallOptions) {
    return this.broadcast(customCommand(method, args), options);
  }

  /** Stop: pending calls reject with ConnectionClosedError; the reply queue goes away with the channel. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.failPending(new ConnectionClosedError('the control client was closed'));
    const channel = this.channel;
    this.channel = undefined;
    // Closing the connection closes the channel and deletes the exclusive reply queue with it, one round trip
    // fewer. But after a cast, close the channel first and wait for the broker's CloseOk: a transport may
    // multiplex channels (amqplib does), so a Connection.Close can overtake a publish still queued on this channel, and the cast would be
    // lost. A broadcast's request needs no such care: its call has ended, so nobody waits for its replies any more.
    if (!this.ownsConnection || this.hasCast) await channel?.close().catch(() => {});
    if (this.ownsConnection) await this.connection.close();
  }

  private async setup(): Promise<TransportChannel> {
    const connection = this.connection;
    if (!connection.isOpen) throw new ConnectionClosedError(`not connected to ${connection.masked}`);
    const channel = await connection.openChannel();
    let lastError: CamqError | undefined;
    channel.on('error', (err) => (lastError = err));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      const error = lastError === undefined ? new ConnectionClosedError(`the control channel to ${connection.masked} was closed`) : lastError;
      this.failPending(error);
    });
    try {
      // Sent without waiting for each answer (the broker runs them in order); if one fails, the broker closes the
      // channel and the 'close' handler above fails the calls waiting on it with the broker's reason.
      declareExchange(channel, PIDBOX_EXCHANGE);
      declareExchange(channel, REPLY_EXCHANGE);
      channel.declareQueueNowait(this.replyQueue, { durable: false, exclusive: true, autoDelete: true, arguments: PIDBOX_QUEUE_ARGUMENTS });
      channel.bindQueueNowait(this.replyQueue, REPLY_EXCHANGE.name, this.oid);
      channel.consumeNowait(this.replyQueue, `camq-${this.oid}`, (msg) => this.onMessage(channel, msg), { noAck: true });
    } catch (err) {
      await channel.close().catch(() => {});
      throw err;
    }
    if (this.isClosed) {
      // close() ran while we were setting up: do not leave the channel (and its queue) behind.
      await channel.close().catch(() => {});
      throw new ConnectionClosedError('the control client is closed');
    }
    this.channel = channel;
    return channel;
  }

  private onMessage(channel: TransportChannel, msg: Delivery | null): void {
    if (msg === null) {
      // The broker cancelled our consumer (the queue was deleted): the next call starts over on a fresh channel.
      void channel.close().catch(() => {});
      return;
    }
    const reply = decodeControlReply(msg);
    if (!reply) return;
    this.mailboxClock.adjust(reply.clock);
    if (reply.ticket !== undefined) {
      this.pending.get(reply.ticket)?.offer(reply);
      return;
    }
    for (const call of [...this.pending.values()]) call.offer(reply);
  }

  /** The channel with the reply consumer, set up on first use and again after it was lost. */
  private async requireChannel(): Promise<TransportChannel> {
    if (this.isClosed) throw new ConnectionClosedError('the control client is closed');
    if (this.channel) return this.channel;
    this.settingUp ??= this.setup().finally(() => (this.settingUp = undefined));
    return this.settingUp;
  }

  private async publish(channel: TransportChannel, message: OutgoingMessage): Promise<void> {
    await publishMessage(channel, message);
  }

  private failPending(error: CamqError): void {
    for (const call of [...this.pending.values()]) call.fail(error);
  }
}

/**
 * Declare an exchange exactly as Celery does (docs/protocol.md, Topology), or RabbitMQ answers 406 PRECONDITION_FAILED.
 */
function declareExchange(channel: TransportChannel, spec: ExchangeSpec): void {
  channel.declareExchangeNowait(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
}

function targetFields(options: TargetOptions) {
  const destination = options.destination && options.destination.length > 0 ? [...options.destination] : null;
  const pattern = destination === null ? (options.pattern ?? null) : null;
  return { destination, pattern, matcher: pattern === null ? null : (options.matcher ?? 'glob') };
}

function requireTimeout(seconds: number): number {
  if (!(Number.isFinite(seconds) && seconds > 0)) throw new UsageError(`invalid timeout '${seconds}': expected seconds as a number > 0 (e.g. 1.5)`);
  return seconds;
}

/** What a control action acts on, for its record: the task ids or task name it names, else the workers it targets. */
function actionTarget(command: ControlCommand, options: TargetOptions): string {
  const args = command.arguments;
  const ids = args['task_id'];
  if (typeof ids === 'string') return ids;
  if (Array.isArray(ids)) return ids.join(',');
  for (const key of ['task_name', 'queue']) if (typeof args[key] === 'string') return args[key];
  if (options.destination !== undefined && options.destination.length > 0) return options.destination.join(',');
  return options.pattern ?? '*';
}
