export { asCamqError, CamqError, ExitCode, type CamqErrorOptions } from './camq-error.js';
export { ERROR_CODES, isErrorCode, type ErrorCode } from './error-codes.js';
export { UsageError } from './usage-error.js';
export { BrokerError, inequivalentArg, ReplyCode } from './broker-error.js';
export { BrokerConnectionError, ConnectionClosedError, connectionReason } from './connection-error.js';
export { ExitRequest } from './exit-request.js';
export { ManagementApiError, type ManagementApiErrorCode } from './management-api-error.js';
export { SOCKET_REASONS } from './socket-reasons.js';
export { TLS_TRUST_REASONS } from './tls-trust-reasons.js';
