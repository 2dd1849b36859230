import { ReplyCode } from '../errors/index.js';

/**
 * A channel or connection exception the broker raises, with RabbitMQ's reply code and text
 * (`404`, `NOT_FOUND - no queue 'x' in vhost '/'`). Handlers throw it; the channel or connection that ran the
 * method catches it, adds the class and method id, and closes itself (soft codes) or the connection (hard codes),
 * as AMQP 0-9-1 §1.2 and RabbitMQ decide.
 */
export class AmqpException extends Error {
  readonly replyCode: number;
  readonly replyText: string;

  constructor(replyCode: number, text: string) {
    const replyText = truncateReplyText(`${replyCodeName(replyCode)} - ${text}`);
    super(replyText);
    this.name = 'AmqpException';
    this.replyCode = replyCode;
    this.replyText = replyText;
  }

  /** Hard errors close the whole connection; soft ones close only the channel. */
  get isConnectionError(): boolean {
    return !SOFT_CODES.has(this.replyCode);
  }
}

const SOFT_CODES = new Set<number>([
  ReplyCode.CONTENT_TOO_LARGE,
  ReplyCode.NO_ROUTE,
  ReplyCode.NO_CONSUMERS,
  ReplyCode.ACCESS_REFUSED,
  ReplyCode.NOT_FOUND,
  ReplyCode.RESOURCE_LOCKED,
  ReplyCode.PRECONDITION_FAILED,
]);

/** A reply text is a short string: RabbitMQ cuts longer ones to 252 bytes and adds `...`. */
export function truncateReplyText(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= 255) return text;
  // Drop a UTF-8 sequence cut in half rather than send an invalid one.
  return `${bytes
    .subarray(0, 252)
    .toString('utf8')
    .replace(/\uFFFD$/, '')}...`;
}

function replyCodeName(code: number): string {
  for (const [name, value] of Object.entries(ReplyCode)) {
    if (value === code) return name;
  }
  return String(code);
}

/** `queue 'q' in vhost '/'`: how RabbitMQ names a resource in its reply texts. */
export function describeResource(kind: 'queue' | 'exchange', name: string, vhost: string): string {
  return `${kind} '${name}' in vhost '${vhost}'`;
}

export const notFound = (text: string): AmqpException => new AmqpException(ReplyCode.NOT_FOUND, text);
export const accessRefused = (text: string): AmqpException => new AmqpException(ReplyCode.ACCESS_REFUSED, text);
export const preconditionFailed = (text: string): AmqpException => new AmqpException(ReplyCode.PRECONDITION_FAILED, text);
export const notImplemented = (text: string): AmqpException => new AmqpException(ReplyCode.NOT_IMPLEMENTED, text);
export const commandInvalid = (text: string): AmqpException => new AmqpException(ReplyCode.COMMAND_INVALID, text);
export const channelError = (text: string): AmqpException => new AmqpException(ReplyCode.CHANNEL_ERROR, text);
export const unexpectedFrame = (text: string): AmqpException => new AmqpException(ReplyCode.UNEXPECTED_FRAME, text);
export const frameError = (text: string): AmqpException => new AmqpException(ReplyCode.FRAME_ERROR, text);
export const notAllowed = (text: string): AmqpException => new AmqpException(ReplyCode.NOT_ALLOWED, text);

export function resourceLocked(kind: 'queue', name: string, vhost: string): AmqpException {
  return new AmqpException(
    ReplyCode.RESOURCE_LOCKED,
    `cannot obtain exclusive access to locked ${describeResource(kind, name, vhost)}. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
  );
}

/** RabbitMQ's `inequivalent arg 'durable' for exchange 'x' in vhost '/': received 'true' but current is 'false'`. */
export function inequivalentArg(arg: string, resource: string, received: string, current: string): AmqpException {
  return preconditionFailed(`inequivalent arg '${arg}' for ${resource}: received ${received} but current is ${current}`);
}

/**
 * RabbitMQ 4.3's refusal of a queue that is neither durable nor exclusive: 541 on the whole connection, its text
 * opening with the deprecated feature's name (the rest of RabbitMQ's text, how to permit it again, is its own).
 */
export const transientQueueDenied = (name: string): AmqpException =>
  new AmqpException(
    ReplyCode.INTERNAL_ERROR,
    `Feature \`transient_nonexcl_queues\` is deprecated.\nIts use is not permitted by this broker (--deny-transient-nonexcl-queues): declare queue '${name}' durable or exclusive.`,
  );

/** Anything that is not an AmqpException thrown by a handler is a broker bug: 541 INTERNAL_ERROR. */
export function toAmqpException(err: unknown): AmqpException {
  if (err instanceof AmqpException) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AmqpException(ReplyCode.INTERNAL_ERROR, `internal error: ${message}`);
}
