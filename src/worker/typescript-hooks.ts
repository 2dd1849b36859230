/**
 * Node module customization hooks (registered by typescript-loader.ts with `module.register`) that let
 * `camq worker -A ./tasks.ts` import TypeScript: `.ts`, `.mts` and `.cts` files are transpiled on load with the
 * `typescript` package's `transpileModule` (syntax only, no type check), and relative imports written the
 * TypeScript way (`./helpers.js` for `./helpers.ts`, or without an extension) resolve to the `.ts` file (ESM through
 * the resolve hook; CommonJS output has its `require("./helpers.js")` calls pointed at the `.ts` file on load).
 *
 * Module format, as Node decides for JavaScript: `.mts` is ESM, `.cts` is CommonJS, `.ts` follows the nearest
 * package.json (`"type": "module"` → ESM, otherwise CommonJS, into which TypeScript turns import/export).
 * These hooks run on Node's loader thread, not in the worker's own thread.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of the `typescript` package used here (any 4.x or 5.x has them). */
interface TypeScriptApi {
  transpileModule(
    source: string,
    options: { fileName: string; reportDiagnostics: boolean; compilerOptions: Record<string, unknown> },
  ): { outputText: string; diagnostics?: Diagnostic[] };
  flattenDiagnosticMessageText(message: unknown, newLine: string): string;
  ModuleKind: { CommonJS: number; ESNext: number };
  ScriptTarget: { ES2022: number };
  DiagnosticCategory: { Error: number };
}

interface Diagnostic {
  category: number;
  code: number;
  messageText: unknown;
  start?: number;
  file?: { getLineAndCharacterOfPosition(position: number): { line: number; character: number } };
}

export interface TypeScriptHooksData {
  /** Absolute path of the `typescript` package's entry, resolved by the thread that registered the hooks. */
  readonly typescript: string;
}

type Format = 'module' | 'commonjs';
interface ResolveContext {
  parentURL?: string;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;
type NextLoad = (url: string, context: object) => Promise<unknown>;

const TS_FILE = /\.[cm]?ts$/;
let ts: TypeScriptApi;

export function initialize(data: TypeScriptHooksData): void {
  ts = createRequire(import.meta.url)(data.typescript) as TypeScriptApi;
}

function isTypeScriptUrl(url: string | undefined): url is string {
  return url !== undefined && url.startsWith('file:') && TS_FILE.test(new URL(url).pathname);
}

/** `./x.js` → `./x.ts`, `./x.mjs` → `./x.mts`, `./x.cjs` → `./x.cts`; `./x` → `./x.ts`, `./x/index.ts`. */
function typeScriptCandidates(specifier: string): string[] {
  const ext = /\.([cm]?)js$/.exec(specifier);
  if (ext) return [`${specifier.slice(0, -ext[0].length)}.${ext[1]}ts`];
  if (/\.[a-z0-9]+$/i.test(specifier)) return [];
  return [`${specifier}.ts`, `${specifier}/index.ts`];
}

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<unknown> {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (!relative || !isTypeScriptUrl(context.parentURL)) throw err;
    for (const candidate of typeScriptCandidates(specifier)) {
      try {
        return await nextResolve(candidate, context);
      } catch {
        // try the next spelling
      }
    }
    throw err;
  }
}

export async function load(url: string, context: object, nextLoad: NextLoad): Promise<unknown> {
  if (!isTypeScriptUrl(url)) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const format: Format = path.endsWith('.mts') ? 'module' : path.endsWith('.cts') ? 'commonjs' : await packageFormat(dirname(path));
  const output = ts.transpileModule(await readFile(path, 'utf8'), {
    fileName: path,
    reportDiagnostics: true,
    compilerOptions: {
      module: format === 'module' ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      inlineSourceMap: true,
    },
  });
  const errors = (output.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) throw new SyntaxError(errors.map((d) => describe(path, d)).join('\n'));
  const source = format === 'commonjs' ? pointRequiresAtTypeScript(output.outputText, dirname(path)) : output.outputText;
  return { format, source, shortCircuit: true };
}

/**
 * CommonJS `require` resolves without these hooks, so the `require("./helpers.js")` calls TypeScript wrote for
 * `import ... from './helpers.js'` are pointed at `./helpers.ts` here, when no JavaScript file answers them.
 */
function pointRequiresAtTypeScript(code: string, dir: string): string {
  return code.replace(/\brequire\((["'])(\.\.?\/[^"']+)\1\)/g, (call, quote: string, specifier: string) => {
    const path = join(dir, specifier);
    if ([path, `${path}.js`, `${path}.json`, join(path, 'index.js')].some((p) => existsSync(p) && statSync(p).isFile())) return call;
    const found = typeScriptCandidates(specifier).find((c) => existsSync(join(dir, c)));
    return found ? `require(${quote}${found}${quote})` : call;
  });
}

/** `tasks.ts(12,5): error TS1005: ';' expected.`, as tsc prints it. */
function describe(path: string, d: Diagnostic): string {
  const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
  const where = at ? `(${at.line + 1},${at.character + 1})` : '';
  return `${path}${where}: error TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
}

const formats = new Map<string, Promise<Format>>();

/** The nearest package.json's `type`, as Node reads it for `.js` files. */
function packageFormat(dir: string): Promise<Format> {
  let found = formats.get(dir);
  if (!found) {
    found = (async (): Promise<Format> => {
      try {
        const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { type?: unknown };
        return pkg.type === 'module' ? 'module' : 'commonjs';
      } catch (err) {
        const parent = dirname(dir);
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === dir) return 'commonjs';
        return packageFormat(parent);
      }
    })();
    formats.set(dir, found);
  }
  return found;
}
