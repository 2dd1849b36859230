import { ExitCode } from '../errors/camq-error.js';

/**
 * What a CLI program reads and writes, injected so commands are testable without a terminal and without
 * stubbing `process`: streams, environment, and whether output is a colour TTY.
 */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

/**
 * The process's own streams, each looked up on first use: Node creates process.stdin (and stderr) only when asked,
 * and a command that never reads stdin should not pay for setting it up (celeryctl's start-up is benchmarked). An
 * output stream ends the program quietly once its reader has gone (see endQuietlyOnClosedPipe).
 */
export const processIO: CliIO = {
  get stdout() {
    return endQuietlyOnClosedPipe(process.stdout);
  },
  get stderr() {
    return endQuietlyOnClosedPipe(process.stderr);
  },
  get stdin() {
    return process.stdin;
  },
  env: process.env,
};

const guarded = new WeakSet<NodeJS.WriteStream>();

/** What runs before a closed pipe ends the program, while it runs (see cleanUpOnClosedPipe). */
let closedPipeCleanup: (() => Promise<void>) | undefined;
let isCleaningUp = false;

/**
 * A command that owns resources outside its process (the demo's worker processes and its queue on the user's
 * broker) takes them back before a closed pipe ends the program, instead of leaving them behind; `undefined`
 * forgets it again. Writes failing meanwhile are ignored.
 */
export function cleanUpOnClosedPipe(cleanup: (() => Promise<void>) | undefined): void {
  closedPipeCleanup = cleanup;
}

/**
 * Node ignores SIGPIPE, so a write to a pipe whose reader left (`celeryctl inspect registered | head -3`) fails with
 * EPIPE, and unhandled that is a stack trace. End quietly instead, as a program killed by SIGPIPE would. Whatever
 * the broker holds for us is safe: unacked messages come back when the connection drops.
 */
function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  if (guarded.has(stream)) return stream;
  guarded.add(stream);
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    if (isCleaningUp) return;
    const cleanup = closedPipeCleanup;
    if (!cleanup) process.exit(ExitCode.closedPipe);
    isCleaningUp = true;
    void cleanup().finally(() => process.exit(ExitCode.closedPipe));
  });
  return stream;
}

/** Colour only on a TTY, never with NO_COLOR set (any value), always with FORCE_COLOR set to a non-zero value. */
export function useColor(io: CliIO, stream: 'stdout' | 'stderr' = 'stdout'): boolean {
  if (io.env['NO_COLOR'] !== undefined && io.env['NO_COLOR'] !== '') return false;
  const force = io.env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0') return true;
  return io[stream].isTTY === true && io.env['TERM'] !== 'dumb';
}

export function writeLine(stream: NodeJS.WritableStream, line = ''): void {
  stream.write(line + '\n');
}
