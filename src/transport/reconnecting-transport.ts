import { BrokerConnectionError, ConnectionClosedError, connectionReason, type CamqError } from '../errors/index.js';
import { backoffDelay, type BackoffOptions } from '../util/backoff.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { SafeEmitter } from '../util/typed-emitter.js';
import type { TransportEvents } from './transport.js';

/** How a transport connects and reconnects: the options both wires take (BrokerConnection, RedisTransport). */
export interface ReconnectPolicy {
  /** Extra attempts for the first connection, with backoff. @defaultValue 0 */
  readonly connectRetries?: number;
  /** After losing an established connection, reconnect with backoff and run the setup hooks again. @defaultValue false */
  readonly reconnect?: boolean;
  /** Reconnect attempts after a loss before giving up. @defaultValue Infinity */
  readonly maxReconnectAttempts?: number;
  readonly backoff?: BackoffOptions;
}

/**
 * The connection life every Transport shares, whatever its wire: connect with `connectRetries` retries (backoff, no
 * retry after a refused login or an untrusted certificate), setup hooks run after every (re)connect, `whenOpen`,
 * and after a loss `disconnected`, then a reconnect loop with backoff (`reconnecting` before each attempt, on the
 * injected Clock, so tests drive it without waiting) or `failed`. A wire subclass opens one connection (`open`, which
 * ends with `finishOpen`), says whether it has one (`isOpen`), translates its library's errors and reports a loss
 * (`afterLoss`). Which node of a URL list to dial (AMQP's failover) stays with the wire.
 */
export abstract class ReconnectingTransport extends SafeEmitter<TransportEvents> {
  protected readonly setupHooks: ((transport: this) => Promise<void> | void)[] = [];
  /** Set by `close`, and when reconnecting gave up: no reconnect follows. */
  protected isClosing = false;
  /** Why the connection was last lost (what a setup cut short by the loss reports). */
  protected lastLoss: CamqError | undefined;
  private reconnectTimer: TimerHandle | undefined;
  private reconnecting: Promise<void> | undefined;

  protected constructor(
    private readonly policy: ReconnectPolicy,
    readonly clock: Clock,
  ) {
    super();
  }

  /** The URL (of the node connected to, or last tried) with the password masked: what every message names. */
  abstract get masked(): string;
  abstract get isOpen(): boolean;
  /** Open one connection (attempt `attempt` of a connect or reconnect round) and end with `finishOpen`. */
  protected abstract open(attempt: number, isReconnect: boolean): Promise<void>;
  /** The wire library's error as a CamqError a user can act on. */
  abstract translate(err: unknown): CamqError;

  /** Connect, retrying `connectRetries` times with backoff. Rejects with a BrokerConnectionError (exit code 2). */
  async connect(): Promise<this> {
    if (this.isOpen) return this;
    this.isClosing = false;
    const retries = this.policy.connectRetries ?? 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.open(attempt, false);
        return this;
      } catch (err) {
        const error = this.translate(err);
        if (attempt > retries || this.isClosing || isFatal(error)) throw error;
        const delayMs = backoffDelay(attempt, this.policy.backoff);
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
  async addSetup(hook: (transport: this) => Promise<void> | void): Promise<void> {
    this.setupHooks.push(hook);
    if (this.isOpen) await hook(this);
  }

  removeSetup(hook: (transport: this) => Promise<void> | void): void {
    const i = this.setupHooks.indexOf(hook);
    if (i >= 0) this.setupHooks.splice(i, 1);
  }

  /** Wait until the connection is open again (after a loss), or reject when reconnecting gave up or we closed. */
  async whenOpen(): Promise<void> {
    if (this.isOpen) return;
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

  /** The start of `close`: no reconnect from now on, and a pending one is cancelled. */
  protected stopReconnecting(): void {
    this.isClosing = true;
    this.reconnectTimer?.cancel();
    this.reconnectTimer = undefined;
  }

  /**
   * The end of `open`, once the new connection is the current one: run the setup hooks, then emit `connected`.
   * `isCurrent` says whether it still is (a loss while the hooks run replaces it); `discard` drops it when a hook
   * failed. Lost while the hooks ran (their last call may still have succeeded): the attempt fails, since a reconnect
   * loop already running would otherwise count it as done and stop, leaving no connection at all.
   */
  protected async finishOpen(attempt: number, isReconnect: boolean, isCurrent: () => boolean, discard: () => Promise<void> | void): Promise<void> {
    try {
      for (const hook of [...this.setupHooks]) await hook(this);
    } catch (err) {
      const lost = !isCurrent();
      await discard();
      throw lost ? (this.lastLoss ?? err) : err;
    }
    if (!isCurrent()) {
      throw this.lastLoss ?? new BrokerConnectionError('broker.lost', `lost the connection to ${this.masked} while setting it up`, this.masked);
    }
    this.safeEmit('connected', { attempt, isReconnect });
  }

  /** The open connection went away (not by `close`): `disconnected`, then reconnect or `failed`. */
  protected afterLoss(error: CamqError): void {
    this.lastLoss = error;
    this.safeEmit('disconnected', error);
    if (this.policy.reconnect) {
      this.reconnecting ??= this.reconnectLoop(error).finally(() => {
        this.reconnecting = undefined;
      });
    } else {
      this.safeEmit('failed', error);
    }
  }

  private async reconnectLoop(cause: CamqError): Promise<void> {
    const max = this.policy.maxReconnectAttempts ?? Infinity;
    let error = cause;
    for (let attempt = 1; attempt <= max; attempt++) {
      const delayMs = backoffDelay(attempt, this.policy.backoff);
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

/** Errors that retrying cannot fix: the same answer from every attempt (and from every node of a cluster). */
export function isFatal(error: CamqError): boolean {
  return error.code === 'broker.auth-failed' || error.code === 'broker.tls-untrusted' || error.code === 'usage.bad-broker-url';
}
