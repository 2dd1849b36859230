import { Redis } from 'ioredis';
import { BrokerConnectionError, CamqError, ConnectionClosedError, connectionReason } from '../errors/index.js';
import { backoffDelay, type BackoffOptions } from '../util/backoff.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { SafeEmitter } from '../util/typed-emitter.js';
import { parseBrokerUrl, type BrokerUrl } from '../transport/broker-url.js';
import type { SetupHook, Transport, TransportEvents } from '../transport/transport.js';
import type { TransportChannel } from '../transport/transport-channel.js';
import type { StoredQueues } from '../transport/stored-queues.js';
import type { ExclusiveClaims } from '../transport/exclusive-claims.js';
import { BrokenMessageLog } from './broken-message.js';
import { RedisStoredQueues } from './redis-stored-queues.js';
import { RedisChannel } from './redis-channel.js';
import type { FanoutListener, KnownBinding, RedisLink, ScriptedRedis } from './redis-link.js';
import { translateRedisError } from './redis-error.js';
import { CLAIM_NAME, MOVE_ELEMENTS, RELEASE_MUTEX, RESTORE_TAG, ROUTE_DIRECT, TAKE_AND_HOLD, TAKE_ELEMENTS } from './redis-scripts.js';
import { RedisClaims } from './redis-claims.js';
import { ioredisOptions, redisSettings, type RedisSettings } from './redis-settings.js';

export interface RedisTransportOptions {
  readonly url: string | BrokerUrl;
  /** Give up on one connect attempt after this long. @defaultValue 4000 */
  readonly connectTimeoutMs?: number;
  /** Extra attempts for the first connection, with backoff. @defaultValue 0 */
  readonly connectRetries?: number;
  /** After losing an established connection, reconnect with backoff and run the setup hooks again. @defaultValue false */
  readonly reconnect?: boolean;
  /** @defaultValue Infinity */
  readonly maxReconnectAttempts?: number;
  readonly backoff?: BackoffOptions;
  /** Shown by `CLIENT LIST` (CLIENT SETNAME). */
  readonly connectionName?: string;
  readonly clock?: Clock;
  /** Where a line about a broken message (not a kombu envelope) goes, at most one per 10 s. @defaultValue stderr */
  readonly log?: (line: string) => void;
}

/**
 * The Transport on Redis, with kombu 5.2's wire format (docs/redis-protocol.md): what BrokerConnection is to AMQP.
 * One command connection shared by the channels, one pub/sub connection for fanout consumers (opened on first use),
 * and one blocking connection per consuming channel for its BRPOP. Exchange types live here, in memory, as in
 * kombu's `state.exchanges`; bindings live on the server in `_kombu.binding.*` sets.
 */
export class RedisTransport extends SafeEmitter<TransportEvents> implements Transport, RedisLink {
  readonly url: BrokerUrl;
  readonly settings: RedisSettings;
  readonly clock: Clock;
  readonly brokenLog: BrokenMessageLog;
  /** depth by priority, LRANGE peek, the unacked messages, purge and move on the lists (src/redis/redis-stored-queues.ts). */
  readonly storedQueues: StoredQueues = new RedisStoredQueues(this);
  /** A queue cannot be exclusive on Redis, so beat's lock is a claim key with a lease (src/redis/redis-claims.ts). */
  readonly exclusiveClaims: ExclusiveClaims = new RedisClaims(this);
  /** Exchange name → type, for the exchanges declared through this transport (kombu's state.exchanges). */
  readonly exchangeTypes = new Map<string, string>();
  /** Queue → the bindings made through this transport (exchange, routing key), which deleting the queue removes. */
  readonly queueBindings = new Map<string, Map<string, KnownBinding>>();
  private readonly options: RedisTransportOptions;
  private client: ScriptedRedis | undefined;
  private subscriber: Redis | undefined;
  private readonly patterns = new Map<string, Set<FanoutListener>>();
  private readonly channels = new Set<RedisChannel>();
  private readonly setupHooks: SetupHook[] = [];
  private isClosing = false;
  private reconnectTimer: TimerHandle | undefined;
  private reconnecting: Promise<void> | undefined;
  private lastLoss: CamqError | undefined;
  private version = '';

  constructor(options: RedisTransportOptions) {
    super();
    this.options = options;
    this.url = typeof options.url === 'string' ? parseBrokerUrl(options.url) : options.url;
    this.settings = redisSettings(this.url);
    this.clock = options.clock ?? systemClock;
    this.brokenLog = new BrokenMessageLog(this.clock, options.log ?? ((line) => process.stderr.write(`${line}\n`)));
  }

  get masked(): string {
    return this.url.masked;
  }

  get isOpen(): boolean {
    return this.client !== undefined;
  }

  /** kombu's Redis transport has no TTL or dead-lettering; a channel keeps its held tasks' unacked entries fresh instead. */
  readonly deadLetteringUnavailable = "Redis has no dead-lettering (held ETA tasks' unacked entries are kept fresh instead)";

  /** kombu delivers fanout (and so `celeryev`) by PUBLISH: what is sent while no one listens is gone. */
  readonly fanoutUnbuffered = 'on Redis events are pub/sub';

  get serverProperties(): Record<string, unknown> {
    return this.client ? { product: 'Redis', version: this.version } : {};
  }

  /** The key as stored: kombu's `global_keyprefix` in front. */
  key(name: string): string {
    return this.settings.keyPrefix + name;
  }

  /** The command connection; throws while not connected. */
  requireClient(): ScriptedRedis {
    if (!this.client) throw new ConnectionClosedError(`not connected to ${this.masked}`);
    return this.client;
  }

  /** A new connection with the same options, for one channel's blocking BRPOP. */
  async blockingClient(): Promise<Redis> {
    const dup = this.requireClient().duplicate();
    dup.on('error', () => {});
    try {
      await dup.connect();
    } catch (err) {
      dup.disconnect();
      throw translateRedisError(err, this.masked, this.url);
    }
    return dup;
  }

  translate(err: unknown): CamqError {
    return translateRedisError(err, this.masked, this.url);
  }

  async connect(): Promise<this> {
    if (this.client) return this;
    this.isClosing = false;
    const retries = this.options.connectRetries ?? 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.open(attempt, false);
        return this;
      } catch (err) {
        const error = this.translate(err);
        if (attempt > retries || this.isClosing || isFatal(error)) throw error;
        const delayMs = backoffDelay(attempt, this.options.backoff);
        this.safeEmit('reconnecting', { attempt, delayMs, error, reason: connectionReason(error), wasConnected: false });
        await this.sleep(delayMs);
        if (this.isClosing) throw new ConnectionClosedError();
      }
    }
  }

  async whenOpen(): Promise<void> {
    if (this.client) return;
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

  async close(): Promise<void> {
    this.isClosing = true;
    this.reconnectTimer?.cancel();
    this.reconnectTimer = undefined;
    // Channels first: they restore what they hold unacked and remove their auto-delete queues, as kombu's close does.
    for (const channel of [...this.channels]) await channel.close().catch(() => {});
    const client = this.client;
    const subscriber = this.subscriber;
    this.client = undefined;
    this.subscriber = undefined;
    this.patterns.clear();
    subscriber?.disconnect();
    if (client) await client.quit().catch(() => client.disconnect());
  }

  openChannel(options: { readonly confirm?: boolean } = {}): Promise<TransportChannel> {
    if (!this.client) return Promise.reject(new ConnectionClosedError(`not connected to ${this.masked}`));
    const channel = new RedisChannel(this, options);
    this.channels.add(channel);
    channel.once('close', () => this.channels.delete(channel));
    return Promise.resolve(channel);
  }

  async addSetup(hook: SetupHook): Promise<void> {
    this.setupHooks.push(hook);
    if (this.client) await hook(this);
  }

  removeSetup(hook: SetupHook): void {
    const at = this.setupHooks.indexOf(hook);
    if (at >= 0) this.setupHooks.splice(at, 1);
  }

  /** PSUBSCRIBE `pattern` (kombu's fanout consumers), shared by every channel of this transport that wants it. */
  async subscribe(pattern: string, listener: FanoutListener): Promise<void> {
    const sub = await this.requireSubscriber();
    let listeners = this.patterns.get(pattern);
    if (!listeners) {
      listeners = new Set();
      this.patterns.set(pattern, listeners);
      listeners.add(listener);
      await sub.psubscribe(pattern).catch((err: unknown) => {
        throw this.translate(err);
      });
      return;
    }
    listeners.add(listener);
  }

  async unsubscribe(pattern: string, listener: FanoutListener): Promise<void> {
    const listeners = this.patterns.get(pattern);
    if (!listeners) return;
    listeners.delete(listener);
    if (listeners.size > 0) return;
    this.patterns.delete(pattern);
    await this.subscriber?.punsubscribe(pattern).catch(() => {});
  }

  private async requireSubscriber(): Promise<Redis> {
    if (this.subscriber) return this.subscriber;
    const sub = this.requireClient().duplicate();
    sub.on('error', () => {});
    sub.on('pmessageBuffer', (pattern: Buffer, channel: Buffer, payload: Buffer) => {
      const listeners = this.patterns.get(pattern.toString('utf8'));
      if (!listeners) return;
      const name = channel.toString('utf8');
      for (const listener of [...listeners]) listener(name, payload);
    });
    this.subscriber = sub;
    try {
      await sub.connect();
    } catch (err) {
      this.subscriber = undefined;
      sub.disconnect();
      throw this.translate(err);
    }
    sub.on('end', () => {
      if (this.subscriber === sub) this.onLoss(sub, undefined);
    });
    return sub;
  }

  private async open(attempt: number, isReconnect: boolean): Promise<void> {
    const options = ioredisOptions(this.url, this.options.connectTimeoutMs ?? 4000, this.options.connectionName);
    const client = new Redis(options) as ScriptedRedis;
    client.defineCommand('routeDirect', { numberOfKeys: 1, lua: ROUTE_DIRECT });
    client.defineCommand('restoreTag', { lua: RESTORE_TAG });
    client.defineCommand('releaseMutex', { numberOfKeys: 1, lua: RELEASE_MUTEX });
    client.defineCommand('claimName', { numberOfKeys: 1, lua: CLAIM_NAME });
    client.defineCommand('takeAndHold', { numberOfKeys: 3, lua: TAKE_AND_HOLD });
    client.defineCommand('takeElements', { lua: TAKE_ELEMENTS });
    client.defineCommand('moveElements', { lua: MOVE_ELEMENTS });
    let firstError: unknown;
    client.on('error', (err: unknown) => (firstError ??= err));
    try {
      await client.connect();
      const info = await client.info('server');
      this.version = /redis_version:(\S+)/.exec(info)?.[1] ?? '';
    } catch (err) {
      client.disconnect();
      throw this.translate(firstError ?? err);
    }
    if (this.isClosing) {
      client.disconnect();
      throw new ConnectionClosedError();
    }
    client.on('end', () => this.onLoss(client, firstError));
    this.client = client;
    try {
      for (const hook of [...this.setupHooks]) await hook(this);
    } catch (err) {
      const lost = this.client !== client;
      this.client = undefined;
      client.disconnect();
      throw lost ? (this.lastLoss ?? err) : err;
    }
    if (this.client !== client)
      throw this.lastLoss ?? new BrokerConnectionError('broker.lost', `lost the connection to ${this.masked} while setting it up`, this.masked);
    this.safeEmit('connected', { attempt, isReconnect });
  }

  /** The command or pub/sub connection ended without our close: everything on this connection is gone. */
  private onLoss(which: Redis, cause: unknown): void {
    if (this.isClosing || this.client === undefined) return;
    if (which !== this.client && which !== this.subscriber) return;
    const client = this.client;
    const subscriber = this.subscriber;
    this.client = undefined;
    this.subscriber = undefined;
    this.patterns.clear();
    client.disconnect();
    subscriber?.disconnect();
    const reason = cause === undefined ? 'the server closed the connection' : connectionReason(this.translate(cause));
    const error = new BrokerConnectionError('broker.lost', `lost the connection to ${this.masked}: ${reason}`, this.masked, { reason });
    this.lastLoss = error;
    for (const channel of [...this.channels]) channel.lost(error);
    this.safeEmit('disconnected', error);
    if (this.options.reconnect) {
      this.reconnecting ??= this.reconnectLoop(error).finally(() => (this.reconnecting = undefined));
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
        error = this.translate(err);
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

function isFatal(error: CamqError): boolean {
  return error.code === 'broker.auth-failed' || error.code === 'broker.tls-untrusted' || error.code === 'usage.bad-broker-url';
}
