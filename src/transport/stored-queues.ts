import type { Delivery } from './transport-channel.js';

/**
 * Queue operations a transport can do on the stored messages themselves, without taking them as a consumer: where
 * queues are plain data on the server (Redis lists, kombu's emulation, docs/redis-protocol.md). A transport offers
 * it as `Transport.storedQueues`; the queue engines (src/queues) use it when it is there and AMQP's get/nack
 * otherwise, so they choose by capability, never by URL scheme. RabbitMQ has no read-only access to a queue, so
 * its transport does not offer this.
 */
export interface StoredQueues {
  /** Seconds after its take (or last refresh) at which an unacked message is restored to its queue by any consumer. */
  readonly visibilityTimeoutS: number;
  /**
   * The queues the server stores messages for or has bindings of (Redis: list keys and `_kombu.binding.*` members),
   * found by walking the keyspace: `complete` is false when it stopped at its bound on a very large database.
   */
  queueNames(): Promise<{ readonly names: readonly string[]; readonly complete: boolean }>;
  /** Ready messages by priority sub-list, in the order consumers are served (Redis: 0, 3, 6, 9). */
  depth(queue: string): Promise<QueueDepthByPriority>;
  /** Read-only: up to `count` messages from the head, in the order a consumer would take them; nothing changes. */
  peek(queue: string, count: number): Promise<Delivery[]>;
  /** Messages taken by consumers and not acknowledged yet, the oldest first (`queue` given: only that queue's). */
  unacked(queue?: string): Promise<UnackedMessage[]>;
  /** Remove every ready message; resolves to how many there were. */
  purge(queue: string): Promise<number>;
  /**
   * Move up to `limit` ready messages (all when absent) from `from` to the tail of `to`, one at a time, each in one
   * atomic server step (a crash between two loses nothing and duplicates nothing), keeping their priority.
   */
  move(from: string, to: string, limit?: number): Promise<number>;

  /**
   * Filtered purge and move (src/queues judges, this acts). `snapshot`: every ready message of `queue` at this
   * moment, read-only, in serving order, each with what `take` and `moveSome` need to find it again.
   */
  snapshot(queue: string): Promise<StoredMessage[]>;
  /**
   * Take these messages out of their queue into the transport's own unacked keeping, each in one atomic server step:
   * one a consumer took meanwhile stays the consumer's (left out of the result). A taken message not `ack`ed is
   * restored to its queue after the visibility timeout by any consumer, so a crash between `take` and `ack` loses
   * nothing. The others stay where they are, in order, untouched.
   */
  take(messages: readonly StoredMessage[]): Promise<StoredMessage[]>;
  /** Drop messages `take` returned, for good. */
  ack(messages: readonly StoredMessage[]): Promise<void>;
  /**
   * Move these messages, in the order given, to the producers' end of the same priority sub-list of `to`, each in one
   * atomic server step (never in both queues, never in neither); resolves to those moved (a consumer took the rest).
   */
  moveSome(messages: readonly StoredMessage[], to: string): Promise<StoredMessage[]>;
}

/** A ready message as `snapshot` found it. */
export interface StoredMessage {
  readonly delivery: Delivery;
  /** Where and what it is on the server, for the transport that made it; engines pass it back untouched. */
  readonly ref: unknown;
}

export interface QueueDepthByPriority {
  readonly queue: string;
  readonly total: number;
  /** One entry per priority sub-list (empty ones included), in serving order. */
  readonly byPriority: readonly { readonly priority: number; readonly key: string; readonly count: number }[];
}

export interface UnackedMessage {
  /** The queue its exchange and routing key route it back to when it is restored. */
  readonly queue: string;
  /** The transport's own tag for it (kombu's delivery_tag UUID on Redis). */
  readonly tag: string;
  /** Unix milliseconds when it was taken (or last kept fresh by a camq worker). */
  readonly takenAt: number;
  readonly ageMs: number;
  /** Seconds after `takenAt` at which any consumer restores it to its queue. */
  readonly visibilityTimeoutS: number;
  readonly message: Delivery | null;
}
