// Example task module for `camq worker -A ./examples/tasks.js`.
//
// The default export receives the app and registers handlers under Celery task names, so Python code calls them
// with `app.send_task('tasks.add', (2, 2))` or a stub task of the same name (see test/fixtures/celery_app/tasks.py).
// `params` lets Python keyword arguments (`add.delay(x=2, y=2)`) bind by name. A handler's `this` (or its first
// argument with `bind: true`) is the task context: id, retries, signal (an AbortSignal), logger, retry().

/** Celery's exceptions carry Python type names; name the error and Python rebuilds that type. */
class RuntimeError extends Error {
  name = 'RuntimeError';
}

/** Sleep that ends early when the task is asked to stop (soft time limit, terminate). */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export default (app) => {
  app.task('tasks.add', (x, y) => x + y, { params: ['x', 'y'] });

  app.task('tasks.noop', () => null);

  app.task(
    'tasks.sleep',
    async function (seconds) {
      await sleep(Number(seconds) * 1000, this.signal);
      return seconds;
    },
    { params: ['seconds'] },
  );

  app.task(
    'tasks.fail',
    (message = 'kaboom') => {
      throw new RuntimeError(message);
    },
    { params: ['message'] },
  );

  // CPU-bound: run it with --pool threads or --pool processes so it does not block the worker's own thread.
  app.task('tasks.fib', (n) => fib(Number(n)), { params: ['n'] });

  // Retries like Celery's `self.retry(exc=..., countdown=...)`: runs 1 + maxRetries times, then fails.
  app.task(
    'tasks.retry_me',
    (ctx, _x) => {
      ctx.retry({ exc: Object.assign(new Error(`boom ${ctx.retries}`), { name: 'ValueError' }), countdown: 0.2 });
    },
    { bind: true, maxRetries: 2, params: ['x'] },
  );
};
