import { Box, useApp } from 'ink';
import { useMemo } from 'react';
import { selectRateRows, selectSummary, selectTasks, selectWorkerPaneRows, selectWorkerRows, summarizeWorkers } from '../events/selectors.js';
import type { Clock } from '../util/clock.js';
import { Header } from './components/header.js';
import { HelpBar } from './components/help-bar.js';
import { StatusLine } from './components/status-line.js';
import type { ControlActions } from './control-actions.js';
import { useAppKeys } from './hooks/use-app-keys.js';
import { useClusterSnapshot, type ClusterStoreLike } from './hooks/use-cluster-snapshot.js';
import { useNow } from './hooks/use-now.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { useUiState } from './hooks/use-ui-state.js';
import { useViewActions } from './hooks/use-view-actions.js';
import { overviewLayout } from './layout.js';
import { HelpScreen, OVERVIEW_KEYS, WORKER_PANE_KEYS } from './screens/help-screen.js';
import { describeFilter, OverviewScreen } from './screens/overview-screen.js';
import { ShellScreen } from './screens/shell-screen.js';
import { taskDetailLines } from './screens/task-details-lines.js';
import { TaskDetailsScreen } from './screens/task-details-screen.js';
import type { ShellEngineLike } from './shell-engine-like.js';
import type { Pane, Screen } from './state/ui-reducer.js';
import { createTheme } from './theme.js';

export interface AppProps {
  /** The cluster store fed by the event receiver. */
  readonly store: ClusterStoreLike;
  /** Time for ages, liveness and the once-a-second tick. */
  readonly clock: Clock;
  /** False with NO_COLOR or without a colour terminal: no colour is ever set. @default true */
  readonly isColor?: boolean;
  /** Remote control for revoke, rate-limit and ping; without it those keys say it is unavailable. */
  readonly control?: ControlActions | undefined;
  /** The camqadm engine for the shell screen. */
  readonly shell?: ShellEngineLike | undefined;
}

const DETAILS_KEYS: readonly (readonly [string, string])[] = [
  ['Esc', 'back'],
  ['↑↓', 'scroll'],
  ['r', 'revoke'],
  ['l', 'rate limit'],
  ['q', 'quit'],
];
const SHELL_KEYS: readonly (readonly [string, string])[] = [
  ['Esc', 'back'],
  ['⏎', 'run'],
  ['⇥', 'complete'],
  ['↑↓', 'history'],
  ['Ctrl-C', 'quit'],
];
const PROMPT_KEYS: readonly (readonly [string, string])[] = [
  ['⏎', 'accept'],
  ['Esc', 'cancel'],
];
const HELP_KEYS: readonly (readonly [string, string])[] = [
  ['Esc', 'back'],
  ['q', 'quit'],
];
const SCREEN_KEYS: Readonly<Record<Exclude<Screen, 'overview'> | Pane, readonly (readonly [string, string])[]>> = {
  tasks: OVERVIEW_KEYS,
  workers: WORKER_PANE_KEYS,
  details: DETAILS_KEYS,
  shell: SHELL_KEYS,
  help: HELP_KEYS,
};
/** The status line when there is no prompt or notice (the overview shows its filter or where to find the keys). */
const SCREEN_HINTS: Readonly<Record<Exclude<Screen, 'overview'>, string>> = {
  details: '',
  shell: "'help' lists the commands, 'help <command>' explains one",
  help: 'any key comes back',
};

/**
 * The live view: a header (broker, connection, rates), the overview (workers and the task stream together, rates
 * when there is room), task details, the shell and the key help on demand, a status line and the key bar. It reads
 * the cluster through the store and the clock it is given, and acts through `control` and `shell`; it never touches
 * the broker, timers or the process itself.
 */
export function App({ store, clock, isColor = true, control, shell }: AppProps) {
  const snapshot = useClusterSnapshot(store);
  const nowMs = useNow(clock);
  const { columns, rows } = useTerminalSize();
  const { exit } = useApp();
  const [ui, dispatch, getUi] = useUiState();
  const theme = useMemo(() => createTheme(isColor), [isColor]);
  const actions = useViewActions(control, shell, dispatch);

  const state = snapshot.state;
  const width = Math.max(20, columns);
  // One line short of the terminal: a frame as tall as the screen makes Ink clear the whole terminal every time.
  const height = Math.max(8, rows - 1);
  const bodyHeight = height - 3;
  // Sorting and filtering up to --max-tasks tasks happens once per published snapshot, not per keypress or tick.
  const tasks = useMemo(() => selectTasks(state, ui.filter), [state, snapshot.version, ui.filter]);
  const allWorkers = selectWorkerRows(state, nowMs);
  const workerSummary = summarizeWorkers(allWorkers);
  const { sort, grouping, filter: workerFilter, expanded } = ui.workersPane;
  const workers = selectWorkerPaneRows(allWorkers, { sort, grouping, filter: workerFilter, expanded });
  const summary = selectSummary(state, nowMs);
  const rates = ui.screen === 'overview' ? selectRateRows(state, nowMs, 60) : [];
  const layout = overviewLayout(bodyHeight + 3, workers.length, rates.length, tasks.length);

  const detailsTask = ui.detailsUuid === undefined ? undefined : state.tasks.get(ui.detailsUuid);
  const detailLines = ui.screen === 'details' && detailsTask ? taskDetailLines(detailsTask, width) : [];

  useAppKeys({
    getUi,
    dispatch,
    tasksFor: (filter) => (filter === ui.filter ? tasks : selectTasks(state, filter)),
    workers,
    taskById: (uuid) => state.tasks.get(uuid),
    pageSize: Math.max(1, ui.screen === 'details' ? bodyHeight - 1 : ui.pane === 'workers' ? layout.workerRows : layout.taskRows),
    workerPageSize: layout.workerRows,
    knownWorkers: () => allWorkers.filter((w) => w.isOnline).map((w) => w.hostname),
    detailsMaxScroll: Math.max(0, detailLines.length - (bodyHeight - 1)),
    actions,
    exit,
  });

  const keys = ui.prompt && ui.prompt.kind !== 'revoke' ? PROMPT_KEYS : SCREEN_KEYS[ui.screen === 'overview' ? ui.pane : ui.screen];
  const hint = ui.screen === 'overview' ? describeFilter(ui) || 'press ? for all keys' : SCREEN_HINTS[ui.screen];
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header connection={snapshot.connection} summary={summary} width={width} theme={theme} />
      <Box flexDirection="column" height={bodyHeight}>
        {ui.screen === 'overview' ? (
          <OverviewScreen
            ui={ui}
            workers={workers}
            workerSummary={workerSummary}
            tasks={tasks}
            tasksKept={state.tasks.size}
            rates={rates}
            layout={layout}
            width={width}
            nowMs={nowMs}
            theme={theme}
          />
        ) : ui.screen === 'details' ? (
          <TaskDetailsScreen
            task={detailsTask}
            uuid={ui.detailsUuid}
            lines={detailLines}
            scroll={ui.detailsScroll}
            height={bodyHeight}
            width={width}
            theme={theme}
          />
        ) : ui.screen === 'shell' ? (
          <ShellScreen
            shell={ui.shell}
            prompt={actions.shellPrompt}
            isAvailable={shell !== undefined}
            height={bodyHeight}
            width={width}
            theme={theme}
          />
        ) : (
          <HelpScreen height={bodyHeight} width={width} theme={theme} />
        )}
      </Box>
      <StatusLine prompt={ui.prompt} notice={ui.notice} hint={hint} width={width} theme={theme} />
      <HelpBar keys={keys} width={width} theme={theme} />
    </Box>
  );
}
