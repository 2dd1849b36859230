import type { CamqError } from '../errors/index.js';
import type { SafeEmitter } from '../util/typed-emitter.js';
import type { BrokerUrl } from './broker-url.js';
import type { StoredQueues } from './stored-queues.js';
import type { ExclusiveClaims } from './exclusive-claims.js';
import type { TransportChannel } from './transport-channel.js';

/**
 * One connection to a broker, as camq's engines use it: channels, the connection's life (connect, reconnect after a
 * loss, close), and setup hooks that re-create an engine's channels and consumers after every reconnect. Engines
 * (shell, control client, event receiver, worker, CamqApp) take this, never a wire library's types, so a second
 * transport (Redis, with kombu's wire format) implements it for them. src/amqp/broker-connection.ts implements it
 * on amqplib; test/fakes/fake-transport.ts implements it in memory for unit tests.
 */
export interface Transport extends Pick<SafeEmitter<TransportEvents>, 'on' | 'off' | 'once'> {
  /** The URL it connects to, parsed once (by the CLI or the library caller). */
  readonly url: BrokerUrl;
  /** The URL with the password masked: what every message prints. */
  readonly masked: string;
  /** True while connected; false before `connect`, while reconnecting and after `close`. */
  readonly isOpen: boolean;
  /** What the broker said about itself at handshake (product, version, capabilities); empty while not connected. */
  readonly serverProperties: Readonly<Record<string, unknown>>;

  /** Connect (with the retries it was configured with). Rejects with a BrokerConnectionError. */
  connect(): Promise<this>;
  /** Resolves at once when open, when a lost connection is back, rejects when reconnecting gave up or it was closed. */
  whenOpen(): Promise<void>;
  /** Close for good; no reconnect follows. */
  close(): Promise<void>;

  /**
   * Read-only and list-level queue operations on the stored messages, where the transport keeps queues as data it
   * can read without consuming (Redis); absent on AMQP. The queue engines choose by this, not by URL scheme.
   */
  readonly storedQueues?: StoredQueues;

  /**
   * Names one owner holds at a time, where the broker's queues cannot be exclusive to a connection (Redis); absent on
   * AMQP, whose exclusive queues are such a lock. Beat's lock uses it when it is there.
   */
  readonly exclusiveClaims?: ExclusiveClaims;

  /**
   * Why this broker cannot dead-letter expired messages (no `x-message-ttl` + `x-dead-letter-exchange`), or
   * undefined when it can: the worker's delay queues for long ETAs need it (src/worker/delayed-delivery.ts).
   */
  readonly deadLetteringUnavailable?: string | undefined;

  /**
   * Why a queue bound to a fanout exchange keeps nothing while no one consumes it (Redis: fanout is pub/sub, and Celery
   * makes `celeryev` fanout there), or undefined when such a queue buffers (AMQP). `camq record` says it at start.
   */
  readonly fanoutUnbuffered?: string | undefined;

  /** A new channel on the current connection; `confirm` turns on publisher confirms. Rejects while not connected. */
  openChannel(options?: { readonly confirm?: boolean }): Promise<TransportChannel>;

  /** Runs after every successful (re)connect, before `connected`; when already open, runs now. */
  addSetup(hook: SetupHook): Promise<void>;
  removeSetup(hook: SetupHook): void;
}

/** Runs after every successful (re)connect, before `connected` is emitted. */
export type SetupHook = (transport: Transport) => Promise<void> | void;

export interface TransportEvents {
  /** A connection is open and every setup hook ran. */
  connected: [ConnectedInfo];
  /** The open connection went away (not emitted for our own `close()`). */
  disconnected: [CamqError];
  /** A retry is scheduled after `delayMs`. */
  reconnecting: [ReconnectingInfo];
  /** Reconnecting was given up; the connection is closed for good. */
  failed: [CamqError];
  /** The broker stopped reading our publishes (resource alarm); the argument is its reason. */
  blocked: [string];
  unblocked: [];
}

export interface ConnectedInfo {
  /** 1 for the first successful attempt of this connect or reconnect round. */
  readonly attempt: number;
  /** True when this connection replaces one that was lost. */
  readonly isReconnect: boolean;
}

export interface ReconnectingInfo {
  /** 1-based: the attempt about to be made. */
  readonly attempt: number;
  readonly delayMs: number;
  /** The loss (attempt 1) or why the previous attempt failed. */
  readonly error: CamqError;
  /** `error` in a few words, without advice (`connection refused (ECONNREFUSED)`). */
  readonly reason: string;
  /** True after an established connection was lost; false while the first connection is still being tried. */
  readonly wasConnected: boolean;
}
