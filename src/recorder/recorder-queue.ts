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

export interface RecorderQueueOptions {
  readonly queue?: string;
  readonly maxLength?: number;
  readonly messageTtlMs?: number;
}

export function recorderQueueArguments(options: RecorderQueueOptions = {}): Record<string, number> {
  return {
    'x-max-length': options.maxLength ?? RECORDER_MAX_LENGTH,
    'x-message-ttl': options.messageTtlMs ?? RECORDER_MESSAGE_TTL_MS,
  };
}

/** Declare the queue and bind it to every event (`#`). The arguments must match an existing queue's. */
export async function declareRecorderQueue(channel: TransportChannel, options: RecorderQueueOptions = {}): Promise<string> {
  const queue = options.queue ?? RECORDER_QUEUE;
  await channel.assertExchange(EVENT_EXCHANGE.name, EVENT_EXCHANGE.type, { durable: EVENT_EXCHANGE.durable, autoDelete: EVENT_EXCHANGE.autoDelete });
  await channel.assertQueue(queue, { durable: true, exclusive: false, autoDelete: false, arguments: recorderQueueArguments(options) });
  await channel.bindQueue(queue, EVENT_EXCHANGE.name, '#');
  return queue;
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
