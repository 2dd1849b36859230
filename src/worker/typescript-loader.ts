import { createRequire, register } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors/index.js';
import type { TypeScriptHooksData } from './typescript-hooks.js';

/**
 * TypeScript task modules (`camq worker -A ./tasks.ts`) on Node 20, which cannot run TypeScript by itself: the
 * `typescript` package (from the task module's folder, else from camq's own install) transpiles `.ts`, `.mts` and
 * `.cts` files as they load, through module hooks (typescript-hooks.ts). Nothing is type-checked: run `tsc --noEmit`
 * for that. Source maps are turned on, so tracebacks of failing tasks point at the TypeScript lines.
 */

export function isTypeScriptModule(path: string): boolean {
  return /\.[cm]?ts$/.test(path) && !path.endsWith('.d.ts');
}

/** The `typescript` entry resolvable from the task module's folder, else from camq's install; undefined if none. */
export function findTypeScript(modulePath: string): string | undefined {
  for (const from of [modulePath, fileURLToPath(import.meta.url)]) {
    try {
      return createRequire(from).resolve('typescript');
    } catch {
      // not installed there
    }
  }
  return undefined;
}

let registered = false;

/** Register the hooks in this thread (once), or say what to install. `find` is for tests. */
export function enableTypeScript(modulePath: string, find: (modulePath: string) => string | undefined = findTypeScript): void {
  if (registered) return;
  const typescript = find(modulePath);
  if (!typescript) {
    throw new UsageError(
      `cannot load the TypeScript task module ${modulePath}: camq needs the 'typescript' package to transpile it, and ` +
        `finds it neither in ${dirname(modulePath)} nor in camq's own install; run \`npm install --save-dev typescript\` ` +
        `in your project (or compile the module to JavaScript and pass the .js file to -A)`,
      'usage.task-module',
    );
  }
  const data: TypeScriptHooksData = { typescript };
  register(new URL('./typescript-hooks.js', import.meta.url), { data });
  process.setSourceMapsEnabled(true);
  registered = true;
}
