import { CamqError } from '../errors/index.js';
import type { OutgoingMessage } from '../protocol/amqp-message.js';
import type { ReturnedDelivery, TransportChannel } from './transport-channel.js';

/**
 * Publishing on a confirm channel, one promise per message: it resolves when the broker confirmed the message
 * (basic.ack: it is in every queue it was routed to — on a quorum queue, on a majority of its members) and rejects
 * when it did not take it: `broker.nacked`, the channel closing first, or — messages go out mandatory — no queue
 * taking it (`publish.unroutable`, the broker's basic.return, which comes before the confirm of the same message).
 * Returns are matched to their message by correlation id (Celery's task id), else message id.
 */
export class ConfirmedPublish {
  private readonly channel: TransportChannel;
  /** Keys of messages the broker handed back, until their confirm comes. */
  private readonly returned = new Map<string, ReturnedDelivery['fields']>();

  constructor(channel: TransportChannel) {
    this.channel = channel;
    channel.on('return', (delivery: ReturnedDelivery) => {
      const key = keyOf(delivery.properties);
      if (key) this.returned.set(key, delivery.fields);
    });
  }

  /** Publish `message` mandatory; settles on the broker's confirm (rejects at once when the channel is closed). */
  publish(message: OutgoingMessage): Promise<void> {
    const key = keyOf(message.properties);
    return new Promise<void>((resolve, reject) => {
      const onConfirm = (err: CamqError | null): void => {
        const returned = key ? this.returned.get(key) : undefined;
        if (key) this.returned.delete(key);
        if (err) reject(err);
        else if (returned) {
          const where = returned.exchange === '' ? 'the default exchange' : `exchange '${returned.exchange}'`;
          reject(
            new CamqError(
              'publish.unroutable',
              `no queue took the message sent to ${where} with routing key '${returned.routingKey}' (${returned.replyCode} ${returned.replyText}); declare the queue or bind it first`,
            ),
          );
        } else resolve();
      };
      const ok = this.channel.publish(message.exchange, message.routingKey, message.content, { ...message.properties, mandatory: true }, onConfirm);
      // A full write buffer: the confirm still comes, and waiting for it is the back-pressure.
      void ok;
    });
  }
}

function keyOf(properties: { readonly correlationId?: string; readonly messageId?: string }): string | undefined {
  return properties.correlationId ?? properties.messageId;
}
