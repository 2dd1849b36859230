import type { ErrorCode } from './error-codes.js';

/**
 * The base of every error camq raises on purpose.
 *
 * `code` is one of ERROR_CODES (error-codes.ts), namespaced (`broker.not-found`, `control.no-reply`,
 * `usage.bad-argument`) so callers branch on data, not on message text. `exitCode` is what a CLI exits with when this
 * error ends a command (README.md, Exit codes: 1 usage, 2 broker unreachable or auth failed, 3 no worker replied). The
 * message is one line a user can act on.
 */
export interface CamqErrorOptions {
  readonly cause?: unknown;
  /** @defaultValue 1 */
  readonly exitCode?: number;
  /** Lines a CLI prints under the message, such as a source line and a caret under a syntax error. */
  readonly details?: readonly string[];
}

export class CamqError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, options: CamqErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
    this.details = options.details ?? [];
  }
}

/** Exit codes shared by every binary (README.md, "Exit codes"). */
export const ExitCode = {
  ok: 0,
  usage: 1,
  broker: 2,
  noReply: 3,
  /** The reader of stdout went away (`camqadm --help | head`): 128 + SIGPIPE, as coreutils end there. */
  closedPipe: 141,
} as const;

/**
 * `err` as a CamqError: itself when it is one (a transport's errors always are), else wrapped with `code` and its
 * message, so a caller that reports one line per failure never prints a bare library error.
 */
export function asCamqError(err: unknown, code: ErrorCode = 'broker.error'): CamqError {
  if (err instanceof CamqError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CamqError(code, message, { cause: err });
}
