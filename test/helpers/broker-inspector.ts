/**
 * What tests ask a broker that AMQP cannot tell: queues with their ready and unacked counts and flags, exchanges,
 * bindings, and closing a client's connection from the broker side. One interface, two kinds of broker: RabbitMQ
 * answers through rabbitmqctl (rabbitmqctl.ts), camq's embedded broker through its server object, in this process or
 * in a `camq broker` child (broker-process.ts). Tests that use it inspect raw broker state on purpose.
 */
import type { BindingInfo, ExchangeInfo, QueueInfo } from '../../src/broker/server.js';

/** A queue as both brokers list it: `messages` are the ready ones (RabbitMQ's messages_ready), `unacked` apart. */
export type QueueView = QueueInfo;
export type ExchangeView = Pick<ExchangeInfo, 'name' | 'type' | 'durable' | 'autoDelete'>;
export type BindingView = Pick<BindingInfo, 'source' | 'destination' | 'routingKey'>;

export abstract class BrokerInspector {
  /** The queues of the target's vhost. */
  abstract listQueues(): Promise<QueueView[]>;
  /** The exchanges of the target's vhost, the default (`''`) and `amq.*` ones included. */
  abstract listExchanges(): Promise<ExchangeView[]>;
  /** The bindings of the target's vhost, the default exchange's included. */
  abstract listBindings(): Promise<BindingView[]>;
  /**
   * Force-close (320 CONNECTION_FORCED), from the broker side, every connection whose client announced this
   * `connection_name` (BrokerConnection's `connectionName`): how tests make a client reconnect. Resolves with how many.
   */
  abstract closeConnectionsNamed(connectionName: string, reason?: string): Promise<number>;

  /** One queue, or undefined when it does not exist. */
  async queue(name: string): Promise<QueueView | undefined> {
    return (await this.listQueues()).find((q) => q.name === name);
  }
}

/** The embedded broker's own views (BrokerServer's, or the same answered by a `camq broker` child over IPC). */
export interface EmbeddedViews {
  listQueues(vhost?: string): QueueInfo[] | Promise<QueueInfo[]>;
  listExchanges(vhost?: string): ExchangeInfo[] | Promise<ExchangeInfo[]>;
  listBindings(vhost?: string): BindingInfo[] | Promise<BindingInfo[]>;
  closeConnectionsNamed(connectionName: string, reason?: string): number | Promise<number>;
}

export class EmbeddedInspector extends BrokerInspector {
  constructor(
    private readonly views: EmbeddedViews,
    private readonly vhost = '/',
  ) {
    super();
  }

  async listQueues(): Promise<QueueView[]> {
    return this.views.listQueues(this.vhost);
  }

  async listExchanges(): Promise<ExchangeView[]> {
    return (await this.views.listExchanges(this.vhost)).map((x) => ({ name: x.name, type: x.type, durable: x.durable, autoDelete: x.autoDelete }));
  }

  async listBindings(): Promise<BindingView[]> {
    return (await this.views.listBindings(this.vhost)).map((b) => ({ source: b.source, destination: b.destination, routingKey: b.routingKey }));
  }

  async closeConnectionsNamed(connectionName: string, reason = 'closed by camq test'): Promise<number> {
    return this.views.closeConnectionsNamed(connectionName, reason);
  }
}
