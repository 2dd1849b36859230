import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../protocol/event-message.js';
import { decodeEventMessage } from '../protocol/event-message.js';
import type { OutgoingMessage } from '../protocol/amqp-message.js';
import { BEAT_QUERY_ROUTING_KEY } from '../protocol/beat-event.js';
import { EVENT_EXCHANGE } from '../protocol/topology.js';
import { publishMessage, type Delivery, type ExclusiveClaim, type Transport, type TransportChannel } from '../transport/index.js';
import { SafeEmitter } from '../util/typed-emitter.js';

/** The lock's queue name when none is given: one beat per virtual host, as most Celery deployments run. */
export const DEFAULT_BEAT_LOCK = 'camq.beat.lock';

/** What the lock is on this transport, for the banner: an exclusive queue, or a claim with its lease (Redis). */
export function beatLockKind(connection: Pick<Transport, 'exclusiveClaims'>): string {
  const claims = connection.exclusiveClaims;
  return claims ? `claim key, freed ${claims.leaseMs / 1000} s after a holder dies` : 'exclusive queue';
}

export interface BeatLockEvents {
  /** This connection holds the lock now. */
  acquired: [];
  /** It held the lock and does not any more (the connection dropped, or the queue was deleted under it). */
  lost: [string];
  /** A `beat-query` event arrived on the lock's queue. */
  query: [EventEnvelope];
}

/**
 * "Only one beat sends": a lock held on the broker, as an exclusive queue. RabbitMQ (and the embedded broker) let one
 * connection own an exclusive queue; another connection's declare is refused with 405 RESOURCE_LOCKED, and the
 * broker deletes the queue when its owner's connection goes, however it goes (a clean stop, a kill, a crash; a lost
 * host after the connection's heartbeat timeout). The queue is also bound to `celeryev` with `beat.query`, so the
 * holder hears `camq beat --list` and the live view asking for its schedule.
 *
 * Where a queue cannot be exclusive (Redis: kombu ignores the flag), the transport offers `exclusiveClaims` and the
 * lock is a claim taken before the queue is declared: a key with a lease the holder renews, so a killed holder's lock
 * frees after the lease instead of at once (docs/beat.md).
 */
export class BeatLock extends SafeEmitter<BeatLockEvents> {
  readonly name: string;
  private readonly connection: Transport;
  private channel: TransportChannel | undefined;
  /** With the transport's exclusiveClaims: the claim that is the lock. */
  private claim: ExclusiveClaim | undefined;
  /** Ours across reconnects, so a reconnect finds its own claim again. */
  private readonly owner = randomUUID();
  private isHeld = false;
  private isWanted = false;
  private attempting: Promise<boolean> | undefined;
  private readonly setup = async () => {
    if (this.isWanted) await this.attempt();
  };
  private readonly onDisconnected = () => this.drop('the connection to the broker was lost');

  constructor(connection: Transport, name: string = DEFAULT_BEAT_LOCK) {
    super();
    this.connection = connection;
    this.name = name;
  }

  get held(): boolean {
    return this.isHeld;
  }

  /**
   * Try to take the lock now (the connection must be open), and again after every reconnect. Resolves with whether
   * this connection holds it; `attempt` tries again (a waiting beat calls it until it is free).
   */
  async acquire(): Promise<boolean> {
    if (!this.isWanted) {
      this.isWanted = true;
      this.connection.on('disconnected', this.onDisconnected);
      await this.connection.addSetup(this.setup);
    }
    return this.attempt();
  }

  /** One try: declare the exclusive queue on a fresh channel; refused (405) means another beat holds it. */
  attempt(): Promise<boolean> {
    if (this.isHeld) return Promise.resolve(true);
    this.attempting ??= this.declare().finally(() => (this.attempting = undefined));
    return this.attempting;
  }

  /** Publish on the lock's channel (the holder's announcements); false when not held. */
  async publish(message: OutgoingMessage): Promise<boolean> {
    const channel = this.channel;
    if (!this.isHeld || !channel) return false;
    await publishMessage(channel, message);
    return true;
  }

  /** Give the lock up: delete the queue (the broker would on close anyway) and stop re-taking it. */
  async release(): Promise<void> {
    this.isWanted = false;
    this.connection.removeSetup(this.setup);
    this.connection.off('disconnected', this.onDisconnected);
    const channel = this.channel;
    const wasHeld = this.isHeld;
    this.isHeld = false;
    this.channel = undefined;
    await this.releaseClaim();
    if (channel) {
      try {
        if (wasHeld) await channel.deleteQueue(this.name);
        await channel.close();
      } catch {
        // The connection is already gone, and the exclusive queue with it.
      }
    }
  }

  private async declare(): Promise<boolean> {
    if (!this.connection.isOpen) return false;
    let channel: TransportChannel;
    try {
      channel = await this.connection.openChannel();
    } catch {
      return false;
    }
    // A refusal (405 RESOURCE_LOCKED: another connection owns the queue) closes this channel; it is the answer, not a fault.
    channel.on('error', () => {});
    const claims = this.connection.exclusiveClaims;
    if (claims) {
      try {
        this.claim = (await claims.claim(this.name, this.owner, (reason) => this.lostClaim(channel, reason))) ?? undefined;
      } catch {
        this.claim = undefined;
      }
      if (this.claim === undefined) {
        await channel.close().catch(() => {});
        return false;
      }
    }
    try {
      await channel.assertQueue(this.name, { exclusive: true, durable: false, autoDelete: false });
      await channel.assertExchange(EVENT_EXCHANGE.name, EVENT_EXCHANGE.type, {
        durable: EVENT_EXCHANGE.durable,
        autoDelete: EVENT_EXCHANGE.autoDelete,
      });
      await channel.bindQueue(this.name, EVENT_EXCHANGE.name, BEAT_QUERY_ROUTING_KEY);
      await channel.consume(this.name, (msg) => this.onMessage(channel, msg), { noAck: true });
    } catch {
      await this.releaseClaim();
      await channel.close().catch(() => {});
      return false;
    }
    if (!this.isWanted) {
      await this.releaseClaim();
      await channel.deleteQueue(this.name).catch(() => {});
      await channel.close().catch(() => {});
      return false;
    }
    this.channel = channel;
    this.isHeld = true;
    channel.on('close', () => {
      if (this.channel === channel) this.drop('the lock channel was closed');
    });
    this.safeEmit('acquired');
    return true;
  }

  private onMessage(channel: TransportChannel, msg: Delivery | null): void {
    if (msg === null) {
      // An operator deleted the queue: the lock is gone; let the owner take it again.
      if (this.channel === channel) {
        this.drop('the lock queue was deleted');
        void channel.close().catch(() => {});
      }
      return;
    }
    const decoded = decodeEventMessage(msg.content);
    if (!decoded.ok) return;
    for (const event of decoded.events) if (event.type === 'beat-query') this.safeEmit('query', event);
  }

  /** The claim was found taken by another owner, or could not be renewed: the lock is gone. */
  private lostClaim(channel: TransportChannel, reason: string): void {
    this.claim = undefined;
    if (this.channel !== channel) return;
    this.drop(`the lock's claim was lost: ${reason}`);
    void channel.close().catch(() => {});
  }

  private async releaseClaim(): Promise<void> {
    const claim = this.claim;
    this.claim = undefined;
    await claim?.release();
  }

  private drop(reason: string): void {
    if (!this.isHeld) return;
    this.isHeld = false;
    this.channel = undefined;
    // Renewing stops; the claim, still ours by its owner token, is taken again after a reconnect or expires.
    void this.releaseClaim().catch(() => {});
    this.safeEmit('lost', reason);
  }
}
