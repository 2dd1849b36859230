import { asCamqError, BrokerError, CamqError, ReplyCode } from '../errors/index.js';
import { invalidExpiration, type OutgoingMessage } from '../protocol/amqp-message.js';
import { publishMessage } from './publish-message.js';
import type { TransportChannel } from './transport-channel.js';
import type { Transport } from './transport.js';

/** The parts of a Transport a Publisher uses. */
export type PublisherConnection = Pick<Transport, 'openChannel' | 'whenOpen'>;

export interface PublisherOptions {
  readonly connection: PublisherConnection;
  /** A message that was not published, and why: one call per message (log it as one line). */
  readonly onDropped: (message: OutgoingMessage, error: CamqError) => void;
  /** The broker closed the publish channel (a channel error on a connection that stays open). */
  readonly onChannelError: (error: CamqError) => void;
  /**
   * Messages that may wait for room in the channel's write buffer (a slow or blocked connection); a message past
   * this is dropped (`onDropped`, `publish.backlog-full`) instead of growing memory without bound. @defaultValue 10000
   */
  readonly maxBacklog?: number;
}

interface Waiting {
  readonly message: OutgoingMessage;
  readonly settle: (sent: boolean) => void;
}

/**
 * A publish channel that outlives channel errors and honours the write buffer. The broker closes a channel for a
 * publish it refuses (a missing exchange: 404; an invalid `expiration`: 406) and ignores every frame sent on it
 * after that, while the connection stays open. A plain channel then throws "Channel closed" on every later publish,
 * and a caller that waited for the connection to come back (it never went) spun on it. Here:
 *
 * - what the broker would refuse is refused before it leaves, with one `onDropped` call naming the message: an
 *   `expiration` RabbitMQ does not take, an exchange that does not exist (checked on a channel of its own, once per
 *   exchange and connection while it exists, so a 404 closes only that throwaway channel);
 * - a publish channel that closes anyway (an exchange deleted after it was checked) is reported once
 *   (`onChannelError`) and reopened for the next message; a channel error is not a connection error;
 * - while the connection is down, `publish` waits for it (nothing is lost to a reconnect), and a message it cannot
 *   place after that is dropped with one `onDropped` call: no retry loop, no flood;
 * - when the channel's write buffer is full, later messages wait here, in order, until it drains (at most
 *   `maxBacklog` of them), rather than piling up in the buffer: the returned promise tells the caller to slow down.
 */
export class Publisher {
  private readonly options: PublisherOptions;
  private readonly maxBacklog: number;
  private channel: TransportChannel | undefined;
  private opening: Promise<TransportChannel> | undefined;
  /** Exchanges known to exist on this connection. */
  private readonly exchanges = new Set<string>();
  /** Exchange checks in flight. */
  private readonly checking = new Map<string, Promise<boolean>>();
  /** The channel whose write buffer is full: messages wait in `backlog` until it drains. */
  private full: TransportChannel | undefined;
  private backlog: Waiting[] = [];

  constructor(options: PublisherOptions) {
    this.options = options;
    this.maxBacklog = options.maxBacklog ?? 10_000;
  }

  /** Messages waiting for room in the write buffer. */
  get waiting(): number {
    return this.backlog.length;
  }

  /** The connection was lost: channel and checks belong to it. Waiting messages wait for the next connection. */
  reset(): void {
    this.channel = undefined;
    this.opening = undefined;
    this.exchanges.clear();
    this.checking.clear();
    this.releaseBacklog();
  }

  /** Open the publish channel now (after a connect), so the first messages do not wait for it. */
  async open(): Promise<void> {
    await this.ready();
  }

  /**
   * Publish one message: true when it went out, false when it was dropped (and reported). With the channel open, its
   * buffer not full and the exchange known, it goes out now, synchronously, so messages keep the order they were
   * published in (a result before the ack that follows it); otherwise the returned promise settles when it went or
   * was dropped.
   */
  publish(message: OutgoingMessage): Promise<boolean> | boolean {
    const bad = invalidExpiration(message.properties.expiration);
    if (bad) return this.drop(message, new CamqError('publish.bad-expiration', `${bad}: RabbitMQ would close the channel for it`));
    const channel = this.channel;
    if (channel && (message.exchange === '' || this.exchanges.has(message.exchange))) {
      if (this.full === channel) return this.wait(message);
      try {
        return this.write(channel, message);
      } catch {
        // The channel closed under us (it throws): the slow path opens another.
        if (this.channel === channel) this.channel = undefined;
      }
    }
    return this.publishWhenReady(message);
  }

  /** Write on `channel` (throws when it is closed). True when the buffer took it; else a wait for `drain`. */
  private write(channel: TransportChannel, message: OutgoingMessage): Promise<boolean> | true {
    const draining = publishMessage(channel, message);
    if (!draining) return true;
    this.full = channel;
    // A channel that closes before its buffer drains: the message may be lost, and is reported as dropped.
    return draining.then(
      () => {
        this.drained(channel);
        return true;
      },
      (err: unknown) => {
        if (this.full === channel) this.full = undefined;
        this.releaseBacklog();
        return this.drop(message, asCamqError(err));
      },
    );
  }

  private wait(message: OutgoingMessage): Promise<boolean> | false {
    if (this.backlog.length >= this.maxBacklog) {
      return this.drop(
        message,
        new CamqError(
          'publish.backlog-full',
          `${this.maxBacklog} messages already wait for room in the connection's write buffer (the broker is slow or blocked)`,
        ),
      );
    }
    return new Promise<boolean>((settle) => this.backlog.push({ message, settle }));
  }

  /** The full channel drained: write what waited, in order, until it fills again. */
  private drained(channel: TransportChannel): void {
    if (this.full !== channel) return;
    this.full = undefined;
    while (this.backlog.length > 0 && this.full === undefined && this.channel === channel) {
      const { message, settle } = this.backlog.shift()!;
      try {
        const sent = this.write(channel, message);
        if (sent === true) settle(true);
        else void sent.then(settle);
      } catch {
        if (this.channel === channel) this.channel = undefined;
        void this.publishWhenReady(message).then(settle);
      }
    }
    if (this.full === undefined) this.releaseBacklog();
  }

  /** The full channel is gone: what waited for it goes the slow way (a new channel, after a reconnect if need be). */
  private releaseBacklog(): void {
    if (this.backlog.length === 0) return;
    const waiting = this.backlog;
    this.backlog = [];
    this.full = undefined;
    for (const { message, settle } of waiting) void Promise.resolve(this.publishWhenReady(message)).then(settle);
  }

  private async publishWhenReady(message: OutgoingMessage): Promise<boolean> {
    // Two tries: a channel that closed between the check and the write is reopened once; a second failure is not
    // retried (it would fail the same way).
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.connection.whenOpen();
        if (message.exchange !== '' && !(await this.exchangeExists(message.exchange))) {
          return this.drop(message, new CamqError('publish.no-exchange', `exchange '${message.exchange}' does not exist (404 NOT_FOUND)`));
        }
        const channel = await this.ready();
        if (this.full === channel) return await this.wait(message);
        return await this.write(channel, message);
      } catch (err) {
        if (attempt >= 2) return this.drop(message, asCamqError(err));
      }
    }
  }

  private drop(message: OutgoingMessage, error: CamqError): false {
    this.options.onDropped(message, error);
    return false;
  }

  /** The open publish channel, opened on first use and after the broker closed the previous one. */
  private ready(): Promise<TransportChannel> {
    if (this.channel) return Promise.resolve(this.channel);
    this.opening ??= this.options.connection.openChannel().then(
      (channel) => {
        this.opening = undefined;
        this.channel = channel;
        channel.on('close', () => {
          if (this.channel === channel) this.channel = undefined;
        });
        channel.on('error', (err: unknown) => {
          const error = asCamqError(err);
          // A 404 for an exchange means it is gone: check it again before the next publish to it.
          const missing = /no exchange '((?:[^'\\]|\\.)*)'/.exec(error.message)?.[1];
          if (missing !== undefined) this.exchanges.delete(missing);
          if (error instanceof BrokerError && error.isChannelError) this.options.onChannelError(error);
        });
        return channel;
      },
      (err: unknown) => {
        this.opening = undefined;
        throw err;
      },
    );
    return this.opening;
  }

  private exchangeExists(name: string): Promise<boolean> | boolean {
    if (this.exchanges.has(name)) return true;
    let check = this.checking.get(name);
    if (!check) {
      check = this.checkExchange(name).finally(() => this.checking.delete(name));
      this.checking.set(name, check);
    }
    return check;
  }

  private async checkExchange(name: string): Promise<boolean> {
    const channel = await this.options.connection.openChannel();
    try {
      await channel.checkExchange(name);
    } catch (err) {
      if (err instanceof BrokerError && err.replyCode === ReplyCode.NOT_FOUND) return false;
      throw err;
    }
    await channel.close().catch(() => {});
    // A missing exchange may be declared later: only an existing one is remembered.
    this.exchanges.add(name);
    return true;
  }
}
