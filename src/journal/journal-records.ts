import type { EventEnvelope } from '../protocol/event-message.js';

/**
 * What a journal holds: Celery events as received, task message bodies (for an exact retry), and actions (the audit
 * trail). Each is one record; `time` is when the writer had it (epoch ms).
 */

/** A task message as it went to the broker (from the firehose tap, or recorded at the source by camq's clients). */
export interface TaskBodyRecord {
  readonly taskId: string;
  readonly name: string;
  readonly contentType: string;
  readonly contentEncoding: string;
  /** The message body's bytes, base64. */
  readonly body: string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly exchange: string;
  readonly routingKey: string;
}

/** One action camq took on a cluster: revoke, terminate, rate limit, purge, move, retry, call, ... */
export interface ActionRecord {
  /** `user@host` of whoever ran camq. */
  readonly who: string;
  /** The action's name: `revoke`, `rate_limit`, `purge`, `call`, `retry`, ... */
  readonly what: string;
  /** Epoch ms. */
  readonly when: number;
  /** What it acted on: a task id, a worker, a queue. */
  readonly target?: string | readonly string[] | undefined;
  readonly args?: unknown;
  /** The replies (per worker), or the outcome. */
  readonly replies?: unknown;
  /** How it ended, as the engine said (src/audit ActionOutcome: ok, error, code, replies, result). */
  readonly outcome?: unknown;
}

export type JournalEntry =
  | { readonly kind: 'event'; readonly time: number; readonly event: EventEnvelope }
  | { readonly kind: 'task-body'; readonly time: number; readonly body: TaskBodyRecord }
  | { readonly kind: 'action'; readonly time: number; readonly action: ActionRecord };

export type JournalEntryKind = JournalEntry['kind'];
