import { UsageError, type ErrorCode } from '../errors/index.js';

/**
 * A line the shell cannot run as typed: a syntax error, an unknown command, a wrong number of arguments, a value
 * that does not coerce. Nothing was sent to the broker. `usage` is the command's usage line when there is one.
 */
export class ShellInputError extends UsageError {
  readonly usage: string | undefined;

  constructor(code: Extract<ErrorCode, `shell.${string}`>, message: string, usage?: string) {
    super(message, code);
    this.usage = usage;
  }
}
