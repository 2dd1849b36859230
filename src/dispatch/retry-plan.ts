/**
 * Deciding a retry (docs/retry.md): given what camq knows of a failed task, whether its exact arguments are known,
 * and the message that sends it again. Pure apart from the new ids; sending is TaskDispatcher's.
 *
 * The exact arguments are known from a tapped body (the bytes the caller published, through the firehose) always;
 * from the `argsrepr`/`kwargsrepr` of its task-sent or task-received event only when both are complete Python
 * literals that convert to JSON without loss (src/protocol/python-literal.ts). Anything else is refused with a code
 * and the reason.
 */
import type { ErrorCode } from '../errors/index.js';
import { parseArgsRepr, parseKwargsRepr, type LiteralResult } from '../protocol/python-literal.js';
import { buildTappedResend, RETRY_OF_HEADER } from '../protocol/task-resend.js';
import type { OutgoingMessage } from '../protocol/amqp-message.js';
import type { TappedTaskBody } from '../protocol/trace-message.js';
import { randomUUID } from 'node:crypto';

/** What camq knows of a failed task. */
export interface RetrySource {
  readonly taskId: string;
  /** The task name (from its events). */
  readonly name: string;
  /** The message as published, when a tap saw it: used as it is. */
  readonly tapped?: TappedTaskBody | undefined;
  /** The `args`/`kwargs` fields of its task-sent or task-received event (Celery's argsrepr/kwargsrepr). */
  readonly argsrepr?: string | null | undefined;
  readonly kwargsrepr?: string | null | undefined;
  /** Where it was sent (task-sent's `queue`, `exchange`, `routing_key`); a task-received event does not say. */
  readonly queue?: string | null | undefined;
  readonly exchange?: string | null | undefined;
  readonly routingKey?: string | null | undefined;
}

/** A retry camq will send: the old task, the new id, and what it sends. */
export type RetryPlan =
  | {
      readonly kind: 'tapped';
      readonly retryOf: string;
      readonly newId: string;
      readonly name: string;
      /** The exact message, ready to publish. */
      readonly message: OutgoingMessage;
    }
  | {
      readonly kind: 'repr';
      readonly retryOf: string;
      readonly newId: string;
      readonly name: string;
      readonly args: unknown[];
      readonly kwargs: Record<string, unknown>;
      /** The queue it goes to: the one it was sent to, else the caller's default. */
      readonly queue: string;
      readonly exchange?: string | undefined;
      readonly routingKey?: string | undefined;
      readonly headers: Readonly<Record<string, string>>;
    };

/** Why a task cannot be retried exactly. */
export interface RetryRefusal {
  readonly taskId: string;
  readonly name: string;
  readonly code: ErrorCode;
  /** One line: what is missing and what to do. */
  readonly reason: string;
}

export type RetryDecision = { readonly ok: true; readonly plan: RetryPlan } | { readonly ok: false; readonly refusal: RetryRefusal };

/** A group retry's dry run: what would be sent and what is refused, nothing sent yet. */
export interface GroupRetryPlan {
  readonly plans: readonly RetryPlan[];
  readonly refused: readonly RetryRefusal[];
}

export interface PlanOptions {
  /** The queue of a task whose events do not say where it went. @defaultValue 'celery' */
  readonly defaultQueue?: string;
  /** New task ids. @defaultValue randomUUID */
  readonly newId?: () => string;
  /** Epoch ms (dropping a past eta/expires of a tapped body). @defaultValue Date.now() */
  readonly now?: number;
}

const REFUSAL_CODES: Readonly<Record<Exclude<LiteralResult, { ok: true }>['reason'], ErrorCode>> = {
  truncated: 'retry.args-truncated',
  object: 'retry.args-not-literal',
  lossy: 'retry.args-lossy',
  syntax: 'retry.args-not-literal',
};

/** Decide one retry. */
export function planRetry(source: RetrySource, options: PlanOptions = {}): RetryDecision {
  const newId = (options.newId ?? randomUUID)();
  if (source.tapped !== undefined) {
    const message = buildTappedResend(source.tapped, { newId, ...(options.now === undefined ? {} : { now: options.now }) });
    return { ok: true, plan: { kind: 'tapped', retryOf: source.taskId, newId, name: source.tapped.name, message } };
  }
  const refuse = (code: ErrorCode, reason: string): RetryDecision => ({
    ok: false,
    refusal: { taskId: source.taskId, name: source.name, code, reason },
  });
  if (typeof source.argsrepr !== 'string' || typeof source.kwargsrepr !== 'string') {
    return refuse(
      'retry.args-unknown',
      `the arguments of ${source.name}[${source.taskId}] are unknown (no tapped message, no args in its events); tap the vhost's firehose to keep them (docs/tap.md)`,
    );
  }
  const args = parseArgsRepr(source.argsrepr);
  if (!args.ok) return refuse(REFUSAL_CODES[args.reason], `cannot retry ${source.name}[${source.taskId}] exactly: its args ${args.detail}`);
  const kwargs = parseKwargsRepr(source.kwargsrepr);
  if (!kwargs.ok) return refuse(REFUSAL_CODES[kwargs.reason], `cannot retry ${source.name}[${source.taskId}] exactly: its kwargs ${kwargs.detail}`);
  const toExchange = typeof source.exchange === 'string' && source.exchange !== '';
  return {
    ok: true,
    plan: {
      kind: 'repr',
      retryOf: source.taskId,
      newId,
      name: source.name,
      args: args.value as unknown[],
      kwargs: kwargs.value as Record<string, unknown>,
      queue: source.queue ?? options.defaultQueue ?? 'celery',
      ...(toExchange ? { exchange: source.exchange, routingKey: source.routingKey ?? source.queue ?? undefined } : {}),
      headers: { [RETRY_OF_HEADER]: source.taskId },
    },
  };
}

/** A group retry's dry run: each task planned or refused; apply the plans with TaskDispatcher.retry. */
export function planGroupRetry(sources: readonly RetrySource[], options: PlanOptions = {}): GroupRetryPlan {
  const plans: RetryPlan[] = [];
  const refused: RetryRefusal[] = [];
  for (const source of sources) {
    const decision = planRetry(source, options);
    if (decision.ok) plans.push(decision.plan);
    else refused.push(decision.refusal);
  }
  return { plans, refused };
}
