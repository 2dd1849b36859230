import { BrokerServer, type BrokerServerOptions } from './server.js';

/** A running embedded broker: its amqp:// URL and how to stop it. */
export interface EmbeddedBrokerHandle {
  readonly url: string;
  readonly port: number;
  /** The management API's `http://host:port`, when started with `managementPort`. */
  readonly apiUrl: string | undefined;
  /** The server, for what rabbitmqctl would tell about RabbitMQ (listQueues, listBindings, closeAllConnections). */
  readonly server: BrokerServer;
  close(): Promise<void>;
}

/**
 * Start camq's embedded AMQP broker in this process (127.0.0.1; port 5673 unless given, 0 for a free one). Used by
 * `--broker embedded`/`memory://`, the demo and the tests.
 */
export async function startEmbeddedBroker(options: BrokerServerOptions = {}): Promise<EmbeddedBrokerHandle> {
  const server = await BrokerServer.start(options);
  return { url: server.url, port: server.port, apiUrl: server.managementUrl, server, close: () => server.close() };
}
