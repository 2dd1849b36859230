import { BrokerError, inequivalentArg, ReplyCode } from '../errors/index.js';
import { EVENT_EXCHANGE } from '../protocol/topology.js';
import type { Transport, TransportChannel } from '../transport/index.js';

/**
 * The recorder's own queue on `celeryev`: durable (events sent while the recorder is down wait for it, and RabbitMQ
 * 4.3 refuses transient non-exclusive queues) and bounded, so a recorder gone for good never grows it without
 * limit: `x-max-length` drops the oldest events past the bound, `x-message-ttl` those older than the TTL.
 */
export const RECORDER_QUEUE = 'camq.recorder';
/** About 500 MB of broker memory or disk at Celery's ~500 bytes per event. */
export const RECORDER_MAX_LENGTH = 1_000_000;
/** Three days: a weekend's outage of the recorder loses nothing. */
export const RECORDER_MESSAGE_TTL_MS = 3 * 24 * 3600 * 1000;

export type RecorderQueueType = 'classic' | 'quorum';

export interface RecorderQueueOptions {
  readonly queue?: string;
  readonly maxLength?: number;
  readonly messageTtlMs?: number;
  /**
   * On a cluster, a quorum queue (replicated: the events waiting survive the loss of a node); on one node a classic
   * durable queue. No `x-queue-type` is sent for classic, so a queue declared before this option is accepted.
   * @defaultValue 'classic'
   */
  readonly queueType?: RecorderQueueType;
}

export function recorderQueueArguments(options: RecorderQueueOptions = {}): Record<string, number | string> {
  return {
    'x-max-length': options.maxLength ?? RECORDER_MAX_LENGTH,
    'x-message-ttl': options.messageTtlMs ?? RECORDER_MESSAGE_TTL_MS,
    ...(options.queueType === 'quorum' ? { 'x-queue-type': 'quorum' } : {}),
  };
}

/** What the declare settled on: the queue, its type, and a line when an existing queue's type was kept. */
export interface DeclaredRecorderQueue {
  readonly queue: string;
  readonly queueType: RecorderQueueType;
  readonly note?: string | undefined;
}

/**
 * Declare the queue and bind it to every event (`#`). An existing queue of the other type (a recorder moved from one
 * node to a cluster, or back) is kept as it is — its events are not thrown away — with one line saying so and how to
 * change it; the refused declare closes `channel`, so the caller's `reopen` gives a new one.
 */
export async function declareRecorderQueue(
  channel: TransportChannel,
  options: RecorderQueueOptions = {},
  reopen?: () => Promise<TransportChannel>,
): Promise<DeclaredRecorderQueue & { readonly channel: TransportChannel }> {
  const queue = options.queue ?? RECORDER_QUEUE;
  const wanted = options.queueType ?? 'classic';
  await channel.assertExchange(EVENT_EXCHANGE.name, EVENT_EXCHANGE.type, { durable: EVENT_EXCHANGE.durable, autoDelete: EVENT_EXCHANGE.autoDelete });
  try {
    await channel.assertQueue(queue, { durable: true, exclusive: false, autoDelete: false, arguments: recorderQueueArguments(options) });
    await channel.bindQueue(queue, EVENT_EXCHANGE.name, '#');
    return { queue, queueType: wanted, channel };
  } catch (err) {
    const refused = err instanceof BrokerError && err.replyCode === ReplyCode.PRECONDITION_FAILED ? inequivalentArg(err.message) : undefined;
    if (refused?.arg !== 'x-queue-type' || reopen === undefined) throw err;
    const current: RecorderQueueType = refused.current === 'quorum' ? 'quorum' : 'classic';
    const again = await reopen();
    await again.assertQueue(queue, {
      durable: true,
      exclusive: false,
      autoDelete: false,
      arguments: recorderQueueArguments({ ...options, queueType: current }),
    });
    await again.bindQueue(queue, EVENT_EXCHANGE.name, '#');
    const note = `${queue} exists as a ${current} queue, not ${wanted}: kept as it is (to change it, stop the recorder and run camq record --delete-queue, which drops the events waiting in it)`;
    return { queue, queueType: current, note, channel: again };
  }
}

/** `camq record --delete-queue`: remove the recorder's queue (and the events waiting in it). */
export async function deleteRecorderQueue(connection: Transport, queue = RECORDER_QUEUE): Promise<{ readonly messageCount: number }> {
  const channel = await connection.openChannel();
  try {
    return await channel.deleteQueue(queue);
  } finally {
    await channel.close().catch(() => {});
  }
}
