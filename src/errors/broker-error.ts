import { CamqError, ExitCode } from './camq-error.js';
import { isErrorCode, type ErrorCode } from './error-codes.js';

/**
 * The broker closed a channel or the connection with an AMQP reply code (`404 NOT_FOUND - no queue 'x' in
 * vhost '/'`). The reply code and text stay data, so callers can tell a 404 from a 406 without parsing.
 */
export class BrokerError extends CamqError {
  readonly replyCode: number;
  readonly replyText: string;
  readonly classId: number | undefined;
  readonly methodId: number | undefined;
  /** True when only the channel was closed; false when the broker closed the whole connection. */
  readonly isChannelError: boolean;

  constructor(init: {
    replyCode: number;
    replyText: string;
    classId?: number | undefined;
    methodId?: number | undefined;
    isChannelError: boolean;
    cause?: unknown;
  }) {
    super(brokerErrorCode(init.replyCode), brokerErrorMessage(init.replyCode, init.replyText), {
      cause: init.cause,
      exitCode: ExitCode.usage,
    });
    this.replyCode = init.replyCode;
    this.replyText = init.replyText;
    this.classId = init.classId;
    this.methodId = init.methodId;
    this.isChannelError = init.isChannelError;
  }
}

/** AMQP 0-9-1 reply codes by number, with the names RabbitMQ prints. */
export const ReplyCode = {
  CONTENT_TOO_LARGE: 311,
  NO_ROUTE: 312,
  NO_CONSUMERS: 313,
  CONNECTION_FORCED: 320,
  INVALID_PATH: 402,
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
  FRAME_ERROR: 501,
  SYNTAX_ERROR: 502,
  COMMAND_INVALID: 503,
  CHANNEL_ERROR: 504,
  UNEXPECTED_FRAME: 505,
  RESOURCE_ERROR: 506,
  NOT_ALLOWED: 530,
  NOT_IMPLEMENTED: 540,
  INTERNAL_ERROR: 541,
} as const;

/**
 * One line for a user: the reply code and the first line of the text (RabbitMQ's deprecation texts run to several
 * lines on how to configure the broker), with what to do where the broker's own words do not say it.
 */
function brokerErrorMessage(replyCode: number, replyText: string): string {
  const firstLine = replyText.split('\n', 1)[0]!.trim();
  const advice = adviceFor(replyCode, replyText);
  if (advice === undefined) return `${replyCode} ${firstLine}`;
  return firstLine.endsWith('.') ? `${replyCode} ${firstLine} ${advice}` : `${replyCode} ${firstLine}. ${advice}`;
}

function adviceFor(replyCode: number, replyText: string): string | undefined {
  if (replyCode === ReplyCode.INTERNAL_ERROR && replyText.includes('transient_nonexcl_queues')) {
    return "This broker refuses queues that are neither durable nor exclusive (RabbitMQ 4.3's default): declare the queue durable or exclusive";
  }
  if (replyCode === ReplyCode.NOT_IMPLEMENTED && replyText.includes('does not support global qos')) {
    return 'A consumer of a quorum queue needs per-consumer prefetch (basic.qos global=false): camq worker uses it once it knows the type (-Q name:quorum); a Python Celery 5.2 worker needs the bootstep in docs/worker.md (Quorum queues)';
  }
  return undefined;
}

/** `broker.not-found` for 404: the reply code's name in kebab-case (each is in ERROR_CODES), else `broker.error`. */
function brokerErrorCode(replyCode: number): ErrorCode {
  for (const [name, code] of Object.entries(ReplyCode)) {
    if (code !== replyCode) continue;
    const errorCode = `broker.${name.toLowerCase().replace(/_/g, '-')}`;
    return isErrorCode(errorCode) ? errorCode : 'broker.error';
  }
  return 'broker.error';
}

/**
 * What a 406 refusal of a redeclare names (RabbitMQ's rabbit_amqqueue equivalence check, and the embedded broker's
 * copy): "inequivalent arg 'x-queue-type' for queue 'q' in vhost 'v': received none but current is the value
 * 'quorum' of type 'longstr'" → { arg: 'x-queue-type', current: 'quorum' }; a current of `none` (the queue has no such
 * argument) → current undefined. Undefined for any other text.
 */
export function inequivalentArg(replyText: string): { readonly arg: string; readonly current: string | undefined } | undefined {
  const m = /inequivalent arg '([^']+)'.*current is (?:none|(?:the value )?'([^']*)')/.exec(replyText);
  return m ? { arg: m[1]!, current: m[2] } : undefined;
}
