import { CamqError } from '../errors/index.js';
import type { OutgoingMessage } from '../protocol/amqp-message.js';
import type { PublishOutcome, TransportChannel } from './transport-channel.js';

/** What publishMessage needs of a channel: publish, and the `drain` and `close` events it waits on. */
export interface PublishTarget {
  publish: TransportChannel['publish'];
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/**
 * Publish a protocol-layer message on a channel. Resolves at once when the channel's write buffer has room, and
 * after `drain` when `publish` returned false, so a fast producer never grows memory without bound. Throws when the
 * channel is closed; the wait rejects when the channel closes before the buffer drained (no drain ever comes then,
 * and the message may be lost). `onConfirm` is passed to the channel's publish as it is.
 */
export function publishMessage(
  channel: PublishTarget,
  message: OutgoingMessage,
  onConfirm?: (err: CamqError | null, outcome?: PublishOutcome) => void,
): Promise<void> | void {
  const ok = channel.publish(message.exchange, message.routingKey, message.content, message.properties, onConfirm);
  if (ok) return;
  return new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      channel.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      channel.off('drain', onDrain);
      reject(
        new CamqError(
          'publish.channel-closed',
          'the channel closed while the message waited for room in its write buffer; it may not have reached the broker',
        ),
      );
    };
    channel.once('drain', onDrain);
    channel.once('close', onClose);
  });
}
