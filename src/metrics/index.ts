export {
  CeleryMetrics,
  COUNTED_TASK_EVENTS,
  DEFAULT_LABEL_LIMITS,
  DEFAULT_PURGE_OFFLINE_SECONDS,
  DEFAULT_WORKER_TIMEOUT_SECONDS,
  type CeleryMetricsOptions,
} from './celery-metrics.js';
export { exceptionLabel, hostnameLabel, QUEUE_WAIT_BUCKETS, RUNTIME_BUCKETS, UNKNOWN_NAME } from './exporter-labels.js';
export { LabelGuard, MAX_LABEL_LENGTH, OVERFLOW_LABEL } from './label-guard.js';
export { WorkerMetrics, type ObservedWorker } from './worker-metrics.js';
export { Exporter, type ExporterHealth, type ExporterOptions } from './exporter.js';
