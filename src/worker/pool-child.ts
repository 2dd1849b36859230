import { parentPort, threadId, workerData } from 'node:worker_threads';
import { createLogger, parseLogLevel } from '../util/logger.js';
import { toPythonError } from './error-info.js';
import { NotRegistered } from './task-errors.js';
import { loadTaskModule } from './task-module.js';
import { contextFor, runHandler, type Outcome } from './task-runner.js';
import type { ChildInit, ChildRequest, ChildResponse } from './remote-pool.js';

/**
 * The entry of a thread (`--pool threads`) or child process (`--pool processes`): load the task module, say
 * ready, then run the jobs the parent posts, one at a time, and post back their outcomes.
 */
const init: ChildInit = parentPort ? (workerData as ChildInit) : (JSON.parse(process.env['CAMQ_POOL_INIT'] ?? '{}') as ChildInit);
const post: (message: ChildResponse) => void = parentPort
  ? (m) => parentPort!.postMessage(m)
  : (m) => {
      process.send?.(m);
    };
const listen = (fn: (message: ChildRequest) => void) => (parentPort ? parentPort.on('message', fn) : process.on('message', fn as never));

const logger = createLogger({ level: parseLogLevel(init.logLevel) ?? 'warning', processName: `${init.processLabel}-${init.index}` });
const controllers = new Map<string, AbortController>();

if (!parentPort) process.on('disconnect', () => process.exit(0));

try {
  const app = await loadTaskModule(init.modulePath, { cwd: init.cwd });
  listen((message) => {
    if (message.t === 'abort') {
      const error = new Error(message.message);
      error.name = message.name;
      controllers.get(message.id)?.abort(error);
      return;
    }
    const job = message.job;
    const task = app.registry.get(job.name);
    const send = (outcome: Outcome) => {
      controllers.delete(job.id);
      try {
        post({ t: 'done', id: job.id, outcome });
      } catch (err) {
        // A return value that cannot be cloned (a function, a socket) fails the task instead of the child.
        post({
          t: 'done',
          id: job.id,
          outcome: {
            kind: 'failure',
            error: toPythonError(
              Object.assign(new Error(`the result of ${job.name} cannot be sent: ${(err as Error).message}`), { name: 'EncodeError' }),
            ),
          },
        });
      }
    };
    if (!task) {
      send({ kind: 'failure', error: toPythonError(new NotRegistered(job.name)) });
      return;
    }
    const controller = new AbortController();
    controllers.set(job.id, controller);
    const outcome = runHandler(task, job, contextFor(job, task, controller, logger));
    if (outcome instanceof Promise) void outcome.then(send);
    else send(outcome);
  });
  post({ t: 'ready', pid: parentPort ? threadId : process.pid });
} catch (err) {
  post({ t: 'failed', message: (err as Error).message });
  if (!parentPort) process.exit(1);
}
