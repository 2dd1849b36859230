import { Box } from 'ink';
import type { TaskRecord } from '../../events/cluster-state.js';
import type { RateRow, WorkerRow } from '../../events/selectors.js';
import { RatePanel } from '../components/rate-panel.js';
import { SectionTitle } from '../components/section-title.js';
import { TaskTable } from '../components/task-table.js';
import { WorkerTable } from '../components/worker-table.js';
import type { OverviewLayout } from '../layout.js';
import type { UiState } from '../state/ui-reducer.js';
import type { Theme } from '../theme.js';

export interface OverviewScreenProps {
  readonly ui: UiState;
  readonly workers: readonly WorkerRow[];
  readonly tasks: readonly TaskRecord[];
  readonly tasksKept: number;
  readonly rates: readonly RateRow[];
  readonly layout: OverviewLayout;
  readonly width: number;
  readonly nowMs: number;
  readonly theme: Theme;
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
export function OverviewScreen({ ui, workers, tasks, tasksKept, rates, layout, width, nowMs, theme }: OverviewScreenProps) {
  const online = workers.filter((w) => w.isOnline).length;
  const filter = describeFilter(ui);
  const taskDetail = filter ? `${tasks.length} of ${tasksKept} · ${filter}` : `${tasksKept} kept, newest first`;
  return (
    <Box flexDirection="column">
      <SectionTitle title="Workers" detail={`${online} online / ${workers.length}`} isFocused={ui.pane === 'workers'} width={width} theme={theme} />
      <WorkerTable
        rows={workers}
        selected={ui.selectedWorker}
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
      />
      {layout.rateRows > 0 ? (
        <>
          <SectionTitle title="Rates" detail="finished per second, last 60 s, by task name" width={width} theme={theme} />
          <RatePanel rows={rates} height={layout.rateRows} width={width} theme={theme} />
        </>
      ) : null}
    </Box>
  );
}
