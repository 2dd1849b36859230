import { Box } from 'ink';
import type { TaskRecord } from '../../events/cluster-state.js';
import type { RateRow, WorkerPaneRow, WorkerSummary } from '../../events/selectors.js';
import { RatePanel } from '../components/rate-panel.js';
import { SectionTitle } from '../components/section-title.js';
import { TaskTable, taskPositionText } from '../components/task-table.js';
import { positionText, WorkerTable, workerSummaryText } from '../components/worker-table.js';
import type { OverviewLayout } from '../layout.js';
import type { UiState } from '../state/ui-reducer.js';
import type { Theme } from '../theme.js';

export interface OverviewScreenProps {
  readonly ui: UiState;
  readonly workers: readonly WorkerPaneRow[];
  /** Counts over every known worker (not only the filtered ones). */
  readonly workerSummary: WorkerSummary;
  readonly tasks: readonly TaskRecord[];
  readonly tasksKept: number;
  /** The time range shown (`14:00–14:30`), '' when following live. */
  readonly rangeText?: string;
  readonly rates: readonly RateRow[];
  readonly layout: OverviewLayout;
  readonly width: number;
  readonly nowMs: number;
  readonly theme: Theme;
  /** What the rates panel's title says instead of the last 60 s (a time range's). */
  readonly rateTitle?: string | undefined;
  /** Retry links for the task rows (`retry of …`, `retried as …`). */
  readonly links?: { describe(taskId: string): string } | undefined;
}

/** A line describing the active task filter, or '' when none. */
export function describeFilter(ui: UiState): string {
  const f = ui.filter;
  const parts = [f.state && `state=${f.state}`, f.name && `task=${f.name}`, f.worker && `worker=${f.worker}`, f.query && `/${f.query}`].filter(
    Boolean,
  );
  return parts.length > 0 ? `filter ${parts.join(' ')}` : '';
}

/** The first screen: workers and the live task stream together, with per-task-name rates when there is room. */
/** The workers pane's title detail: the summary, where the pane is, and how it is sorted, grouped and filtered. */
export function workersTitle(ui: UiState, rows: readonly WorkerPaneRow[], summary: WorkerSummary, height: number): string {
  const p = ui.workersPane;
  return [
    workerSummaryText(summary),
    positionText(p.scroll, rows.length, height),
    p.sort === 'name' ? '' : `by ${p.sort}`,
    p.grouping === 'none' ? '' : `grouped by ${p.grouping}`,
    p.filter ? `/${p.filter}: ${rows.filter((r) => r.kind === 'worker').length} of ${summary.total}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

export function OverviewScreen({
  ui,
  workers,
  workerSummary,
  tasks,
  tasksKept,
  rangeText = '',
  rates,
  layout,
  width,
  nowMs,
  theme,
  links,
  rateTitle,
}: OverviewScreenProps) {
  const filter = describeFilter(ui);
  const taskDetail = [
    rangeText !== ''
      ? `${tasks.length} in ${rangeText}${filter ? ` · ${filter}` : ''}`
      : filter
        ? `${tasks.length} of ${tasksKept} · ${filter}`
        : `${tasksKept} kept, newest first`,
    taskPositionText(tasks, ui.selectedTask, layout.taskRows),
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <Box flexDirection="column">
      <SectionTitle
        title="Workers"
        detail={workersTitle(ui, workers, workerSummary, layout.workerRows)}
        isFocused={ui.pane === 'workers'}
        width={width}
        theme={theme}
      />
      <WorkerTable
        rows={workers}
        selected={ui.selectedWorker}
        scroll={ui.workersPane.scroll}
        isFocused={ui.pane === 'workers'}
        height={layout.workerRows}
        width={width}
        theme={theme}
      />
      <SectionTitle title="Tasks" detail={taskDetail} isFocused={ui.pane === 'tasks'} width={width} theme={theme} />
      <TaskTable
        tasks={tasks}
        selected={ui.selectedTask}
        isFocused={ui.pane === 'tasks'}
        height={layout.taskRows}
        width={width}
        nowSeconds={nowMs / 1000}
        theme={theme}
        links={links}
      />
      {layout.rateRows > 0 ? (
        <>
          <SectionTitle title="Rates" detail={rateTitle ?? 'finished per second, last 60 s, by task name'} width={width} theme={theme} />
          <RatePanel rows={rates} height={layout.rateRows} width={width} theme={theme} isWholeSeries={rateTitle !== undefined} />
        </>
      ) : null}
    </Box>
  );
}
