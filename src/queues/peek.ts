import { CamqError } from '../errors/index.js';
import type { Delivery, QueueStatus, Transport } from '../transport/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { describeMessage, type PeekedMessage } from './peeked-message.js';
import { probeQueueKind, type QueueKind } from './queue-kind.js';

/**
 * `camq queues peek`: the first N messages of a queue, decoded, and the queue left as it was. AMQP has no read-only
 * get on classic or quorum queues, so a peek takes the messages with basic.get (unacked, on a channel of its own),
 * reads them, and returns them all with basic.nack(requeue) before closing the channel. Both RabbitMQ and the
 * embedded broker put requeued messages back at their positions, so the order is kept. Side effects, said by
 * `PEEK_EFFECTS`: each returned message has `redelivered` set (a Celery worker does not care); on a quorum queue
 * each one's delivery count grows by one, and with a delivery-limit a message at the limit would be dead-lettered
 * or dropped, so a peek there is refused unless `force`.
 */
export interface PeekOptions {
  /** How many messages, from the head. */
  readonly count: number;
  /** Peek a quorum queue anyway (see `quorumRefusal`). */
  readonly force?: boolean;
  readonly clock?: Clock;
}

export interface PeekResult {
  readonly queue: string;
  /** The passive declare's figures before the peek. */
  readonly status: QueueStatus;
  readonly kind: QueueKind;
  readonly messages: PeekedMessage[];
  /** What the peek did to the queue (PEEK_EFFECTS on AMQP). */
  readonly effects: string;
}

export const PEEK_EFFECTS =
  'a peek takes the messages unacked (basic.get) and returns them (basic.nack, requeue) at their positions: they come back marked redelivered';

/** What a peek through the transport's StoredQueues (Redis: LRANGE) does to the queue: nothing. */
export const STORED_PEEK_EFFECTS = 'a peek reads the stored lists (LRANGE) and changes nothing: order and messages stay as they were';

export async function peekQueue(transport: Transport, queue: string, options: PeekOptions): Promise<PeekResult> {
  const clock = options.clock ?? systemClock;
  if (transport.storedQueues) {
    // Queues stored as data (Redis): read them, take nothing.
    const [depth, taken] = await Promise.all([transport.storedQueues.depth(queue), transport.storedQueues.peek(queue, options.count)]);
    const now = clock.now();
    return {
      queue,
      status: { queue, messageCount: depth.total, consumerCount: 0 },
      kind: { type: 'classic', deliveryLimit: null },
      messages: taken.map((m, i) => describeMessage(m, i + 1, now)),
      effects: STORED_PEEK_EFFECTS,
    };
  }
  const channel = await transport.openChannel();
  channel.on('error', () => {});
  const taken: Delivery[] = [];
  try {
    const status = await channel.checkQueue(queue);
    const kind = await probeQueueKind(transport, queue);
    if (kind.type === 'stream') {
      throw new CamqError(
        'queues.unsupported-type',
        `'${queue}' is a stream: streams are read by consumers with an offset, not basic.get; camq cannot peek one yet`,
      );
    }
    if (kind.type === 'quorum' && !options.force) throw new CamqError('queues.peek-refused', quorumRefusal(queue, kind));
    for (let i = 0; i < options.count; i++) {
      const message = await channel.get(queue, { noAck: false });
      if (message === false) break;
      taken.push(message);
    }
    const now = clock.now();
    const messages = taken.map((m, i) => describeMessage(m, i + 1, now));
    returnAll(channel, taken);
    taken.length = 0;
    return { queue, status, kind, messages, effects: PEEK_EFFECTS };
  } finally {
    // On any failure the channel's close returns whatever is still unacked.
    if (taken.length > 0) returnAll(channel, taken);
    await channel.close().catch(() => {});
  }
}

/** Why a quorum queue is not peeked without --force. */
export function quorumRefusal(queue: string, kind: QueueKind): string {
  const limit =
    typeof kind.deliveryLimit === 'number'
      ? `it has x-delivery-limit=${kind.deliveryLimit}, so a message already delivered ${kind.deliveryLimit} times would be dead-lettered (or dropped) by the peek`
      : 'a delivery-limit (argument or policy; camq cannot see policies over AMQP) would dead-letter or drop a message the peek pushes past it';
  return `'${queue}' is a quorum queue: a peek adds 1 to each peeked message's delivery count, and ${limit}; add --force to peek anyway`;
}

function returnAll(channel: { nack(message: Delivery, allUpTo?: boolean, requeue?: boolean): void }, taken: readonly Delivery[]): void {
  try {
    for (const message of taken) channel.nack(message, false, true);
  } catch {
    // The channel is gone: the broker requeued them when it closed.
  }
}
