import { BrokerError, CamqError, ReplyCode } from '../errors/index.js';
import { decodeControlRequest, PIDBOX_EXCHANGE, PIDBOX_QUEUE_ARGUMENTS, pidboxQueueName } from '../protocol/index.js';
import type { Delivery, TransportChannel } from '../transport/index.js';
import type { ControlPanel } from './control-panel.js';
import type { ControlTarget } from './control-target.js';

/**
 * The worker side of kombu's pidbox (docs/protocol.md, Remote control): a `<node>.celery.pidbox` queue bound to the
 * fanout `celery.pidbox` exchange, consumed without acks. Each request is decoded and handed to the ControlPanel;
 * its reply goes out through the worker (ControlTarget.sendReply), never on this channel.
 */
export class Mailbox {
  private readonly panel: ControlPanel;
  private readonly target: ControlTarget;
  private channel: TransportChannel | undefined;
  private consumerTag: string | undefined;

  constructor(panel: ControlPanel, target: ControlTarget) {
    this.panel = panel;
    this.target = target;
  }

  get queueName(): string {
    return pidboxQueueName(this.target.hostname);
  }

  /**
   * Declare and consume the mailbox on `channel` (after every connect). The queue is exclusive to this connection,
   * as Celery 5.6 and kombu declare it since RabbitMQ 4.3 refuses transient queues that are not (celery#10287):
   * so a second worker with the same node name is refused (405) instead of sharing the first one's commands.
   */
  async attach(channel: TransportChannel): Promise<void> {
    this.channel = channel;
    await channel.assertExchange(PIDBOX_EXCHANGE.name, PIDBOX_EXCHANGE.type, {
      durable: PIDBOX_EXCHANGE.durable,
      autoDelete: PIDBOX_EXCHANGE.autoDelete,
    });
    try {
      await channel.assertQueue(this.queueName, { durable: false, exclusive: true, autoDelete: true, arguments: { ...PIDBOX_QUEUE_ARGUMENTS } });
    } catch (error) {
      if (!(error instanceof BrokerError) || error.replyCode !== ReplyCode.RESOURCE_LOCKED) throw error;
      throw new CamqError(
        'worker.duplicate-nodename',
        `the mailbox queue ${this.queueName} belongs to another connection: a worker named ${this.target.hostname} is already ` +
          `running on this broker (start this one with another name, e.g. -n w2@%h), or the broker has not yet dropped this worker's lost connection`,
        { cause: error },
      );
    }
    await channel.bindQueue(this.queueName, PIDBOX_EXCHANGE.name, '');
    const { consumerTag } = await channel.consume(this.queueName, (msg) => msg && void this.onMessage(msg), { noAck: true });
    this.consumerTag = consumerTag;
  }

  detach(): void {
    this.channel = undefined;
    this.consumerTag = undefined;
  }

  /** Stop consuming (shutdown): the auto-delete queue goes away with its consumer. */
  async close(): Promise<void> {
    const { channel, consumerTag } = this;
    this.detach();
    if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => {});
  }

  /** From the transport's consumer callback: nothing may escape (an unhandled rejection would end the process). */
  private async onMessage(msg: Delivery): Promise<void> {
    try {
      await this.answer(msg);
    } catch (err) {
      this.target.logger.error(`internal error while answering a remote control message: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private async answer(msg: Delivery): Promise<void> {
    const decoded = decodeControlRequest(msg);
    if (!decoded.ok) {
      this.target.logger.warning(`Ignoring remote control message: ${decoded.error}`);
      return;
    }
    const reply = await this.panel.handle(decoded.request);
    if (reply) await this.target.sendReply(reply, decoded.request.method);
  }
}
