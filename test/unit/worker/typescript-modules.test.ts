/**
 * TypeScript task modules (`camq worker -A x.ts`), loaded through the real bin: the worker loads its task module
 * and prints the banner (with the registered task names) before it connects, so a broker nobody listens on
 * (port 1) lets these tests see what was loaded without a broker: exit 2 means the module loaded and only the
 * connection failed; a module that cannot load is a one-line error and exit 1. Needs `npm run build`.
 *
 * The hooks cannot be tested in-process: vitest transpiles TypeScript imports itself.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors/index.js';
import { enableTypeScript, findTypeScript, isTypeScriptModule } from '../../../src/worker/typescript-loader.js';
import { ROOT, runBin } from '../../helpers/run-bin.js';

const NOBODY = 'amqp://guest:guest@127.0.0.1:1//';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A temp folder (outside any package.json, so `.ts` there is CommonJS) with these files. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'camq-ts-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function load(module: string, extra: string[] = []) {
  const r = await runBin('camq', ['-b', NOBODY, 'worker', '-A', module, '-n', 'ts@test', ...extra], { timeoutMs: 30_000 });
  const tasks = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('  . '))
    .map((l) => l.slice(4));
  return { ...r, tasks };
}

const EXAMPLE_TASKS = ['tasks.add', 'tasks.fail', 'tasks.fib', 'tasks.noop', 'tasks.retry_me', 'tasks.sleep'];

describe('TypeScript task modules through the real bin', () => {
  it('examples/tasks.ts registers the same tasks as examples/tasks.js', async () => {
    const js = await load('examples/tasks.js');
    const ts = await load('examples/tasks.ts');
    expect(js.tasks).toEqual(EXAMPLE_TASKS);
    expect(ts.tasks).toEqual(EXAMPLE_TASKS);
    expect(ts.code, ts.stderr).toBe(2); // loaded; only the broker was missing
    expect(ts.stderr).toMatch(/^Error: .*127\.0\.0\.1:1/m);
  });

  it.each(['threads', 'processes'])('pool children (%s) load the TypeScript module too', async (pool) => {
    const r = await load('examples/tasks.ts', ['--pool', pool, '-c', '1']);
    expect(r.stderr).not.toMatch(/could not load the task module/);
    expect(r.code, r.stderr).toBe(2);
  });

  it('a .ts outside an ESM package is CommonJS: __dirname works, and ./helper.js resolves to helper.ts', async () => {
    const dir = project({
      'helper.ts': `export const prefix: string = 'tasks.';\n`,
      'tasks.ts': [
        `import { prefix } from './helper.js';`,
        `import type { Stats } from 'node:fs';`,
        `const here: string = __dirname;`,
        `export default (app: { task(name: string, fn: (...a: unknown[]) => unknown): unknown }): void => {`,
        `  let seen: Stats | undefined;`,
        `  app.task(prefix + 'cjs', () => [here, seen]);`,
        `};`,
      ].join('\n'),
    });
    const r = await load(join(dir, 'tasks.ts'));
    expect(r.tasks, r.stderr).toEqual(['tasks.cjs']);
  });

  it('a .mts is an ES module; extensionless relative imports resolve to .ts', async () => {
    const dir = project({
      'lib/names.ts': `export const names = ['tasks.one', 'tasks.two'] as const;\n`,
      'tasks.mts': [
        `import { names } from './lib/names';`,
        `const url: string = import.meta.url;`,
        `export default function register(app: { task(name: string, fn: () => string): unknown }) {`,
        `  for (const name of names) app.task(name, () => url);`,
        `}`,
      ].join('\n'),
    });
    const r = await load(join(dir, 'tasks.mts'));
    expect(r.tasks, r.stderr).toEqual(['tasks.one', 'tasks.two']);
  });

  it('a .ts inside a "type": "module" package is an ES module', async () => {
    const dir = project({
      'package.json': JSON.stringify({ type: 'module' }),
      'tasks.ts': `const url: string = import.meta.url;\nexport default (app: { task(n: string, f: () => string): void }) => app.task('tasks.esm', () => url);\n`,
    });
    expect((await load(join(dir, 'tasks.ts'))).tasks).toEqual(['tasks.esm']);
  });

  it('a syntax error is one clear line with the file, line and column, and exit 1', async () => {
    const dir = project({ 'bad.ts': `export default (app: any) => {\n  app.task('tasks.x', () => 1 +);\n};\n` });
    const r = await load(join(dir, 'bad.ts'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^Error: cannot load the task module .*bad\\.ts: .*bad\\.ts\\(2,\\d+\\): error TS1109: Expression expected\\.`, 'm'),
    );
  });

  it('a missing .ts module is reported as missing, not as a TypeScript problem', async () => {
    const r = await load('nope/tasks.ts');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: cannot find the task module .*nope\/tasks\.ts/m);
  });
});

describe('typescript-loader', () => {
  it("finds typescript in the module folder first, else in camq's own install", () => {
    const dir = project({
      'node_modules/typescript/package.json': JSON.stringify({ name: 'typescript', main: 'lib/typescript.js' }),
      'node_modules/typescript/lib/typescript.js': 'module.exports = {};',
      'tasks.ts': '',
    });
    expect(findTypeScript(join(dir, 'tasks.ts'))).toBe(realpathSync(join(dir, 'node_modules/typescript/lib/typescript.js')));
    const bare = project({ 'tasks.ts': '' });
    expect(findTypeScript(join(bare, 'tasks.ts'))).toBe(realpathSync(join(ROOT, 'node_modules/typescript/lib/typescript.js')));
  });

  it('says what to install when typescript cannot be found', () => {
    const call = () => enableTypeScript('/srv/app/tasks.ts', () => undefined);
    expect(call).toThrow(UsageError);
    expect(call).toThrow(/the 'typescript' package .* neither in \/srv\/app nor in camq's own install; run `npm install --save-dev typescript`/);
  });

  it('knows TypeScript files by extension', () => {
    expect(['a.ts', 'a.mts', 'a.cts', 'a.d.ts', 'a.js', 'a.tsx'].map(isTypeScriptModule)).toEqual([true, true, true, false, false, false]);
  });
});
