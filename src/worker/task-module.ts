import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../errors/index.js';
import { systemClock } from '../util/clock.js';
import { CamqApp, type TaskModule } from './app.js';
import { taskModuleError } from './task-module-error.js';
import { enableTypeScript, isTypeScriptModule } from './typescript-loader.js';

/**
 * Load a task module (`-A ./tasks.js`): an ES module (or CommonJS) whose default export, or `register` export,
 * is a function that receives the app and registers tasks. Paths are relative to `cwd`. TypeScript modules
 * (`.ts`, `.mts`, `.cts`) are transpiled on load when the `typescript` package can be found (typescript-loader.ts).
 */
export async function loadTaskModule(path: string, options: { cwd?: string; app?: CamqApp } = {}): Promise<CamqApp> {
  const absolute = isAbsolute(path) ? path : resolve(options.cwd ?? process.cwd(), path);
  if (isTypeScriptModule(absolute) && existsSync(absolute)) enableTypeScript(absolute);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (err) {
    absorbEcho(err);
    throw taskModuleError(absolute, err);
  }
  const candidates = [mod['default'], mod['register'], (mod['default'] as Record<string, unknown> | undefined)?.['default']];
  const register = candidates.find((c): c is TaskModule => typeof c === 'function');
  if (!register) {
    throw new UsageError(
      `the task module ${absolute} exports no function; write \`export default (app) => { app.task('tasks.add', (x, y) => x + y) }\``,
      'usage.task-module',
    );
  }
  const app = options.app ?? new CamqApp();
  await register(app);
  return app;
}

/**
 * When an ES module imports a CommonJS file that does not compile, Node also rejects an internal promise with the
 * same error, which would print it a second time, raw, after our line. Only that very error object is absorbed,
 * and only until the current tick's rejections are processed; any other rejection meanwhile goes to the process's
 * own listeners, or is rethrown as Node would by default.
 */
function absorbEcho(err: unknown): void {
  const listener = (reason: unknown) => {
    if (reason === err) return;
    if (process.listenerCount('unhandledRejection') === 1) throw reason;
  };
  process.on('unhandledRejection', listener);
  systemClock.setImmediate(() => process.off('unhandledRejection', listener)).unref();
}
