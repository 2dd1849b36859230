import type { Channel } from 'amqplib';
import { BrokerError, CamqError, ReplyCode } from '../errors/index.js';
import { invalidExpiration, type OutgoingMessage } from '../protocol/amqp-message.js';
import { translateAmqpError } from './amqp-error.js';
import { publishMessage } from './publish.js';

/** The parts of a BrokerConnection a Publisher uses. */
export interface PublisherConnection {
  createChannel(): Promise<Channel>;
  /** Resolves when the connection is open (at once when it is), rejects when it is closed for good. */
  whenOpen(): Promise<void>;
}

export interface PublisherOptions {
  readonly connection: PublisherConnection;
  /** A message that was not published, and why: one call per message (log it as one line). */
  readonly onDropped: (message: OutgoingMessage, error: CamqError) => void;
  /** The broker closed the publish channel (a channel error on a connection that stays open). */
  readonly onChannelError: (error: CamqError) => void;
}

/**
 * A publish channel that outlives channel errors. The broker closes a channel for a publish it refuses (a missing
 * exchange: 404; an invalid `expiration`: 406) and ignores every frame sent on it after that, while the connection
 * stays open. A plain channel then throws "Channel closed" on every later publish, and a caller that waited for the
 * connection to come back (it never went) spun on it. Here:
 *
 * - what the broker would refuse is refused before it leaves, with one `onDropped` call naming the message: an
 *   `expiration` RabbitMQ does not take, an exchange that does not exist (checked on a channel of its own, once per
 *   exchange and connection while it exists, so a 404 closes only that throwaway channel);
 * - a publish channel that closes anyway (an exchange deleted after it was checked) is reported once
 *   (`onChannelError`) and reopened for the next message; a channel error is not a connection error;
 * - while the connection is down, `publish` waits for it (nothing is lost to a reconnect), and a message it cannot
 *   place after that is dropped with one `onDropped` call: no retry loop, no flood.
 */
export class Publisher {
  private readonly options: PublisherOptions;
  private channel: Channel | undefined;
  private opening: Promise<Channel> | undefined;
  /** Exchanges known to exist on this connection. */
  private readonly exchanges = new Set<string>();
  /** Exchange checks in flight. */
  private readonly checking = new Map<string, Promise<boolean>>();

  constructor(options: PublisherOptions) {
    this.options = options;
  }

  /** The connection was lost: channel and checks belong to it. */
  reset(): void {
    this.channel = undefined;
    this.opening = undefined;
    this.exchanges.clear();
    this.checking.clear();
  }

  /** Open the publish channel now (after a connect), so the first messages do not wait for it. */
  async open(): Promise<void> {
    await this.ready();
  }

  /**
   * Publish one message: true when it went out, false when it was dropped (and reported). With the channel open and
   * the exchange known, it goes out now, synchronously, so messages keep the order they were published in (a
   * result before the ack that follows it); otherwise the returned promise settles when it went or was dropped.
   */
  publish(message: OutgoingMessage): Promise<boolean> | boolean {
    const bad = invalidExpiration(message.properties.expiration);
    if (bad) return this.drop(message, new CamqError('publish.bad-expiration', `${bad}: RabbitMQ would close the channel for it`));
    const channel = this.channel;
    if (channel && (message.exchange === '' || this.exchanges.has(message.exchange))) {
      try {
        const draining = publishMessage(channel, message);
        // A channel that closes before its buffer drains: the message may be lost, and is reported as dropped.
        return draining
          ? draining.then(
              () => true,
              (err: unknown) => this.drop(message, translateAmqpError(err)),
            )
          : true;
      } catch {
        // The channel closed under us (amqplib throws): the slow path opens another.
        if (this.channel === channel) this.channel = undefined;
      }
    }
    return this.publishWhenReady(message);
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
        await publishMessage(channel, message);
        return true;
      } catch (err) {
        if (attempt >= 2) return this.drop(message, translateAmqpError(err));
      }
    }
  }

  private drop(message: OutgoingMessage, error: CamqError): false {
    this.options.onDropped(message, error);
    return false;
  }

  /** The open publish channel, opened on first use and after the broker closed the previous one. */
  private ready(): Promise<Channel> {
    if (this.channel) return Promise.resolve(this.channel);
    this.opening ??= this.options.connection.createChannel().then(
      (channel) => {
        this.opening = undefined;
        this.channel = channel;
        channel.on('close', () => {
          if (this.channel === channel) this.channel = undefined;
        });
        channel.on('error', (err: unknown) => {
          const error = translateAmqpError(err);
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
    const channel = await this.options.connection.createChannel();
    try {
      await channel.checkExchange(name);
    } catch (err) {
      const error = translateAmqpError(err);
      if (error instanceof BrokerError && error.replyCode === ReplyCode.NOT_FOUND) return false;
      throw error;
    }
    await channel.close().catch(() => {});
    // A missing exchange may be declared later: only an existing one is remembered.
    this.exchanges.add(name);
    return true;
  }
}
