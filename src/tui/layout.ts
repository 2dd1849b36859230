/**
 * How the overview screen shares the terminal's rows (pure, so 80×24 and resizes are tested without rendering).
 * Fixed lines: header, the two section titles with their column headers, the status line and the key bar; the
 * rest goes to worker rows (a quarter, at most as many as there are workers), the rates panel (when there is room)
 * and the task rows (everything else). Then the panes share by what they hold: task rows the task list cannot fill
 * (few tasks flow, or a filter shows few) go to the workers pane while it has workers to show.
 */
export interface OverviewLayout {
  readonly workerRows: number;
  readonly taskRows: number;
  /** 0 hides the rates panel (and its title line). */
  readonly rateRows: number;
}

const FIXED_LINES = 1 + 2 + 2 + 1 + 1;
/** Task rows kept however few tasks there are, so the pane and its newest tasks stay in sight. */
const MIN_TASK_ROWS = 3;

export function overviewLayout(height: number, workerCount: number, rateCount: number, taskCount = Infinity): OverviewLayout {
  const spare = Math.max(2, height - FIXED_LINES);
  let workerRows = Math.max(1, Math.min(Math.max(1, workerCount), Math.floor(spare / 4)));
  let rest = spare - workerRows;
  let rateRows = 0;
  if (rateCount > 0 && rest >= 9) {
    rateRows = Math.min(rateCount, Math.max(1, Math.floor(rest / 5)));
    rest -= rateRows + 1;
  }
  let taskRows = Math.max(1, rest);
  const taskKeep = Math.max(MIN_TASK_ROWS, taskCount);
  const give = Math.min(taskRows - taskKeep, workerCount - workerRows);
  if (give > 0) {
    taskRows -= give;
    workerRows += give;
  }
  return { workerRows, taskRows, rateRows };
}
