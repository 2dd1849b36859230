// (d) celery-node 0.5.9, the Node peer, serving tasks.noop. Its result backend is replaced by a no-op: it ignores
// the ignore_result header and would otherwise declare one result queue per task (20,000 queues). It acks on
// receipt, sets no prefetch (unlimited) and logs every task with console.info (stdout goes to /dev/null here).
import celery from 'celery-node';

const [url, queue] = process.argv.slice(2);
const worker = celery.createWorker(url, 'amqp://', queue);
worker._backend = { isReady: () => Promise.resolve(), storeResult: () => Promise.resolve(), disconnect: () => Promise.resolve() };
// The count only observes the handler (see tasks.mjs): BENCH <first> <last> on stderr after BENCH_N tasks.
const N = Number(process.env.BENCH_N ?? 20000);
let n = 0;
let first = 0;
worker.register('tasks.noop', () => {
  if (n === 0) first = Date.now();
  if (++n === N) process.stderr.write(`BENCH ${first} ${Date.now()}\n`);
  return null;
});
worker.start();
process.on('SIGTERM', () => process.exit(0));
