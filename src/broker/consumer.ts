import type { QueuedMessage } from './message.js';
import type { Queue } from './queue.js';

/** What a queue needs from the channel a consumer lives on. */
export interface ConsumerChannel {
  /** Whether `consumer` may take one more message now (channel open, prefetch room, socket not congested). */
  canDeliver(consumer: Consumer): boolean;
  deliver(consumer: Consumer, entry: QueuedMessage): void;
  /** The queue went away under the consumer (deleted, expired, or its exclusive owner left). */
  cancelledByServer(consumer: Consumer): void;
}

/** A basic.consume subscription: one queue, one channel, its tag, ack mode and prefetch. */
export class Consumer {
  /** Messages delivered to it and not yet settled (ack mode only). */
  unacked = 0;

  constructor(
    readonly tag: string,
    readonly channel: ConsumerChannel,
    readonly queue: Queue,
    readonly noAck: boolean,
    readonly exclusive: boolean,
    /** Per-consumer prefetch (basic.qos with global=false before consume); 0 = unlimited. */
    readonly prefetch: number,
  ) {}
}
