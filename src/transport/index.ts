export type { ConnectedInfo, ReconnectingInfo, SetupHook, Transport, TransportEvents } from './transport.js';
export type {
  ConsumeOptions,
  Delivery,
  DeliveryHandler,
  ExchangeOptions,
  PublishOptions,
  QueueOptions,
  QueueStatus,
  ReturnedDelivery,
  TransportChannel,
  TransportChannelEvents,
} from './transport-channel.js';
export { UNDECODABLE_HEADERS } from './transport-channel.js';
export { publishMessage, type PublishTarget } from './publish-message.js';
export { DEFAULT_BROKER_URL, isEmbeddedBrokerUrl, maskBrokerUrl, parseBrokerUrl, resolveBrokerUrl, type BrokerUrl } from './broker-url.js';
export { createTransport, type TransportOptions } from './create-transport.js';
export { Publisher, type PublisherConnection, type PublisherOptions } from './publisher.js';
