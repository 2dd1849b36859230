/**
 * An independent view of the broker for shell tests: its own amqplib connection (never the shell's), one fresh
 * channel per question so a 404 never poisons the next check, plus the target's inspector for what AMQP cannot see
 * (bindings, unacked counts, closing a connection). Tests that use it inspect raw broker state on purpose.
 */
import amqp, { type ChannelModel, type GetMessage } from 'amqplib';
import { parseBrokerUrl } from '../../../src/transport/broker-url.js';
import type { BrokerInspector } from '../../helpers/broker-inspector.js';
import type { BrokerTarget } from '../../helpers/brokers.js';

export class BrokerProbe {
  private constructor(
    private readonly model: ChannelModel,
    /** The broker's own view (rabbitmqctl, or the embedded broker's server). */
    readonly inspector: BrokerInspector,
  ) {}

  static async open(target: BrokerTarget): Promise<BrokerProbe> {
    const u = parseBrokerUrl(target.url);
    const model = await amqp.connect({
      protocol: 'amqp',
      hostname: u.hostname,
      port: u.port,
      username: u.username,
      password: u.password,
      vhost: u.vhost,
    });
    model.on('error', () => {});
    return new BrokerProbe(model, target.inspector);
  }

  /** Messages delivered from a queue and not yet acknowledged, as the broker counts them (AMQP has no way to ask). */
  async unacked(queue: string): Promise<number> {
    const row = await this.inspector.queue(queue);
    if (row === undefined) throw new Error(`the broker lists no queue ${queue}`);
    return row.unacked;
  }

  private async withChannel<T>(fn: (ch: amqp.Channel) => Promise<T>): Promise<T | undefined> {
    const ch = await this.model.createChannel();
    ch.on('error', () => {});
    try {
      return await fn(ch);
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    } finally {
      await ch.close().catch(() => {});
    }
  }

  async exchangeExists(name: string): Promise<boolean> {
    return (await this.withChannel(async (ch) => (await ch.checkExchange(name), true))) === true;
  }

  /** Ready messages and consumers of a queue, or undefined when it does not exist. */
  async queue(name: string): Promise<{ ready: number; consumers: number } | undefined> {
    return this.withChannel(async (ch) => {
      const ok = await ch.checkQueue(name);
      return { ready: ok.messageCount, consumers: ok.consumerCount };
    });
  }

  /** Take one message for good (no_ack). */
  async take(queue: string): Promise<GetMessage | false> {
    return (await this.withChannel((ch) => ch.get(queue, { noAck: true }))) ?? false;
  }

  async publish(queue: string, body: string): Promise<void> {
    await this.withChannel(async (ch) => {
      ch.sendToQueue(queue, Buffer.from(body));
      await ch.prefetch(0);
    });
  }

  async cleanup(queues: readonly string[], exchanges: readonly string[]): Promise<void> {
    await this.withChannel(async (ch) => {
      for (const q of queues) await ch.deleteQueue(q);
      for (const e of exchanges) await ch.deleteExchange(e);
    });
  }

  async close(): Promise<void> {
    await this.model.close().catch(() => {});
  }
}
