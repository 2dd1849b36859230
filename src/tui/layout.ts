/**
 * How the overview screen shares the terminal's rows (pure, so 80×24 and resizes are tested without rendering).
 * Fixed lines: header, the two section titles with their column headers, the status line and the key bar; the
 * rest goes to worker rows (a quarter, at most as many as there are workers), the rates panel (when there is room)
 * and the task rows (everything else).
 */
export interface OverviewLayout {
  readonly workerRows: number;
  readonly taskRows: number;
  /** 0 hides the rates panel (and its title line). */
  readonly rateRows: number;
}

const FIXED_LINES = 1 + 2 + 2 + 1 + 1;

export function overviewLayout(height: number, workerCount: number, rateCount: number): OverviewLayout {
  const spare = Math.max(2, height - FIXED_LINES);
  const workerRows = Math.max(1, Math.min(Math.max(1, workerCount), Math.floor(spare / 4)));
  let rest = spare - workerRows;
  let rateRows = 0;
  if (rateCount > 0 && rest >= 9) {
    rateRows = Math.min(rateCount, Math.max(1, Math.floor(rest / 5)));
    rest -= rateRows + 1;
  }
  return { workerRows, taskRows: Math.max(1, rest), rateRows };
}
