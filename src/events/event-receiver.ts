import { randomUUID } from 'node:crypto';
import { BrokerError, connectionReason, type CamqError } from '../errors/index.js';
import { buildControlRequest } from '../protocol/control-message.js';
import type { EventEnvelope } from '../protocol/event-message.js';
import { LamportClock } from '../protocol/lamport-clock.js';
import { EVENT_EXCHANGE, EVENT_QUEUE_ARGUMENTS, PIDBOX_EXCHANGE } from '../protocol/topology.js';
import { publishMessage, type Delivery, type ReconnectingInfo, type Transport, type TransportChannel } from '../transport/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { SafeEmitter } from '../util/typed-emitter.js';
import { decodeDelivery } from './decode-delivery.js';
import { initialConnectionStatus, type ConnectionStatus } from './connection-status.js';

export interface EventReceiverOptions {
  /** The broker connection; created with `reconnect: true` (createTransport) for a monitor that survives broker restarts. */
  readonly connection: Transport;
  readonly clock?: Clock;
  /** Binding key on `celeryev`. @defaultValue '#' */
  readonly routingKey?: string;
  /** @defaultValue 'celeryev' (Celery's event_queue_prefix) */
  readonly queuePrefix?: string;
  /** `x-message-ttl`: events older than this are dropped by the broker. @defaultValue 5000 (event_queue_ttl) */
  readonly messageTtlMs?: number;
  /** `x-expires`: the queue goes away this long after its last consumer. @defaultValue 60000 (event_queue_expires) */
  readonly expiresMs?: number;
  /** Send the cast `heartbeat` control command on consume-ready, as Celery's receiver does. @defaultValue true */
  readonly wakeupWorkers?: boolean;
}

export interface EventReceiverEvents {
  /** The events of one delivery (one, or a task.multi batch), stamped with `local_received`. */
  events: [EventEnvelope[]];
  /** A delivery that could not be read; nothing else happens to it (events are no-ack). */
  'decode-error': [string];
  /** The connection status changed. */
  status: [ConnectionStatus];
}

/**
 * Receives Celery's monitoring events (docs/protocol.md, Events): a queue of its own (`celeryev.<uuid>`, exclusive,
 * auto-delete, with a message TTL and `x-expires`, so a stalled or killed monitor never leaves a growing queue),
 * bound to `celeryev` with `#`, consumed without acks. Bodies may be one event or a `task.multi` array; each element
 * is dispatched on its own `type`. Every event gets `local_received` (float Unix seconds), the time liveness is
 * judged by. On every (re)connect it declares a fresh queue and asks the workers for a heartbeat.
 */
export class EventReceiver extends SafeEmitter<EventReceiverEvents> {
  private readonly connection: Transport;
  private readonly clock: Clock;
  private readonly options: EventReceiverOptions;
  private readonly lamport = new LamportClock();
  private channel: TransportChannel | undefined;
  private queueName: string | undefined;
  private current: ConnectionStatus;
  private isStarted = false;
  private isStopped = false;
  private readonly setup = (connection: Transport) => this.declareAndConsume(connection);

  constructor(options: EventReceiverOptions) {
    super();
    this.options = options;
    this.connection = options.connection;
    this.clock = options.clock ?? systemClock;
    this.current = initialConnectionStatus(this.connection.masked);
  }

  get status(): ConnectionStatus {
    return this.current;
  }

  /** The queue currently consumed, once declared. */
  get queue(): string | undefined {
    return this.queueName;
  }

  /**
   * Start receiving: declare and consume now if the connection is open, and again after every reconnect. Call
   * `connection.connect()` before or after; the status follows the connection either way.
   */
  async start(): Promise<void> {
    if (this.isStarted) return;
    this.isStarted = true;
    this.connection.on('connected', this.onConnected);
    this.connection.on('disconnected', this.onDisconnected);
    this.connection.on('reconnecting', this.onReconnecting);
    this.connection.on('failed', this.onFailed);
    await this.connection.addSetup(this.setup);
    if (this.connection.isOpen) this.update({ phase: 'connected' });
  }

  /** Stop consuming and delete the queue (it would go by itself as auto-delete; this makes it immediate). */
  async stop(): Promise<void> {
    if (this.isStopped) return;
    this.isStopped = true;
    this.connection.removeSetup(this.setup);
    this.connection.off('connected', this.onConnected);
    this.connection.off('disconnected', this.onDisconnected);
    this.connection.off('reconnecting', this.onReconnecting);
    this.connection.off('failed', this.onFailed);
    const channel = this.channel;
    const queue = this.queueName;
    this.channel = undefined;
    if (channel) {
      try {
        if (queue) await channel.deleteQueue(queue);
        await channel.close();
      } catch {
        // The connection is already gone; the exclusive queue went with it.
      }
    }
    this.update({ phase: 'closed' });
  }

  private async declareAndConsume(connection: Transport): Promise<void> {
    const channel = await connection.openChannel();
    const queue = `${this.options.queuePrefix ?? 'celeryev'}.${randomUUID()}`;
    await channel.assertExchange(EVENT_EXCHANGE.name, EVENT_EXCHANGE.type, {
      durable: EVENT_EXCHANGE.durable,
      autoDelete: EVENT_EXCHANGE.autoDelete,
    });
    await channel.assertQueue(queue, {
      exclusive: true,
      autoDelete: true,
      durable: false,
      arguments: {
        'x-message-ttl': this.options.messageTtlMs ?? EVENT_QUEUE_ARGUMENTS['x-message-ttl'],
        'x-expires': this.options.expiresMs ?? EVENT_QUEUE_ARGUMENTS['x-expires'],
      },
    });
    await channel.bindQueue(queue, EVENT_EXCHANGE.name, this.options.routingKey ?? '#');
    await channel.consume(queue, (msg) => this.onMessage(msg), { noAck: true });
    if (this.isStopped) {
      // stop() ran while this (re-)declare was under way: leave nothing behind.
      await channel.deleteQueue(queue).catch(() => {});
      await channel.close().catch(() => {});
      return;
    }
    this.watchForChannelClose(channel);
    this.channel = channel;
    this.queueName = queue;
    this.update({ queue });
    if (this.options.wakeupWorkers ?? true) await this.wakeupWorkers(connection);
  }

  /**
   * Celery's `wakeup_workers`: a cast `heartbeat` broadcast (no reply_to), so every worker sends a heartbeat now
   * instead of within its next interval. On a channel of its own, so a publish failure cannot stop the consumer.
   */
  private async wakeupWorkers(connection: Transport): Promise<void> {
    const channel = await connection.openChannel();
    try {
      await channel.assertExchange(PIDBOX_EXCHANGE.name, PIDBOX_EXCHANGE.type, {
        durable: PIDBOX_EXCHANGE.durable,
        autoDelete: PIDBOX_EXCHANGE.autoDelete,
      });
      await publishMessage(channel, buildControlRequest({ method: 'heartbeat', timeoutSeconds: 1, now: this.clock.now() }));
      await channel.close();
    } catch {
      // Best effort: workers announce themselves within their heartbeat interval anyway.
    }
  }

  /**
   * The broker closed the consumer's channel while the connection stays up (a channel error: a policy, an operator,
   * a resource limit): nothing would ever arrive on it again, so declare and consume anew. A connection loss closes
   * the channel too, but then the reconnect's setup declares a fresh queue; only a channel error (which comes as
   * `error` before `close`) is acted on here.
   */
  private watchForChannelClose(channel: TransportChannel): void {
    let channelError = false;
    channel.on('error', (err) => {
      channelError = err instanceof BrokerError && err.isChannelError;
    });
    channel.on('close', () => {
      if (!channelError || this.channel !== channel) return;
      this.channel = undefined;
      this.redeclare();
    });
  }

  private redeclare(): void {
    if (this.isStopped || !this.connection.isOpen) return;
    this.declareAndConsume(this.connection).catch((err: unknown) =>
      this.safeEmit('decode-error', `could not re-declare the event queue: ${String(err)}`),
    );
  }

  private onMessage(msg: Delivery | null): void {
    if (msg === null) {
      // The broker cancelled the consumer (the queue was deleted under us): declare a new one.
      this.redeclare();
      return;
    }
    const decoded = decodeDelivery(msg, this.clock.now() / 1000, this.lamport);
    if (!decoded.ok) this.safeEmit('decode-error', decoded.error);
    else if (decoded.events.length > 0) this.safeEmit('events', decoded.events);
  }

  private readonly onConnected = ({ isReconnect }: { isReconnect: boolean }) =>
    this.update({
      phase: 'connected',
      // The node connected to: with a URL list, the one failover reached.
      broker: this.connection.masked,
      error: undefined,
      reason: undefined,
      attempt: undefined,
      retryInMs: undefined,
      reconnects: this.current.reconnects + (isReconnect ? 1 : 0),
    });
  private readonly onDisconnected = (error: CamqError) =>
    this.update({ phase: 'reconnecting', error: error.message, reason: connectionReason(error) });
  private readonly onReconnecting = ({ error, reason, attempt, delayMs }: ReconnectingInfo) =>
    this.update({ phase: 'reconnecting', error: error.message, reason, attempt, retryInMs: delayMs });
  private readonly onFailed = (error: CamqError) =>
    this.update({ phase: 'failed', error: error.message, reason: connectionReason(error), attempt: undefined, retryInMs: undefined });

  private update(change: Partial<ConnectionStatus>): void {
    this.current = { ...this.current, ...change };
    this.safeEmit('status', this.current);
  }
}
