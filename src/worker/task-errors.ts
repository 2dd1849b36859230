import { describeError } from './error-info.js';

/**
 * Control-flow errors a task handler throws and the worker interprets, named after Celery's exceptions so the
 * results and events a Python peer sees carry the same type names (`Retry`, `Reject`, `Ignore`,
 * `SoftTimeLimitExceeded`, `TimeLimitExceeded`, `TaskRevokedError`, `NotRegistered`, `MaxRetriesExceededError`).
 */

/** A handler asked to run again later (`ctx.retry(...)`). The worker republishes with `retries + 1` and an ETA. */
export class Retry extends Error {
  override readonly name = 'Retry';
  /** Epoch milliseconds of the next run. */
  readonly etaMs: number;
  /** The error that caused the retry, if any: it is what task-retried events and RETRY results carry. */
  readonly exc: unknown;
  /** Seconds from now, for the log line (`Retry in 2s: ValueError('boom')`). */
  readonly countdown: number;

  constructor(etaMs: number, countdown: number, exc?: unknown) {
    super(`Retry in ${formatSeconds(countdown)}s${exc === undefined ? '' : `: ${describeError(exc)}`}`);
    this.etaMs = etaMs;
    this.countdown = countdown;
    this.exc = exc;
  }
}

/** Reject the message (`basic.reject`); only takes effect when it was not acked yet (acks-late tasks). */
export class Reject extends Error {
  override readonly name = 'Reject';
  readonly requeue: boolean;
  constructor(reason = 'rejected', options: { requeue?: boolean } = {}) {
    super(reason);
    this.requeue = options.requeue ?? false;
  }
}

/** Ack the message and record nothing: no result, no event. */
export class Ignore extends Error {
  override readonly name = 'Ignore';
  constructor(reason = 'ignored') {
    super(reason);
  }
}

/** The reason of the handler's AbortSignal when its soft time limit passed. Uncaught, it fails the task. */
export class SoftTimeLimitExceeded extends Error {
  override readonly name = 'SoftTimeLimitExceeded';
  constructor() {
    super('');
  }
}

/** The task ran past its hard time limit and its slot was killed. */
export class TimeLimitExceeded extends Error {
  override readonly name = 'TimeLimitExceeded';
  constructor(seconds: number) {
    super(formatSeconds(seconds));
  }
}

/** The reason of the handler's AbortSignal when it was revoked with terminate. */
export class TaskRevokedError extends Error {
  override readonly name = 'TaskRevokedError';
  constructor(reason: 'revoked' | 'expired' | 'terminated' = 'terminated') {
    super(reason);
  }
}

/** `ctx.retry()` past `maxRetries` without an `exc` to raise. */
export class MaxRetriesExceededError extends Error {
  override readonly name = 'MaxRetriesExceededError';
}

/** A message named a task this worker does not have. */
export class NotRegistered extends Error {
  override readonly name = 'NotRegistered';
}

export function formatSeconds(seconds: number): string {
  return Number.isInteger(seconds) ? String(seconds) : String(Number(seconds.toFixed(6)));
}
