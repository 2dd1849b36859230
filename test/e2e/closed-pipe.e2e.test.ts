/**
 * `camqadm help | head -1`: the reader goes away before the program is done writing. Each binary ends quietly with
 * 141 (128 + SIGPIPE, as coreutils do) instead of printing an EPIPE stack trace.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDataHome } from '../helpers/scratch-data-home.js';
import { ROOT } from '../helpers/run-bin.js';

function runWithClosedStdout(bin: string, args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', bin), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, XDG_DATA_HOME: scratchDataHome() },
  });
  // Close our end before the program writes anything: its first write to stdout fails with EPIPE.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('a closed stdout', () => {
  it.each([
    ['camqadm', ['help']],
    ['camqadm', ['--help']],
    ['camq', ['--help']],
    ['celeryctl', ['--help']],
  ])('%s %s ends with 141 and no stack trace', async (bin, args) => {
    const { code, stderr } = await runWithClosedStdout(bin, args);
    expect(stderr).toBe('');
    expect(code).toBe(141);
  });
});
