export {
  BrokerConnection,
  type BrokerConnectionEvents,
  type BrokerConnectionOptions,
  type ConnectedInfo,
  type ReconnectingInfo,
  type SetupHook,
} from './broker-connection.js';
export { DEFAULT_BROKER_URL, isEmbeddedBrokerUrl, maskBrokerUrl, parseBrokerUrl, resolveBrokerUrl, type BrokerUrl } from '../transport/broker-url.js';
export { translateAmqpError } from './amqp-error.js';
export { connectionReason } from '../errors/index.js';
export { guardFrameDecoding } from './frame-guard.js';
export { UNDECODABLE_HEADERS } from '../transport/transport-channel.js';
export {
  bindQueueNowait,
  consumeNowait,
  declareExchangeNowait,
  declareQueueNowait,
  type ExchangeNowaitOptions,
  type QueueNowaitOptions,
} from './nowait.js';
export { pythonSafeHeaders, toWireProperties } from './publish.js';
export type { Channel, ConfirmChannel, ConsumeMessage, GetMessage, Message, Options, Replies } from 'amqplib';
export { guardEncoding, UnencodableError } from './encode-guard.js';
export { SHORTSTR_MAX_BYTES, shortstrProblem } from '../protocol/shortstr.js';
