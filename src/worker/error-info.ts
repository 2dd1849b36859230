import { exceptionInfo, pyExceptionRepr, type ExceptionInfo } from '../protocol/index.js';

/**
 * How a JavaScript error travels to Python: its type name (a plain `Error` becomes Python's `Exception`), a module
 * Python can rebuild it from, a repr for events and logs (`RuntimeError('kaboom')`), and a traceback text.
 *
 * A handler can pick the Python type of what it throws by naming the error (`err.name = 'RuntimeError'`) and, for
 * types outside Python's builtins, by setting `err.excModule` (Celery then looks the class up in that module and
 * otherwise makes a class of that name on the fly).
 */
export interface PythonError {
  readonly type: string;
  readonly message: string;
  readonly repr: string;
  readonly traceback: string;
  readonly info: ExceptionInfo;
}

export function toPythonError(err: unknown): PythonError {
  const error = err instanceof Error ? err : new Error(typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err)));
  const type = error.name === 'Error' || error.name === '' ? 'Exception' : error.name;
  const module = (error as { excModule?: unknown }).excModule;
  const message = error.message;
  const repr = pyExceptionRepr(type, message);
  const stack = typeof error.stack === 'string' ? stackFrames(error.stack) : '';
  return {
    type,
    message,
    repr,
    traceback: `Traceback (most recent call last):\n${stack}\n${type}: ${message}\n`,
    info: exceptionInfo(type, message, typeof module === 'string' ? module : undefined),
  };
}

/**
 * The frames of a V8 stack (`    at ...` lines, so a message of several lines is not taken for frames), without
 * Node's own (`node:internal/...`, `node:events`, ...), which say nothing to the reader of a task's traceback: the
 * task module's frames and camq's stay.
 */
export function stackFrames(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line) && !/[( ]node:/.test(line))
    .join('\n');
}

/** The repr Celery would print for this error: `ValueError('boom')`. */
export function describeError(err: unknown): string {
  return toPythonError(err).repr;
}
