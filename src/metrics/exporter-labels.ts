/**
 * How danihodovic/celery-exporter fills its labels (src/exporter.py, docs/metrics.md), so dashboards built on it read
 * camq's series unchanged.
 */

/** celery-exporter's `get_hostname` (Celery's `nodesplit`): the part after the first `@`, or the whole name. */
export function hostnameLabel(nodename: string): string {
  const at = nodename.indexOf('@');
  return at < 0 ? nodename : nodename.slice(at + 1);
}

const EXCEPTION_CLASS = /^(\w+)\(/;

/** celery-exporter's `get_exception_class_name`: `ValueError` of `ValueError('bad')`, else `UnknownException`. */
export function exceptionLabel(exception: unknown): string {
  if (typeof exception !== 'string') return 'UnknownException';
  return EXCEPTION_CLASS.exec(exception)?.[1] ?? 'UnknownException';
}

/** Python's `str(None)`: the name label of a task whose name no event told (the mixin filters `name!~"None"`). */
export const UNKNOWN_NAME = 'None';

/**
 * prometheus_client's `Histogram.DEFAULT_BUCKETS` (without +Inf, which every client adds), celery-exporter's default
 * `--buckets` for `celery_task_runtime`. prom-client's own defaults differ (no 0.075, 0.75, 7.5).
 */
export const RUNTIME_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** celery-exporter's DEFAULT_QUEUE_WAIT_BUCKETS for `celery_task_queue_wait_time`. */
export const QUEUE_WAIT_BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
