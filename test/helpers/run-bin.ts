/** Run one of camq's built binaries (bin/camq, bin/camqadm, bin/celeryctl) as a user would, and collect its output. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { scratchDataHome } from './scratch-data-home.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface BinResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export function runBin(
  bin: 'camq' | 'camqadm' | 'celeryctl',
  args: readonly string[],
  options: { input?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<BinResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}bin/${bin}`, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', XDG_DATA_HOME: scratchDataHome(), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${bin} ${args.join(' ')} did not finish within ${options.timeoutMs ?? 30_000} ms\nstdout:${stdout}\nstderr:${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - started });
    });
    child.stdin.end(options.input ?? '');
  });
}
