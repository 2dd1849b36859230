import { CamqError, ExitCode } from './camq-error.js';
import type { ErrorCode } from './error-codes.js';

/** The codes of the `api` area (error-codes.ts). */
export type ManagementApiErrorCode = Extract<ErrorCode, `api.${string}`>;

/**
 * RabbitMQ's management HTTP API (or the embedded broker's copy of it) did not give camq what it asked for: it did
 * not answer, answered too late, refused the login or the vhost, answered HTML, or describes another broker. The
 * message names the API's address (never a password) and the request. Exit 2, as for a broker that is unreachable
 * or refuses the login (README.md, Exit codes).
 */
export class ManagementApiError extends CamqError {
  /** The HTTP status, when the API answered one. */
  readonly status: number | undefined;

  constructor(code: ManagementApiErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(code, message, { exitCode: ExitCode.broker, ...(options.cause === undefined ? {} : { cause: options.cause }) });
    this.status = options.status;
  }
}
