export { BrokerServer, DEFAULT_BROKER_PORT, type BindingInfo, type BrokerServerOptions, type ExchangeInfo, type QueueInfo } from './server.js';
export { startEmbeddedBroker, type EmbeddedBrokerHandle } from './embedded.js';
