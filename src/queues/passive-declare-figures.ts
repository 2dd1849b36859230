import { CamqError } from '../errors/index.js';
import type { Transport, TransportChannel } from '../transport/index.js';
import type { QueueFigures } from './queue-figures.js';

/** What passive declares found: the queues that exist, and the names that do not (or that the user may not see). */
export interface PassiveDeclareResult {
  readonly queues: QueueFigures[];
  readonly absent: string[];
}

/**
 * Figures without the management API: an AMQP passive declare (queue.declare with `passive`) of each named queue,
 * which tells its ready count and consumer count and nothing else. A queue that does not exist (404) or may not be
 * seen (403) closes the channel, so the next name gets a new one. Names are declared one after another, in order;
 * duplicates once.
 */
export async function passiveDeclareFigures(transport: Transport, vhost: string, names: readonly string[]): Promise<PassiveDeclareResult> {
  const queues: QueueFigures[] = [];
  const absent: string[] = [];
  let channel: TransportChannel | undefined;
  try {
    for (const name of new Set(names)) {
      channel ??= await openQuietChannel(transport);
      try {
        const status = await channel.checkQueue(name);
        queues.push({
          vhost,
          name,
          type: null,
          ready: status.messageCount,
          unacked: null,
          consumers: status.consumerCount,
          publishRate: null,
          deliverRate: null,
          readyRate: null,
          idleSince: null,
        });
      } catch (err) {
        if (!(err instanceof CamqError) || (err.code !== 'broker.not-found' && err.code !== 'broker.access-refused')) throw err;
        absent.push(name);
        channel = undefined; // the broker closed it
      }
    }
  } finally {
    await channel?.close().catch(() => {});
  }
  return { queues, absent };
}

/** A channel whose `error` event (the broker closing it on a 404) is expected and observed. */
async function openQuietChannel(transport: Transport): Promise<TransportChannel> {
  const channel = await transport.openChannel();
  channel.on('error', () => {});
  return channel;
}
