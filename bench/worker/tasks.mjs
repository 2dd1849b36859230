// The bench's task module for camq: tasks.noop, plus a count that reports when BENCH_N tasks ran (first and last
// run time, epoch ms, on stderr). Counting in the handler measures what the worker did, not what the broker sent.
const N = Number(process.env.BENCH_N ?? 20000);
let n = 0;
let first = 0;

export default (app) => {
  app.task('tasks.noop', () => {
    if (n === 0) first = Date.now();
    if (++n === N) process.stderr.write(`BENCH ${first} ${Date.now()}\n`);
    return null;
  });
};
