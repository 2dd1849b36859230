// The count every Node contender keeps in its task handler (camq's tasks.mjs, celery-node-worker.mjs): when the
// BENCH_N-th task ran it prints `BENCH <first ms> <last ms>` on stderr (epoch ms of the first and the N-th run), and
// `BENCH-OVER` once if a task runs after that (a duplicate delivery), so a run that ran more than N is seen, not
// assumed away. Counting in the handler measures what the worker ran, not what the broker sent.
export function countTaskRuns(n = Number(process.env.BENCH_N ?? 20000)) {
  let count = 0;
  let first = 0;
  return () => {
    if (count === 0) first = Date.now();
    if (++count === n) process.stderr.write(`BENCH ${first} ${Date.now()}\n`);
    else if (count === n + 1) process.stderr.write('BENCH-OVER\n');
  };
}
