export { CamqApp, type AppOptions, type TaskModule } from './app.js';
export { AsyncResult, ResultTimeoutError, TaskFailedError } from './async-result.js';
export { ControlPanel, PanelError, type ControlCommandHandler, type ControlCommandOptions, type ControlTarget } from './control-panel.js';
export { POOL_KINDS, type Pool, type PoolKind } from './pool.js';
export { Request } from './request.js';
export { RevokedSet } from './revoked-set.js';
export { RateLimiter, TokenBucket } from './rate-limiter.js';
export { EtaScheduler } from './eta-scheduler.js';
export { Task, type ApplyOptions } from './task.js';
export { loadTaskModule } from './task-module.js';
export { TaskDefinition, TaskRegistry, type RetryOptions, type TaskContext, type TaskHandler, type TaskOptions } from './task-registry.js';
export {
  Ignore,
  MaxRetriesExceededError,
  NotRegistered,
  Reject,
  Retry,
  SoftTimeLimitExceeded,
  TaskRevokedError,
  TimeLimitExceeded,
} from './task-errors.js';
export { Worker, type WorkerEvents } from './worker.js';
export { type DiscardedTask, type DiscardReason } from './request-lifecycle.js';
export { type WorkerOptions } from './worker-options.js';
export { parseQueueSpec, QUEUE_TYPES, type QueueType } from './task-queue.js';
export {
  DelayedDelivery,
  declareDelayTopology,
  deleteDelayTopology,
  delayRoutingKey,
  returnBindingKey,
  DELIVERY_EXCHANGE,
} from './delayed-delivery.js';
