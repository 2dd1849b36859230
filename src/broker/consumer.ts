import type { MessageConsumer, MessageQueue, QueuedMessage } from './message.js';

/**
 * The queue a consumer reads, as its channel sees it (Queue implements it; declared here, under queue.ts, so the
 * broker's modules have no import cycle).
 */
export interface ConsumerQueue extends MessageQueue {
  removeConsumer(consumer: Consumer): void;
  /** Deliver what the queue's consumers can take now. */
  dispatch(): void;
}

/** What a queue needs from the channel a consumer lives on. */
export interface ConsumerChannel {
  /** Whether `consumer` may take one more message now (channel open, prefetch room, socket not congested). */
  canDeliver(consumer: Consumer): boolean;
  deliver(consumer: Consumer, entry: QueuedMessage): void;
  /** The queue went away under the consumer (deleted, expired, or its exclusive owner left). */
  cancelledByServer(consumer: Consumer): void;
}

/** A basic.consume subscription: one queue, one channel, its tag, ack mode and prefetch. */
export class Consumer implements MessageConsumer {
  /** Messages delivered to it and not yet settled (ack mode only). */
  unacked = 0;

  constructor(
    readonly tag: string,
    readonly channel: ConsumerChannel,
    readonly queue: ConsumerQueue,
    readonly noAck: boolean,
    readonly exclusive: boolean,
    /** Per-consumer prefetch (basic.qos with global=false before consume); 0 = unlimited. */
    readonly prefetch: number,
  ) {}
}
