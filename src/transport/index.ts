export type { ConnectedInfo, ReconnectingInfo, SetupHook, Transport, TransportEvents } from './transport.js';
// The channel's types: TransportChannel, its events, Delivery, ReturnedDelivery and the option and reply shapes.
export type * from './transport-channel.js';
export { UNDECODABLE_HEADERS } from './transport-channel.js';
export type { QueueDepthByPriority, StoredQueues, UnackedMessage } from './stored-queues.js';
export type { ExclusiveClaim, ExclusiveClaims } from './exclusive-claims.js';
export { publishMessage, type PublishTarget } from './publish-message.js';
export { ConfirmedPublish } from './confirmed-publish.js';
export {
  DEFAULT_BROKER_URL,
  FAILOVER_STRATEGIES,
  isEmbeddedBrokerUrl,
  isRedisUrl,
  maskBrokerUrl,
  maskedList,
  nodesOf,
  parseBrokerUrl,
  parseFailoverStrategy,
  resolveBrokerUrl,
  type BrokerUrl,
  type FailoverStrategy,
} from './broker-url.js';
export { brokerIdentity, type BrokerIdentity } from './broker-identity.js';
export { createTransport, type TransportOptions } from './create-transport.js';
export { Publisher, type PublisherConnection, type PublisherOptions } from './publisher.js';
export type { ResultBackend } from './result-backend.js';
export { createResultBackend } from './create-result-backend.js';
