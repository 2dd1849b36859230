// (d) celery-node 0.5.9, the Node peer, serving tasks.noop and tasks.add on the broker URL it is given (amqp:// or
// redis://). Its result backend is replaced by a no-op: it ignores the ignore_result header and would otherwise
// declare one result queue per task on AMQP (20,000 queues) or write one key per task on Redis. On AMQP it acks on
// receipt and sets no prefetch (unlimited); on Redis it takes one message per BRPOP, in turn, with no ack emulation.
// It logs every task with console.info (stdout goes to /dev/null here).
import celery from 'celery-node';
import { countTaskRuns } from './task-count.mjs';

const [url, queue] = process.argv.slice(2);
// The backend URL is never used (the backend is replaced before anything reads it).
const worker = celery.createWorker(url, url, queue);
worker._backend = { isReady: () => Promise.resolve(), storeResult: () => Promise.resolve(), disconnect: () => Promise.resolve() };
// The count only observes the handler, as in tasks.mjs.
const counted = countTaskRuns();
worker.register('tasks.noop', () => {
  counted();
  return null;
});
// celery-node calls a handler with the task's args and then its kwargs.
worker.register('tasks.add', (x, y) => {
  counted();
  return x + y;
});
worker.start();
process.on('SIGTERM', () => process.exit(0));
