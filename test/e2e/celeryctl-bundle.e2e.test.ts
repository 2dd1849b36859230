/**
 * bin/celeryctl and bin/camqadm run one-file bundles (dist/bundle/<bin>.cjs) through V8's code cache, with the runner
 * scripts/bundle.mjs builds (dist/bundle/code-cache.cjs). These run the built files as the launcher does: the runner
 * on a small program of our own (so the test owns its cache files), and the real launcher for what the bundle reads
 * from its surroundings.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runBin } from '../helpers/run-bin.js';

const RUNNER = join(ROOT, 'dist/bundle/code-cache.cjs');

describe('the code-cache runner (dist/bundle/code-cache.cjs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'camq-bundle-'));
  const program = join(dir, 'program.cjs');
  writeFileSync(
    program,
    [
      'const { basename } = require("node:path");',
      'process.stdout.write(`${basename(__filename)} in ${basename(__dirname)} with ${process.argv.slice(2).join(" ")}`);',
      'process.exitCode = Number(process.env.EXIT_CODE ?? 0);',
    ].join('\n'),
  );
  // A launcher like bin/celeryctl's.
  const launcher = join(dir, 'launcher.cjs');
  writeFileSync(launcher, `require(${JSON.stringify(RUNNER)}).runBundle(${JSON.stringify(program)});\n`);
  const runProgram = (exitCode: number) =>
    spawnSync(process.execPath, [launcher, 'a', 'b'], {
      env: { ...process.env, EXIT_CODE: String(exitCode) },
      encoding: 'utf8',
    });
  const caches = () => readdirSync(dir).filter((f) => f.endsWith('.cache'));

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the program as a CommonJS main module and writes no cache for a failed run', () => {
    const result = runProgram(1);
    expect(result.stdout).toBe(`program.cjs in ${dir.split('/').pop()} with a b`);
    expect(result.status).toBe(1);
    expect(caches()).toEqual([]);
  });

  it('writes the cache after a successful run and reads it, unchanged, on the next', () => {
    expect(runProgram(0).status).toBe(0);
    expect(caches()).toHaveLength(1);
    const written = statSync(join(dir, caches()[0]!)).mtimeMs;

    const again = runProgram(0);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('program.cjs');
    // An accepted cache is not written again.
    expect(statSync(join(dir, caches()[0]!)).mtimeMs).toBe(written);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

/** What each bundled bin refuses before it connects, and how it says so. */
const BAD_INPUT = {
  celeryctl: { args: ['rate-limit', 'tasks.add', '10/x', '-b', 'amqp://127.0.0.1:1//'], error: "invalid rate '10/x'" },
  camqadm: {
    args: ['-b', 'amqp://127.0.0.1:1//', 'queue.declare', 'q', 'maybe'],
    error: "Error: queue.declare: passive must be yes/no, true/false, on/off or 1/0, not 'maybe'",
  },
} as const;

for (const [bin, bad] of Object.entries(BAD_INPUT) as [keyof typeof BAD_INPUT, (typeof BAD_INPUT)[keyof typeof BAD_INPUT]][]) {
  describe(`bin/${bin}`, () => {
    it('prints the version from package.json, found from inside the bundle', async () => {
      const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      const result = await runBin(bin, ['--version']);
      expect(result).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    });

    it('refuses bad input before connecting, as the modules in dist/ do', async () => {
      const result = await runBin(bin, bad.args);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(bad.error);
      expect(result.stderr).not.toContain('connecting');
    });
  });
}
