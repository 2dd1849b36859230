import { CamqError, ExitCode } from './camq-error.js';

/**
 * We could not reach or log in to the broker, or lost it for good. The message always names the masked URL
 * (`amqp://guest:**@host:5672//`), never the password. Exit 2.
 */
export class BrokerConnectionError extends CamqError {
  readonly maskedUrl: string;
  /**
   * Why, in a few words and without advice (`connection refused (ECONNREFUSED)`): what a reconnect line shows,
   * where "is the broker running? Set -b/--broker" would mislead about a URL that worked a moment ago.
   */
  readonly reason: string;

  constructor(
    code: 'broker.unreachable' | 'broker.tls-untrusted' | 'broker.auth-failed' | 'broker.timeout' | 'broker.lost',
    message: string,
    maskedUrl: string,
    options: { cause?: unknown; reason?: string } = {},
  ) {
    super(code, message, { ...(options.cause === undefined ? {} : { cause: options.cause }), exitCode: ExitCode.broker });
    this.maskedUrl = maskedUrl;
    this.reason = options.reason ?? message;
  }
}

/** An operation was attempted on a connection, channel or client that is already closed. */
export class ConnectionClosedError extends CamqError {
  constructor(message = 'the broker connection is closed') {
    super('broker.closed', message, { exitCode: ExitCode.broker });
  }
}

/** Why a connection failed or was lost, in a few words and without advice (see BrokerConnectionError.reason). */
export function connectionReason(error: CamqError): string {
  return error instanceof BrokerConnectionError ? error.reason : error.message;
}
