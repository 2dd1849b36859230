/**
 * bin/camq as a long-running child (`camq record`, `camq exporter`, …): its stdout and stderr collected into one
 * text, a wait for a line, and a stop. Build first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { whenExited } from './child-exit.js';
import { ROOT } from './run-bin.js';

export interface RunningCamq {
  readonly process: ChildProcess;
  /** Its stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in its output; throws if it exits or `timeoutMs` passes first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** `signal` (SIGTERM) unless it already exited; resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startCamqBin(args: readonly string[]): RunningCamq {
  const child = spawn(process.execPath, [`${ROOT}bin/camq`, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = whenExited(child);
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return {
    process: child,
    output: () => out,
    waitFor: async (pattern, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = pattern.exec(out);
        if (m) return m;
        if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
          throw new Error(
            `camq ${args.join(' ')}: waited for ${String(pattern)}${child.exitCode !== null ? ` (exited ${child.exitCode})` : ''}:\n${out}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
