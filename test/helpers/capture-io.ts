/** Captured streams for driving a CLI program (camq, celeryctl, camqadm) in-process: what it wrote, as text. */
import { PassThrough, Writable } from 'node:stream';
import type { CliIO } from '../../src/cli/cli-io.js';

export interface CapturedIO {
  readonly io: CliIO;
  out(): string;
  err(): string;
}

/** Streams that record stdout and stderr; env has NO_COLOR=1 (plus `env`), stdin and stderr are no TTY unless asked. */
export function captureIO(options: { stdinIsTTY?: boolean; stderrIsTTY?: boolean; env?: Record<string, string> } = {}): CapturedIO {
  let out = '';
  let err = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const stdin = Object.assign(new PassThrough(), { isTTY: options.stdinIsTTY ?? false });
  return {
    io: {
      stdout: sink((t) => (out += t)),
      stderr: Object.assign(
        sink((t) => (err += t)),
        { isTTY: options.stderrIsTTY ?? false },
      ),
      stdin,
      env: { NO_COLOR: '1', ...options.env },
    },
    out: () => out,
    err: () => err,
  };
}
