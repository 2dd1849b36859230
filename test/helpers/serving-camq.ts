/**
 * bin/camq started as a metrics server (`camq exporter`, `camq record --metrics`): resolves once its stdout names
 * the URL it serves (the pattern's first group), rejects with its output if it exits first. Build first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { whenExited } from './child-exit.js';
import { ROOT } from './run-bin.js';

export interface ServingCamq {
  /** `http://127.0.0.1:<port>`, from the line that says where it serves. */
  readonly base: string;
  readonly process: ChildProcess;
  /** Its stdout and stderr so far. */
  output(): string;
  /** SIGTERM unless it already exited; resolves with its exit code. */
  stop(): Promise<number | null>;
}

export const SERVING_METRICS = /serving (http:\/\/[^/]+)\/metrics/;

export async function startServingCamq(args: readonly string[], pattern: RegExp = SERVING_METRICS): Promise<ServingCamq> {
  const child = spawn(process.execPath, [`${ROOT}bin/camq`, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = whenExited(child);
  let out = '';
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const base = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = pattern.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`camq ${args.join(' ')} exited ${code}:\n${out}`)));
  });
  return {
    base,
    process: child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
