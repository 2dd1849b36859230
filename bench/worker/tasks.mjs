// The bench's task module for camq: tasks.noop and tasks.add, both counted (task-count.mjs) to report when BENCH_N
// tasks ran (first and last run time, epoch ms, on stderr).
import { countTaskRuns } from './task-count.mjs';

const counted = countTaskRuns();

export default (app) => {
  app.task('tasks.noop', () => {
    counted();
    return null;
  });
  app.task('tasks.add', (x, y) => {
    counted();
    return x + y;
  });
};
