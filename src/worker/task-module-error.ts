import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../errors/index.js';

/**
 * Why a task module did not load, said so the user can act: the module itself is missing (a wrong -A), a module it
 * imports is missing (an uninstalled package, a wrong relative path), or a file has a syntax error (with
 * `file:line:column` and the source line with a caret under the column, as Node prints an uncaught one).
 */
export function taskModuleError(absolute: string, err: unknown): UsageError {
  const e = (err ?? {}) as NodeJS.ErrnoException & { url?: string; requireStack?: string[] };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const href = pathToFileURL(absolute).href;

  if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') {
    // import() of the module itself: Node names it, and "imported from" names camq's own file.
    if (e.url === href || message.startsWith(`Cannot find module '${absolute}' imported from `)) {
      return new UsageError(`cannot find the task module ${absolute}; pass -A with the path of a .js, .mjs or .ts file`, 'usage.task-module');
    }
    const missing = missingImport(message, e.requireStack);
    if (missing) return new UsageError(`cannot load the task module ${absolute}: ${missing}`, 'usage.task-module', { cause: err });
  }

  if (e.name === 'SyntaxError') {
    const location = syntaxLocation(message, e.stack) ?? checkSyntax(absolute);
    if (location) {
      return new UsageError(
        `cannot load the task module ${absolute}: syntax error at ${location.file}:${location.line}:${location.column}: ${message}`,
        'usage.task-module',
        {
          cause: err,
          details: [location.source, `${' '.repeat(location.column - 1)}^`],
        },
      );
    }
  }
  return new UsageError(`cannot load the task module ${absolute}: ${message}`, 'usage.task-module', { cause: err });
}

/** What could not be found and from where, from Node's ESM (`... imported from F`) or CommonJS (`Require stack`) message. */
function missingImport(message: string, requireStack: readonly string[] | undefined): string | undefined {
  const esm = /^Cannot find (package|module) '(.+)' imported from (.+)$/.exec(message);
  if (esm) {
    const [, kind, what, from] = esm as unknown as [string, string, string, string];
    return kind === 'package'
      ? `package '${what}', imported from ${from}, is not installed; install it where the task module can find it (npm install ${what}) or fix the import`
      : `${what}, imported from ${from}, does not exist; fix the path in the import`;
  }
  const cjs = /^Cannot find module '(.+)'/.exec(message);
  const from = requireStack?.[0];
  if (cjs && from) {
    const what = cjs[1]!;
    const isPath = what.startsWith('.') || what.startsWith('/');
    return isPath
      ? `'${what}', required from ${from}, does not exist; fix the path in the require`
      : `package '${what}', required from ${from}, is not installed; install it where the task module can find it (npm install ${what}) or fix the require`;
  }
  return undefined;
}

interface SyntaxLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly source: string;
}

/**
 * Node's "arrow" in front of a syntax error's stack (`/path/f.cjs:2`, the source line, a caret line): CommonJS
 * errors carry it in `stack`, and `node --check` prints it. ES module errors carry none, so checkSyntax asks
 * `node --check`.
 */
function syntaxLocation(message: string, text: string | undefined): SyntaxLocation | undefined {
  const match = /^(.+):(\d+)\r?\n(.*)\r?\n([ \t]*)\^+/.exec(text ?? '');
  if (!match || !(text ?? '').includes(`SyntaxError: ${message}`)) return undefined;
  const [, file, line, source, pad] = match as unknown as [string, string, string, string, string];
  const path = file.startsWith('file://') ? new URL(file).pathname : file;
  return { file: path, line: Number(line), column: pad.length + 1, source: source.replace(/\t/g, ' ') };
}

/** At most this many files are checked for the one with the syntax error (the module and what it imports). */
const MAX_CHECKED = 50;
const SCRIPT_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);
const RELATIVE_IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*(['"])(\.{1,2}\/[^'"\n]+)\1/g;

/**
 * An ES module's syntax error does not say which file it is in: parse the module and the relative imports it names,
 * breadth first, with `node --check` (parse only: nothing runs), until one fails. Only on this error path.
 */
function checkSyntax(entry: string): SyntaxLocation | undefined {
  const queue = [entry];
  const seen = new Set(queue);
  for (let file = queue.shift(); file !== undefined && seen.size <= MAX_CHECKED; file = queue.shift()) {
    const checked = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
    const error = /^SyntaxError: (.*)$/m.exec(checked.stderr ?? '');
    if (checked.status !== 0 && error) return syntaxLocation(error[1]!, checked.stderr);
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const [, , specifier] of source.matchAll(RELATIVE_IMPORT)) {
      const imported = resolve(dirname(file), specifier!);
      if (seen.has(imported) || !SCRIPT_EXTENSIONS.has(extname(imported)) || !existsSync(imported)) continue;
      seen.add(imported);
      queue.push(imported);
    }
  }
  return undefined;
}
