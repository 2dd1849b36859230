import { CamqError, ExitCode } from './camq-error.js';
import type { ErrorCode } from './error-codes.js';

/** The user typed something we cannot act on: a bad argument, an unknown command, a malformed value. Exit 1. */
export class UsageError extends CamqError {
  constructor(message: string, code: ErrorCode = 'usage.bad-argument', options: { cause?: unknown; details?: readonly string[] } = {}) {
    super(code, message, { ...options, exitCode: ExitCode.usage });
  }
}
