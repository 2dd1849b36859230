export type { ConnectedInfo, ReconnectingInfo, SetupHook, Transport, TransportEvents } from './transport.js';
// The channel's types: TransportChannel, its events, Delivery, ReturnedDelivery and the option and reply shapes.
export type * from './transport-channel.js';
export { UNDECODABLE_HEADERS } from './transport-channel.js';
export { publishMessage, type PublishTarget } from './publish-message.js';
export {
  DEFAULT_BROKER_URL,
  isEmbeddedBrokerUrl,
  isRedisUrl,
  maskBrokerUrl,
  parseBrokerUrl,
  resolveBrokerUrl,
  type BrokerUrl,
} from './broker-url.js';
export { createTransport, type TransportOptions } from './create-transport.js';
export { Publisher, type PublisherConnection, type PublisherOptions } from './publisher.js';
export type { ResultBackend } from './result-backend.js';
export { createResultBackend } from './create-result-backend.js';
