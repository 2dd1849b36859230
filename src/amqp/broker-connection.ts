import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { BrokerConnectionError, CamqError, ConnectionClosedError, connectionReason } from '../errors/index.js';
import { backoffDelay, type BackoffOptions } from '../util/backoff.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { SafeEmitter } from '../util/typed-emitter.js';
import { nodesOf, parseBrokerUrl, type BrokerUrl } from '../transport/broker-url.js';
import type { ConnectedInfo, ReconnectingInfo, Transport, TransportEvents } from '../transport/transport.js';
import type { TransportChannel } from '../transport/transport-channel.js';
import { AmqpChannel } from './amqp-channel.js';
import { translateAmqpError } from './amqp-error.js';
import { guardEncoding } from './encode-guard.js';
import { guardFrameDecoding } from './frame-guard.js';

export type { ConnectedInfo, ReconnectingInfo };
/** The events of a BrokerConnection: those of every Transport. */
export type BrokerConnectionEvents = TransportEvents;

export interface BrokerConnectionOptions {
  /**
   * A broker URL (kombu syntax) or an already parsed one. A URL list (`amqp://h1//;amqp://h2//`) connects to the first
   * node that answers and, when that node goes away, to the next one its `failover` strategy picks.
   */
  readonly url: string | BrokerUrl;
  /** Give up on one attempt (TCP connect plus AMQP handshake) after this long. @defaultValue 4000 (kombu's connect_timeout) */
  readonly connectTimeoutMs?: number;
  /** AMQP heartbeat in seconds; 0 turns it off. The URL's `heartbeat` query wins. @defaultValue 60 */
  readonly heartbeatSeconds?: number;
  /** Extra attempts for the first connection, with backoff. @defaultValue 0 */
  readonly connectRetries?: number;
  /** After losing an established connection, reconnect with backoff and run the setup hooks again. @defaultValue false */
  readonly reconnect?: boolean;
  /** Reconnect attempts after a loss before giving up. @defaultValue Infinity */
  readonly maxReconnectAttempts?: number;
  readonly backoff?: BackoffOptions;
  /** Shown as `connection_name` by `rabbitmqctl list_connections`. */
  readonly connectionName?: string;
  readonly clock?: Clock;
}

/** Runs after every successful (re)connect, before `connected` is emitted. */
export type SetupHook = (connection: BrokerConnection) => Promise<void> | void;

/**
 * One AMQP connection to a broker, with connect timeout, retry with backoff, reconnect after loss, and setup hooks
 * that engines use to re-create their channels and consumers on the new connection.
 *
 * This class and `amqp-error.ts` are the only code that touches amqplib's connection API.
 *
 * Failover (a URL list, as kombu writes one for a cluster): each attempt walks the nodes once, starting after the node
 * last connected to (`round-robin`) or in a fresh random order (`shuffle`), the lost node last; the first that answers
 * wins and becomes `node` (what `masked` names, so every line says which node it is on). Only when every node failed
 * does the attempt count as failed and back off. A refused login or an untrusted certificate ends the walk at once:
 * on a cluster every node would say the same.
 *
 * Why not amqplib 2.3's opt-in `recovery` (lib/recovery.js), which runs the same loop: backoff with jitter, a
 * `setup(model)` after every (re)connect whose failure schedules another attempt, `reconnect-scheduled` events? Read
 * against this class, it would do the job but for three things camq relies on: (1) its timers are the global
 * setTimeout and Math.random, where this class takes the injected Clock, so the retry schedule is tested without
 * waiting (broker-connection.int.test.ts, on a ManualClock); (2) while it reconnects, its handle queues channel
 * operations until a connection is back, where camq's engines are told at once (`disconnected`) and decide
 * themselves (the worker drops unstarted tasks, the shell says the connection was lost); (3) its errors are raw
 * amqplib errors, where the engines get CamqErrors with a short reason for the one line a user reads
 * (`connection refused (ECONNREFUSED)`, the TLS advice). Moving to it is possible once (1) and (2) have answers; the
 * loop here is short.
 */
export class BrokerConnection extends SafeEmitter<BrokerConnectionEvents> implements Transport {
  /** The URL (list) as given: the first node, with the others in `url.alternates`. */
  readonly url: BrokerUrl;
  /** Every node of the list, the first first. */
  readonly nodes: readonly BrokerUrl[];
  /** Index in `nodes` of the node connected to (or last connected to, or tried). */
  private current = 0;
  private readonly options: BrokerConnectionOptions;
  private readonly clock: Clock;
  private model: ChannelModel | undefined;
  private readonly setupHooks: SetupHook[] = [];
  private isClosing = false;
  private reconnectTimer: TimerHandle | undefined;
  private reconnecting: Promise<void> | undefined;
  /** Why the connection was last lost (what a setup cut short by the loss reports). */
  private lastLoss: CamqError | undefined;

  constructor(options: BrokerConnectionOptions) {
    super();
    this.options = options;
    this.url = typeof options.url === 'string' ? parseBrokerUrl(options.url) : options.url;
    if (this.url.protocol === 'embedded') {
      throw new CamqError(
        'broker.embedded-unresolved',
        'the embedded broker must be started before connecting; resolve `embedded` to its amqp:// URL first',
      );
    }
    this.nodes = nodesOf(this.url);
    this.clock = options.clock ?? systemClock;
  }

  /** The node connected to (or last connected to): the URL itself unless it is a list. */
  get node(): BrokerUrl {
    return this.nodes[this.current]!;
  }

  /** The masked URL of the node connected to (or last tried), for messages. */
  get masked(): string {
    return this.node.masked;
  }

  get isOpen(): boolean {
    return this.model !== undefined;
  }

  /** Connect, retrying `connectRetries` times with backoff. Rejects with a BrokerConnectionError (exit code 2). */
  async connect(): Promise<this> {
    if (this.model) return this;
    this.isClosing = false;
    const retries = this.options.connectRetries ?? 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.open(attempt, false);
        return this;
      } catch (err) {
        const error = translateAmqpError(err, this.node);
        if (attempt > retries || this.isClosing || isFatal(error)) throw error;
        const delayMs = backoffDelay(attempt, this.options.backoff);
        this.safeEmit('reconnecting', { attempt, delayMs, error, reason: connectionReason(error), wasConnected: false });
        await this.sleep(delayMs);
        if (this.isClosing) throw new ConnectionClosedError();
      }
    }
  }

  /**
   * Register a hook that runs after every successful connect and reconnect. If the connection is already open,
   * the hook runs now and this resolves when it is done.
   */
  async addSetup(hook: SetupHook): Promise<void> {
    this.setupHooks.push(hook);
    if (this.model) await hook(this);
  }

  removeSetup(hook: SetupHook): void {
    const i = this.setupHooks.indexOf(hook);
    if (i >= 0) this.setupHooks.splice(i, 1);
  }

  /** A transport channel (the seam engines use, src/transport) on the current connection; see createChannel. */
  async openChannel(options: { readonly confirm?: boolean } = {}): Promise<TransportChannel> {
    const raw = options.confirm ? await this.createConfirmChannel() : await this.createChannel();
    return new AmqpChannel(raw, { confirm: options.confirm ?? false, url: this.node });
  }

  /**
   * A new amqplib channel on the current connection, for the wire layer and its tests (engines use openChannel). A
   * channel the broker closes emits `error` and `close`; a no-op error listener is attached so an unobserved channel
   * error never crashes the process (the failing call rejects). A value the client cannot encode rejects its call and
   * leaves the channel usable (encode-guard.ts).
   */
  createChannel(): Promise<Channel> {
    return this.newChannel((model) => model.createChannel());
  }

  createConfirmChannel(): Promise<ConfirmChannel> {
    return this.newChannel((model) => model.createConfirmChannel());
  }

  private async newChannel<T extends Channel>(create: (model: ChannelModel) => Promise<T>): Promise<T> {
    const model = this.requireModel();
    try {
      const channel = guardEncoding(await create(model));
      channel.on('error', () => {});
      return channel;
    } catch (err) {
      throw translateAmqpError(err, this.node);
    }
  }

  /** Wait until the connection is open again (after a loss), or reject when reconnecting gave up or we closed. */
  async whenOpen(): Promise<void> {
    if (this.model) return;
    if (this.isClosing) throw new ConnectionClosedError();
    await new Promise<void>((resolve, reject) => {
      const onConnected = () => {
        cleanup();
        resolve();
      };
      const onFailed = (err: CamqError) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        this.off('connected', onConnected);
        this.off('failed', onFailed);
      };
      this.on('connected', onConnected);
      this.on('failed', onFailed);
    });
  }

  /** Close for good: no reconnect afterwards. Safe to call twice. */
  async close(): Promise<void> {
    this.isClosing = true;
    this.reconnectTimer?.cancel();
    this.reconnectTimer = undefined;
    const model = this.model;
    this.model = undefined;
    if (!model) return;
    try {
      await model.close();
    } catch {
      // Already closed by the peer or the socket; nothing left to release.
    }
  }

  /** The server's properties (product, version), as announced in connection.start. */
  get serverProperties(): Record<string, unknown> {
    return this.model?.connection.serverProperties ?? {};
  }

  /** RabbitMQ dead-letters; camq's embedded broker (told by the product it announces) does not. */
  get deadLetteringUnavailable(): string | undefined {
    const product: unknown = this.serverProperties['product'];
    const name = Buffer.isBuffer(product) ? product.toString() : product;
    return name === 'camq embedded broker' ? "camq's embedded broker has no dead-lettering" : undefined;
  }

  private requireModel(): ChannelModel {
    if (!this.model) throw new ConnectionClosedError(`not connected to ${this.masked}`);
    return this.model;
  }

  private async open(attempt: number, isReconnect: boolean): Promise<void> {
    const model = await this.dialAny(isReconnect);
    if (this.isClosing) {
      await model.close().catch(() => {});
      throw new ConnectionClosedError();
    }
    model.on('error', () => {
      // The 'close' event that follows carries the same error and drives reconnects.
    });
    model.on('blocked', (reason: string) => this.safeEmit('blocked', reason));
    model.on('unblocked', () => this.safeEmit('unblocked'));
    model.on('close', (err?: unknown) => this.onModelClose(model, err));
    this.model = model;
    try {
      for (const hook of [...this.setupHooks]) await hook(this);
    } catch (err) {
      const lost = this.model !== model;
      this.model = undefined;
      await model.close().catch(() => {});
      throw lost ? (this.lastLoss ?? err) : err;
    }
    // Lost while the hooks ran (their last call may still have succeeded): this connection is gone, and a
    // reconnect loop already running would otherwise count it as done and stop, leaving no connection at all.
    if (this.model !== model)
      throw this.lastLoss ?? new BrokerConnectionError('broker.lost', `lost the connection to ${this.masked} while setting it up`, this.masked);
    this.safeEmit('connected', { attempt, isReconnect });
  }

  /**
   * Dial the nodes in failover order until one answers; `current` names it. One node: dial it. Every node failing:
   * its error, or for a list one error that names each node and why.
   */
  private async dialAny(afterLoss: boolean): Promise<ChannelModel> {
    if (this.nodes.length === 1) return this.dial(this.node);
    const failures: { node: BrokerUrl; error: CamqError }[] = [];
    for (const index of failoverOrder(this.nodes.length, this.current, this.url.failover, afterLoss)) {
      if (this.isClosing) throw new ConnectionClosedError();
      this.current = index;
      try {
        return await this.dial(this.node);
      } catch (err) {
        const error = translateAmqpError(err, this.node);
        if (isFatal(error)) throw error;
        failures.push({ node: this.node, error });
      }
    }
    const reasons = failures.map((f) => `${f.node.masked} (${connectionReason(f.error)})`).join(', ');
    const list = this.nodes.map((n) => n.masked).join(';');
    throw new BrokerConnectionError(
      'broker.unreachable',
      `cannot reach any of the ${this.nodes.length} brokers of the list: ${reasons}; is the cluster running? Set -b/--broker or CAMQ_BROKER_URL`,
      list,
      { reason: `no node answered: ${reasons}`, cause: failures.at(-1)?.error },
    );
  }

  private async dial(url: BrokerUrl): Promise<ChannelModel> {
    const timeoutMs = this.options.connectTimeoutMs ?? Number(url.query['connection_timeout'] ?? 4000);
    const heartbeat = Number(url.query['heartbeat'] ?? this.options.heartbeatSeconds ?? 60);
    const connectOptions: Options.Connect = {
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      username: url.username,
      password: url.password,
      vhost: url.vhost,
      heartbeat,
      ...(url.query['frame_max'] ? { frameMax: Number(url.query['frame_max']) } : {}),
      ...(url.query['channel_max'] ? { channelMax: Number(url.query['channel_max']) } : {}),
    };
    const socketOptions: Record<string, unknown> = {
      timeout: timeoutMs,
      noDelay: true,
      clientProperties: {
        product: 'camq',
        ...(this.options.connectionName ? { connection_name: this.options.connectionName } : {}),
      },
    };
    if (url.protocol === 'amqps') Object.assign(socketOptions, tlsOptions(url));

    const dialing = amqp.connect(connectOptions, socketOptions).then((model) => {
      guardFrameDecoding(model.connection);
      return model;
    });
    let timer: TimerHandle | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => {
        reject(
          new BrokerConnectionError(
            'broker.timeout',
            `cannot reach ${this.masked}: no answer within ${timeoutMs} ms; is the broker running? Set -b/--broker or CAMQ_BROKER_URL`,
            this.masked,
            { reason: `no answer within ${timeoutMs} ms` },
          ),
        );
      }, timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([dialing, timeout]);
    } catch (err) {
      // A connection that opens after we gave up must not linger.
      dialing.then(
        (late) => late.close().catch(() => {}),
        () => {},
      );
      throw err;
    } finally {
      timer?.cancel();
    }
  }

  private onModelClose(model: ChannelModel, err: unknown): void {
    if (this.model !== model) return;
    this.model = undefined;
    if (this.isClosing) return;
    const error =
      err === undefined
        ? new BrokerConnectionError('broker.lost', `the connection to ${this.masked} was closed`, this.masked, { reason: 'closed' })
        : lostError(translateAmqpError(err, this.node), this.masked);
    this.lastLoss = error;
    this.safeEmit('disconnected', error);
    if (this.options.reconnect) {
      this.reconnecting ??= this.reconnectLoop(error).finally(() => {
        this.reconnecting = undefined;
      });
    } else {
      this.safeEmit('failed', error);
    }
  }

  private async reconnectLoop(cause: CamqError): Promise<void> {
    const max = this.options.maxReconnectAttempts ?? Infinity;
    let error = cause;
    for (let attempt = 1; attempt <= max; attempt++) {
      const delayMs = backoffDelay(attempt, this.options.backoff);
      this.safeEmit('reconnecting', { attempt, delayMs, error, reason: connectionReason(error), wasConnected: true });
      await this.sleep(delayMs);
      if (this.isClosing) return;
      try {
        await this.open(attempt, true);
        return;
      } catch (err) {
        error = translateAmqpError(err, this.node);
        if (this.isClosing) return;
      }
    }
    this.isClosing = true;
    this.safeEmit('failed', error);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.reconnectTimer = this.clock.setTimeout(() => {
        this.reconnectTimer = undefined;
        resolve();
      }, ms);
    });
  }
}

/**
 * The order to dial a list's nodes in. Round-robin: from the node after `current` on (from the first on a first
 * connect), so after a loss the lost node comes last. Shuffle: a random order, the lost node last.
 */
export function failoverOrder(
  count: number,
  current: number,
  strategy: BrokerUrl['failover'],
  afterLoss: boolean,
  random: () => number = Math.random,
): number[] {
  const start = afterLoss ? (current + 1) % count : 0;
  const ring = Array.from({ length: count }, (_, i) => (start + i) % count);
  if (strategy === 'round-robin') return ring;
  const others = ring.filter((i) => !afterLoss || i !== current);
  for (let i = others.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [others[i], others[j]] = [others[j]!, others[i]!];
  }
  return afterLoss ? [...others, current] : others;
}

/** Errors that retrying cannot fix. */
function isFatal(error: CamqError): boolean {
  return error.code === 'broker.auth-failed' || error.code === 'broker.tls-untrusted' || error.code === 'usage.bad-broker-url';
}

/**
 * The loss of an established connection, whatever amqplib reported (a socket error would otherwise read "cannot
 * reach …; is the broker running?", advice for a URL that never worked).
 */
function lostError(error: CamqError, masked: string): BrokerConnectionError {
  if (error.code === 'broker.lost') return error as BrokerConnectionError;
  const raw = connectionReason(error);
  // amqplib's words for a socket the peer ended without an AMQP close.
  const reason = raw === 'Unexpected close' ? 'the broker closed the socket' : raw;
  return new BrokerConnectionError('broker.lost', `lost the connection to ${masked}: ${reason}`, masked, { cause: error, reason });
}

/** TLS socket options from RabbitMQ's URI query parameters. */
function tlsOptions(url: BrokerUrl): Record<string, unknown> {
  const q = url.query;
  const read = (key: string) => (q[key] ? readFileSync(q[key]) : undefined);
  // SNI carries host names only: Node warns (RFC 6066) when given an IP address.
  const servername = q['server_name_indication'] ?? (isIP(url.hostname) === 0 ? url.hostname : undefined);
  const options: Record<string, unknown> = servername === undefined ? {} : { servername };
  const ca = read('cacertfile');
  const cert = read('certfile');
  const key = read('keyfile');
  if (ca) options['ca'] = [ca];
  if (cert) options['cert'] = cert;
  if (key) options['key'] = key;
  if (q['verify'] === 'verify_none') options['rejectUnauthorized'] = false;
  return options;
}
