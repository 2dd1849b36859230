import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * Running a CommonJS bundle through V8's code cache: the bytecode V8 compiled in an earlier run is read back instead
 * of parsing and compiling the bundle again, which is a large part of a short CLI run such as `celeryctl ping`.
 * (Node 22's `module.enableCompileCache()` does this for modules; Node 20 only has `vm.Script`'s `cachedData`.)
 *
 * bin/celeryctl uses this through dist/bundle/code-cache.cjs, which scripts/bundle.mjs builds from this file, so it
 * imports nothing but Node's own modules. This file is the one boundary with V8's code cache: if a Node or V8 upgrade
 * stops accepting the cache, test/unit/cli/code-cache.test.ts fails ('accepted' expected) rather than celeryctl
 * silently starting slower.
 */

/** `accepted`: V8 used the cache; `rejected`: there was one but V8 refused it (another build of V8, other flags). */
export type CodeCacheState = 'accepted' | 'rejected' | 'missing';

export interface CachedScript {
  readonly file: string;
  readonly script: Script;
  readonly cacheFile: string;
  readonly cacheState: CodeCacheState;
}

/** What Node's CommonJS loader wraps a module in; kept on the first line so stack traces keep their line numbers. */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAPPER_TAIL = '\n})';

type ModuleWrapper = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;

/**
 * The cache file of `file`: beside it, named after the file's size and modification time and V8's version and the
 * architecture. V8 checks only the source's length before trusting a cache, so the name makes sure a rebuilt bundle
 * or another Node never reads bytecode compiled from a different source.
 */
export function codeCacheFile(file: string): string {
  const { size, mtimeMs } = statSync(file);
  return join(dirname(file), `${basename(file)}.${size}-${Math.trunc(mtimeMs)}.v8-${process.versions.v8}-${process.arch}.cache`);
}

/** Compile a CommonJS file as Node would wrap it, with its code cache when there is a usable one. */
export function compileWithCodeCache(file: string): CachedScript {
  const source = readFileSync(file, 'utf8');
  const cacheFile = codeCacheFile(file);
  const cachedData = readIfPresent(cacheFile);
  const script = new Script(WRAPPER_HEAD + source + WRAPPER_TAIL, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const cacheState: CodeCacheState = cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted';
  return { file, script, cacheFile, cacheState };
}

/**
 * Write the script's code cache: every function compiled so far, so call it after the run. Atomic (a temporary file,
 * then rename), so concurrent runs never read half a cache. Returns false when the directory is not writable, before
 * serializing anything, so a read-only install pays nothing for it; its runs compile from source as without a cache.
 */
export function saveCodeCache(cached: CachedScript): boolean {
  const temporary = `${cached.cacheFile}.${process.pid}.tmp`;
  let fd: number;
  try {
    fd = openSync(temporary, 'w');
  } catch {
    return false;
  }
  try {
    try {
      writeFileSync(fd, cached.script.createCachedData());
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, cached.cacheFile);
    return true;
  } catch {
    rmSync(temporary, { force: true });
    return false;
  }
}

/**
 * Run a CommonJS bundle (one that requires only Node's own modules) as the main program, through its code cache.
 * When there was no usable cache, the cache is written as the process exits with code 0, so it holds the functions
 * that successful run compiled, not just the top level. (A first run that only printed `--help` caches less than a
 * command that talked to a broker would; the next build or Node upgrade starts over.)
 */
export function runBundle(file: string): void {
  const cached = compileWithCodeCache(file);
  if (cached.cacheState !== 'accepted') {
    process.once('exit', (code) => {
      if (code === 0) saveCodeCache(cached);
    });
  }
  const run = cached.script.runInThisContext() as ModuleWrapper;
  const module = { exports: {} };
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}
