import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeCacheFile, compileWithCodeCache, saveCodeCache } from '../../../src/cli/code-cache.js';

type Wrapper = (exports: object, require: unknown, module: { exports: unknown }, filename: string, dirname: string) => void;

/** Run a compiled CommonJS file the way runBundle does and return its module.exports. */
function run(script: ReturnType<typeof compileWithCodeCache>['script'], file: string): unknown {
  const module = { exports: {} as unknown };
  (script.runInThisContext() as Wrapper)(module.exports as object, undefined, module, file, '/');
  return module.exports;
}

describe('code cache', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'camq-code-cache-'));
    file = join(dir, 'program.cjs');
    writeFileSync(file, 'function square(n) { return n * n; }\nmodule.exports = { squares: [1, 2, 3].map(square), file: __filename };\n');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles without a cache, saves one after the run, and is accepted next time', () => {
    const first = compileWithCodeCache(file);
    expect(first.cacheState).toBe('missing');
    expect(run(first.script, file)).toEqual({ squares: [1, 4, 9], file });
    expect(saveCodeCache(first)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.cache'))).toHaveLength(1);

    const second = compileWithCodeCache(file);
    expect(second.cacheState).toBe('accepted');
    expect(run(second.script, file)).toEqual({ squares: [1, 4, 9], file });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('names the cache after the file, so a rebuilt file never reads the old bytecode', () => {
    const before = codeCacheFile(file);
    expect(before.startsWith(`${file}.`)).toBe(true);
    expect(before).toContain(process.versions.v8);
    saveCodeCache(compileWithCodeCache(file));

    // Same length (all V8 itself compares), other code, other modification time.
    writeFileSync(file, 'function square(n) { return n + n; }\nmodule.exports = { squares: [1, 2, 3].map(square), file: __filename };\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect(codeCacheFile(file)).not.toBe(before);
    const rebuilt = compileWithCodeCache(file);
    expect(rebuilt.cacheState).toBe('missing');
    expect(run(rebuilt.script, file)).toEqual({ squares: [2, 4, 6], file });
  });

  it('runs from source when V8 refuses the cache', () => {
    writeFileSync(codeCacheFile(file), Buffer.from('not bytecode at all'));
    const compiled = compileWithCodeCache(file);
    expect(compiled.cacheState).toBe('rejected');
    expect(run(compiled.script, file)).toEqual({ squares: [1, 4, 9], file });
  });

  it('reports a cache it cannot write, and leaves nothing behind', () => {
    const compiled = compileWithCodeCache(file);
    const nowhere = { ...compiled, cacheFile: join(dir, 'missing-dir', 'program.cache') };
    expect(saveCodeCache(nowhere)).toBe(false);
    expect(readdirSync(dir)).toEqual(['program.cjs']);
  });

  it('keeps line numbers in stack traces', () => {
    writeFileSync(file, '\n\nmodule.exports = new Error("here").stack;\n');
    const stack = run(compileWithCodeCache(file).script, file) as string;
    expect(stack).toContain(`${file}:3:`);
  });
});
