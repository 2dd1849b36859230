// Example task module in TypeScript: `camq worker -A ./examples/tasks.ts` (the same tasks as examples/tasks.js).
//
// camq transpiles it as it loads (with the `typescript` package from your project, or camq's own); it does not
// type-check it, so run `tsc --noEmit` for that. Handlers are typed by their parameters, and the Task objects that
// `app.task` returns are typed too: `add.delay(2, 2)` takes two numbers and its `get()` resolves with a number.
// (Outside this repository, import these types from camq's worker module instead of ../src/worker/index.js.)
import type { CamqApp, TaskContext } from '../src/worker/index.js';

/** Celery's exceptions carry Python type names; name the error and Python rebuilds that type. */
class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/** Sleep that ends early when the task is asked to stop (soft time limit, terminate). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      },
      { once: true },
    );
  });
}

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export default (app: CamqApp): void => {
  app.task('tasks.add', (x: number, y: number): number => x + y, { params: ['x', 'y'] });

  app.task('tasks.noop', (): null => null);

  app.task(
    'tasks.sleep',
    async function (this: TaskContext, seconds: number): Promise<number> {
      await sleep(Number(seconds) * 1000, this.signal);
      return seconds;
    },
    { params: ['seconds'] },
  );

  app.task(
    'tasks.fail',
    (message: string = 'kaboom'): never => {
      throw new RuntimeError(message);
    },
    { params: ['message'] },
  );

  // CPU-bound: run it with --pool threads or --pool processes so it does not block the worker's own thread.
  app.task('tasks.fib', (n: number): number => fib(Number(n)), { params: ['n'] });

  // Retries like Celery's `self.retry(exc=..., countdown=...)`: runs 1 + maxRetries times, then fails.
  app.task(
    'tasks.retry_me',
    (ctx: TaskContext, _x: number): never => {
      ctx.retry({ exc: Object.assign(new Error(`boom ${ctx.retries}`), { name: 'ValueError' }), countdown: 0.2 });
    },
    { bind: true, maxRetries: 2, params: ['x'] },
  );
};
