/**
 * camq as a library: the engines behind the binaries, usable from your own Node code.
 *
 *   import { CamqApp, ControlClient, EventReceiver, ClusterStore, ShellSession, createTransport, QueueLister } from 'camq';
 *
 * The engines take a Transport (one broker connection: channels, connection events, setup hooks); createTransport
 * makes one for a broker URL (BrokerConnection, on amqplib, for amqp:// and amqps://).
 *
 * Views (the CLI text and the Ink TUI) are not part of this surface.
 */
// Every error camq raises on purpose is a CamqError with a code from ERROR_CODES; these are its classes, so a caller
// can `catch (err) { if (err instanceof TaskFailedError) ... }` on what it imported from 'camq'.
export {
  CamqError,
  ERROR_CODES,
  ExitCode,
  isErrorCode,
  UsageError,
  BrokerError,
  ReplyCode,
  BrokerConnectionError,
  ConnectionClosedError,
  ManagementApiError,
  type ErrorCode,
} from './errors/index.js';
export { UnencodableError } from './amqp/index.js';
export { MessageReturnedError, ShellInputError } from './shell/index.js';

export { BrokerConnection, type BrokerConnectionEvents, type BrokerConnectionOptions } from './amqp/index.js';

export {
  brokerIdentity,
  createTransport,
  DEFAULT_BROKER_URL,
  maskBrokerUrl,
  nodesOf,
  parseBrokerUrl,
  parseFailoverStrategy,
  publishMessage,
  resolveBrokerUrl,
  type BrokerIdentity,
  type BrokerUrl,
  type FailoverStrategy,
  type Transport,
  type TransportChannel,
  type TransportEvents,
  type TransportOptions,
} from './transport/index.js';

export * as protocol from './protocol/index.js';

export { ShellSession, type ShellSessionOptions, type ShellOutcome, type CommandResult } from './shell/index.js';

export {
  ControlClient,
  type CallOptions,
  type ControlClientOptions,
  type ControlResult,
  type ExpectedNodes,
  type TargetOptions,
} from './control/index.js';

export { ClusterState, ClusterStore, EventReceiver } from './events/index.js';

// Queue figures (docs/queues.md): the management API where it answers for the broker, AMQP passive declares without.
export {
  ManagementApi,
  QueueGrowth,
  QueueLister,
  discoverManagementApi,
  liveMailboxes,
  queueMarkers,
  selectQueues,
  workerQueueConsumers,
  workerQueueNames,
  type QueueFigures,
  type QueueListerOptions,
  type QueueListing,
  type QueueMarker,
} from './queues/index.js';

export {
  AsyncResult,
  CamqApp,
  ControlPanel,
  Ignore,
  MaxRetriesExceededError,
  NotRegistered,
  Reject,
  Retry,
  SoftTimeLimitExceeded,
  Task,
  TaskRevokedError,
  TimeLimitExceeded,
  Worker,
  ResultTimeoutError,
  TaskFailedError,
  type AppOptions,
  type ApplyOptions,
  type TaskContext,
  type TaskHandler,
  type TaskOptions,
  type WorkerOptions,
  parseQueueSpec,
  deleteDelayTopology,
  type QueueType,
} from './worker/index.js';

export { systemClock, type Clock } from './util/clock.js';
export { ManualClock } from './util/manual-clock.js';
export { createLogger, type Logger, type LogLevel } from './util/logger.js';

// Metrics (docs/metrics.md): celery-exporter's series from events and queue figures, and a worker's own.
export * from './metrics/index.js';
export { MetricsServer, type HealthReport, type MetricsServerOptions, type MetricsSource } from './http/metrics-server.js';
export { DEFAULT_METRICS_LISTEN, parseListenAddress, type ListenAddress } from './http/listen-address.js';

// Actions (docs/audit.md): what changes the cluster, read-only mode, the audit trail's records and sinks.
export * from './audit/index.js';
// Sending tasks on a user's behalf (docs/call.md, docs/retry.md): calls and exact retries.
export * from './dispatch/index.js';
// The task tap on RabbitMQ's firehose (docs/tap.md).
export * from './tap/index.js';
export { decodeTappedTask, decodeTraceMessage, TRACE_EXCHANGE, type TappedTaskBody, type TracedPublish } from './protocol/trace-message.js';
export { parsePythonLiteral, parseArgsRepr, parseKwargsRepr, type LiteralResult } from './protocol/python-literal.js';
