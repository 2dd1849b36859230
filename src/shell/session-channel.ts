import type { CamqError } from '../errors/index.js';
import type { MessageProperties } from '../protocol/amqp-message.js';
import type { Transport, TransportChannel } from '../transport/index.js';
import type { ReturnedMessage, UnackedDelivery } from './shell-result.js';

export interface SessionChannelHooks {
  /** The channel closed: by the broker (`error` is its close reason), with the connection, or by us. */
  onClose(channel: SessionChannel): void;
  /** A basic.return that arrived while no publish was waiting for it. */
  onStrayReturn(returned: ReturnedMessage): void;
}

/**
 * The shell session's one long-lived channel, in confirm mode, and what the session must know about it: the
 * deliveries taken with `basic.get` and not yet settled (they go back to their queues if this channel closes), and
 * why the broker closed it. Confirm mode lets `basic.publish` wait until the broker has the message, so a
 * `mandatory` return (which the broker sends before the confirm) is reported by the publish that caused it.
 */
export class SessionChannel {
  readonly unacked = new Map<number, UnackedDelivery>();
  /** The broker's reason when it closed this channel (`404 NOT_FOUND - ...`). */
  closeError: CamqError | undefined;
  isClosed = false;
  private returns: ReturnedMessage[] | undefined;

  private constructor(
    readonly channel: TransportChannel,
    hooks: SessionChannelHooks,
  ) {
    channel.on('error', (err) => {
      this.closeError = err;
    });
    channel.on('close', () => {
      this.isClosed = true;
      hooks.onClose(this);
    });
    channel.on('return', ({ fields }) => {
      const returned: ReturnedMessage = {
        reply_code: fields.replyCode,
        reply_text: fields.replyText,
        exchange: fields.exchange,
        routing_key: fields.routingKey,
      };
      if (this.returns) this.returns.push(returned);
      else hooks.onStrayReturn(returned);
    });
  }

  static async open(connection: Transport, hooks: SessionChannelHooks): Promise<SessionChannel> {
    return new SessionChannel(await connection.openChannel({ confirm: true }), hooks);
  }

  /** Publish and wait for the broker's confirm; resolves with the basic.return if the broker handed it back. */
  async publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    properties: MessageProperties,
    mandatory: boolean,
  ): Promise<ReturnedMessage | undefined> {
    const returns: ReturnedMessage[] = [];
    this.returns = returns;
    try {
      await new Promise<void>((resolve, reject) => {
        // A basic.nack fails with broker.nacked; a channel that goes first fails the publish, and the session then
        // reports the broker's close reason.
        this.channel.publish(exchange, routingKey, content, { ...properties, mandatory }, (err) => (err ? reject(err) : resolve()));
      });
    } finally {
      this.returns = undefined;
    }
    return returns[0];
  }

  /**
   * One round trip (basic.qos, harmless without consumers). basic.ack/nack/reject get no reply, so a broker error
   * they cause (406 unknown delivery tag) surfaces here, in the command that caused it, not in the next one.
   */
  async sync(): Promise<void> {
    await this.channel.prefetch(0);
  }

  /** Settle deliveries locally after ack/nack/reject: one tag, or every tag up to it. */
  settle(deliveryTag: number, multiple: boolean): void {
    if (!multiple) {
      this.unacked.delete(deliveryTag);
      return;
    }
    for (const tag of [...this.unacked.keys()]) if (tag <= deliveryTag) this.unacked.delete(tag);
  }

  /** The unacked deliveries as a list, oldest first. */
  unackedList(): UnackedDelivery[] {
    return [...this.unacked.values()].sort((a, b) => a.delivery_tag - b.delivery_tag);
  }

  /** Close it ourselves; unacked deliveries go back to their queues. Safe on a closed channel. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    try {
      await this.channel.close();
    } catch {
      // Already closing with the connection.
    }
  }
}
