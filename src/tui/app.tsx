import { Box, useApp, type Key } from 'ink';
import { useMemo, useRef, useState } from 'react';
import { RetryLinks } from '../failures/retry-links.js';
import { describeHistory, type HistoryInfo } from '../history/history-loader.js';
import type { RangeSource } from '../history/range-loader.js';
import { describeTimeRange } from '../history/time-range.js';
import type { TaskRecord } from '../events/cluster-state.js';
import {
  isTaskInWindow,
  selectRateRows,
  selectSummary,
  selectWindowRateRows,
  selectTasks,
  selectWorkerPaneRows,
  selectWorkerRows,
  summarizeWorkers,
} from '../events/selectors.js';
import type { Clock } from '../util/clock.js';
import { Header, headerFigures } from './components/header.js';
import { HelpBar } from './components/help-bar.js';
import { QueuePromptLine } from './components/queue-prompt-line.js';
import { QueueTable, QUEUE_PANE_FIXED_LINES, queuePaneRows } from './components/queue-table.js';
import { rateRowsSignature } from './components/rate-panel.js';
import { taskRowsSignature } from './components/task-table.js';
import { visibleWorkerRows, workerRowsSignature } from './components/worker-table.js';
import { StatusLine } from './components/status-line.js';
import type { ControlActions } from './control-actions.js';
import { useAppKeys } from './hooks/use-app-keys.js';
import type { ClusterStoreLike } from './hooks/use-cluster-snapshot.js';
import { useFrameSignature, useLiveFrame } from './hooks/use-live-frame.js';
import { useQueueView } from './hooks/use-queue-view.js';
import { useQueueViewActions } from './hooks/use-queue-view-actions.js';
import { inMemorySince, useRangeView, type RangeView } from './hooks/use-range-view.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { useUiState } from './hooks/use-ui-state.js';
import { useViewActions } from './hooks/use-view-actions.js';
import { overviewLayout } from './layout.js';
import { BeatScreen, beatScreenSignature, type BeatBoardLike } from './screens/beat-screen.js';
import { HelpScreen, OVERVIEW_KEYS, QUEUE_PANE_KEYS, WORKER_PANE_KEYS } from './screens/help-screen.js';
import { peekLines, PeekScreen } from './screens/peek-screen.js';
import { describeFilter, OverviewScreen, workersTitle } from './screens/overview-screen.js';
import { FailuresScreen, initialFailuresUi, type FailureRetryActions, type FailuresUi } from './screens/failures-screen.js';
import { ShellScreen } from './screens/shell-screen.js';
import { taskDetailLines } from './screens/task-details-lines.js';
import { TaskDetailsScreen } from './screens/task-details-screen.js';
import type { QueueActions } from './queue-actions.js';
import type { ShellEngineLike } from './shell-engine-like.js';
import { PANES, type Pane, type Screen } from './state/ui-reducer.js';
import { createTheme } from './theme.js';
import { formatClockTime } from './format.js';

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
  /** The queues engine for the queues pane; without it the pane is not shown and Tab skips it. */
  readonly queues?: QueueActions | undefined;
  /** The beats' announced schedules for the beat screen (`B`). */
  readonly beats?: BeatBoardLike | undefined;
  /** What the view opened with from the journal, and when it started (`h` hides the tasks last seen before). */
  readonly history?: { readonly info: HistoryInfo; readonly startedMs: number } | undefined;
  /** Retries from the failures screen (`F`): the dry run and the send. */
  readonly retry?: FailureRetryActions | undefined;
  /** Which task retried which (from the journal's retry actions, and this view's retries). */
  readonly retryLinks?: RetryLinks | undefined;
  /** What the header's place for history says instead (`replay of …`). */
  readonly title?: string | undefined;
  /** The journal, for a time range (`t`, `[`) older than what the view holds; without it the view shows what it holds. */
  readonly rangeSource?: RangeSource | undefined;
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
  queues: QUEUE_PANE_KEYS,
  details: DETAILS_KEYS,
  shell: SHELL_KEYS,
  help: HELP_KEYS,
  beat: HELP_KEYS,
  failures: HELP_KEYS,
};
/** The status line when there is no prompt or notice (the overview shows its filter or where to find the keys). */
const SCREEN_HINTS: Readonly<Record<Exclude<Screen, 'overview'>, string>> = {
  details: '',
  shell: "'help' lists the commands, 'help <command>' explains one",
  help: 'any key comes back',
  beat: 'any key comes back',
  failures: '',
};

/** Bars of the rates panel's sparkline across a time range. */
const RANGE_RATE_BARS = 60;

/** What the status line adds about where a range's tasks come from. */
function rangeNote(view: RangeView): string {
  switch (view.status) {
    case 'loading':
      return ' · reading the journal…';
    case 'failed':
      return ` · the journal could not be read: ${view.error ?? 'unknown error'}`;
    case 'journal': {
      const load = view.load!;
      const capped = load.isCapped ? ` (the newest ${load.state.maxTasks} tasks, from ${formatClockTime(load.since / 1000).slice(0, 8)})` : '';
      return ` · from the journal: ${load.events} events${capped}`;
    }
    default:
      return '';
  }
}

/** A pane's key bar with Tab (`⇥`) naming the pane it goes to next. */
function withTabTarget(keys: readonly (readonly [string, string])[], next: Pane): readonly (readonly [string, string])[] {
  return keys.map(([key, label]) => (key === '⇥' ? [key, next] : [key, label]));
}

/**
 * The live view: a header (broker, connection, rates), the overview (workers and the task stream together, rates
 * when there is room), task details, the shell and the key help on demand, a status line and the key bar. It reads
 * the cluster through the store and the clock it is given, and acts through `control` and `shell`; it never touches
 * the broker, timers or the process itself.
 */
export function App({ store, clock, isColor = true, control, shell, queues, beats, history, retry, retryLinks, title, rangeSource }: AppProps) {
  const frame = useLiveFrame(store, clock);
  const { snapshot, nowMs } = frame;
  const { columns, rows } = useTerminalSize();
  const { exit } = useApp();
  const [ui, dispatch, getUi] = useUiState();
  const theme = useMemo(() => createTheme(isColor), [isColor]);
  const actions = useViewActions(control, shell, dispatch);
  const queueView = useQueueView(queues);
  const queueActions = useQueueViewActions(queues, dispatch);
  const [failuresUi, setFailuresUi] = useState<FailuresUi>(initialFailuresUi);
  const ownLinks = useRef<RetryLinks | undefined>(undefined);
  const links = retryLinks ?? (ownLinks.current ??= new RetryLinks());
  const failuresKeys = useRef<((input: string, key: Key) => void) | undefined>(undefined);

  const state = snapshot.state;
  const width = Math.max(20, columns);
  // One line short of the terminal: a frame as tall as the screen makes Ink clear the whole terminal every time.
  const height = Math.max(8, rows - 1);
  const bodyHeight = height - 3;
  // Sorting and filtering up to --max-tasks tasks happens once per published snapshot, not per keypress or tick.
  // Heartbeats leave the task list alone: it is sorted again only after task events.
  const liveSince = ui.liveOnly ? history?.startedMs : undefined;
  // A time range (t, [ ]) shows the tasks seen within it: from this state when it holds the whole range, else from
  // the journal (read in the background into a state of its own: live events keep going into this one).
  const range = ui.timeRange;
  const openedSince = history?.info.since ?? history?.startedMs ?? -Infinity;
  const rangeView = useRangeView(range, rangeSource, inMemorySince(state, openedSince), state.maxTasks);
  const shown = rangeView.load?.state ?? state;
  const tasks = useMemo(() => {
    let all = selectTasks(shown, ui.filter);
    if (liveSince !== undefined) all = all.filter((t) => t.updatedAt >= liveSince);
    return range === undefined ? all : all.filter((t) => isTaskInWindow(t, range));
  }, [shown, shown.taskVersion, ui.filter, liveSince, range]);
  // The failures screen groups the same tasks: those of the range when one is set.
  const failureTasks = useMemo((): ReadonlyMap<string, TaskRecord> => {
    if (range === undefined) return shown.tasks;
    const inRange = new Map<string, TaskRecord>();
    for (const [uuid, task] of shown.tasks) if (isTaskInWindow(task, range)) inRange.set(uuid, task);
    return inRange;
  }, [shown, shown.version, range]);
  const taskById = (uuid: string) => shown.tasks.get(uuid) ?? state.tasks.get(uuid);
  const allWorkers = selectWorkerRows(state, nowMs);
  const workerSummary = summarizeWorkers(allWorkers);
  const { sort, grouping, filter: workerFilter, expanded } = ui.workersPane;
  const workers = selectWorkerPaneRows(allWorkers, { sort, grouping, filter: workerFilter, expanded });
  const summary = selectSummary(state, nowMs);
  // With a range, the rates are the range's: what finished within it, by task name, across the window.
  const rateRowsAt = (at: number) =>
    range === undefined ? selectRateRows(state, at, 60) : selectWindowRateRows(failureTasks.values(), range, RANGE_RATE_BARS);
  const rates = ui.screen === 'overview' ? rateRowsAt(nowMs) : [];
  const panes: readonly Pane[] = queues === undefined ? PANES.filter((p) => p !== 'queues') : PANES;
  // The queues pane takes its rows off the bottom of the overview; workers, tasks and rates share the rest.
  const queueRows = queues === undefined ? 0 : queuePaneRows(bodyHeight, queueView);
  const queueLines = queueRows === 0 ? 0 : queueRows + QUEUE_PANE_FIXED_LINES;
  const layout = overviewLayout(bodyHeight + 3 - queueLines, workers.length, rates.length, tasks.length);
  const peek = ui.screen === 'overview' ? ui.queues.peek : undefined;

  const detailsTask = ui.detailsUuid === undefined ? undefined : taskById(ui.detailsUuid);
  const link = detailsTask ? links.describe(detailsTask.uuid) : '';
  const detailLines =
    ui.screen === 'details' && detailsTask
      ? [...(link === '' ? [] : [{ text: link, tone: 'label' as const }]), ...taskDetailLines(detailsTask, width)]
      : [];

  useAppKeys({
    getUi,
    dispatch,
    tasksFor: (filter) => (filter === ui.filter ? tasks : selectTasks(shown, filter).filter((t) => range === undefined || isTaskInWindow(t, range))),
    workers,
    taskById,
    pageSize: Math.max(1, ui.screen === 'details' ? bodyHeight - 1 : ui.pane === 'workers' ? layout.workerRows : layout.taskRows),
    workerPageSize: layout.workerRows,
    knownWorkers: () => allWorkers.filter((w) => w.isOnline).map((w) => w.hostname),
    detailsMaxScroll: Math.max(0, detailLines.length - (bodyHeight - 1)),
    actions,
    exit,
    panes,
    queues: {
      rows: queueView.rows,
      actions: queueActions,
      peekMaxScroll: peek ? Math.max(0, peekLines(peek).length - (bodyHeight - 1)) : 0,
    },
    screenKeys: (input, key) => failuresKeys.current?.(input, key),
    now: () => clock.now(),
  });

  const backlog = queues === undefined || queueView.source === null ? undefined : queueView.backlog;
  const rangeText = range === undefined ? '' : describeTimeRange(range, nowMs);
  // What the screen shows that changes without a key press, for `at`: the frame is redrawn only when it changes.
  useFrameSignature(frame, (at) => {
    const rowsAt = selectWorkerRows(state, at);
    const paneRowsAt = selectWorkerPaneRows(rowsAt, { sort, grouping, filter: workerFilter, expanded });
    return [
      String(state.taskVersion),
      // The range shown and where its tasks come from (a journal load finishing redraws), and the retry links.
      rangeText,
      rangeView.status,
      String(links.size),
      headerFigures(selectSummary(state, at), backlog),
      workersTitle(ui, paneRowsAt, summarizeWorkers(rowsAt), layout.workerRows),
      workerRowsSignature(visibleWorkerRows(paneRowsAt, ui.workersPane.scroll, layout.workerRows)),
      taskRowsSignature(tasks, ui.selectedTask, layout.taskRows, at / 1000),
      ui.screen === 'overview' && layout.rateRows > 0 ? rateRowsSignature(rateRowsAt(at), layout.rateRows) : '',
      ui.screen === 'beat' ? beatScreenSignature(beats, at) : '',
      // The failures screen's first/last-seen ages: redrawn every 10 s there (new failures come with taskVersion).
      ui.screen === 'failures' ? String(Math.floor(at / 10_000)) : '',
    ].join('\n');
  });

  const queuePrompt = ui.screen === 'overview' ? ui.queues.prompt : undefined;
  const keys =
    (ui.prompt && ui.prompt.kind !== 'revoke') || queuePrompt?.kind === 'move'
      ? PROMPT_KEYS
      : peek
        ? DETAILS_KEYS.slice(0, 2).concat(HELP_KEYS.slice(1))
        : ui.screen === 'overview'
          ? withTabTarget(SCREEN_KEYS[ui.pane], panes[(panes.indexOf(ui.pane) + 1) % panes.length]!)
          : SCREEN_KEYS[ui.screen];
  const historyText = title ?? (history === undefined ? '' : ui.liveOnly ? 'live only (h shows the history)' : describeHistory(history.info, nowMs));
  const rangeHint = range === undefined ? undefined : `${rangeText} (paused: [ ] step, t sets, t then Enter for live)${rangeNote(rangeView)}`;
  const hint =
    ui.screen === 'overview'
      ? [rangeHint ?? historyText, describeFilter(ui) || (rangeHint === undefined ? 'press ? for all keys' : '')].filter(Boolean).join(' · ')
      : ui.screen === 'failures' && rangeHint !== undefined
        ? rangeHint
        : SCREEN_HINTS[ui.screen];
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header connection={snapshot.connection} summary={summary} backlog={backlog} width={width} theme={theme} />
      <Box flexDirection="column" height={bodyHeight}>
        {peek ? (
          <PeekScreen peek={peek} height={bodyHeight} width={width} theme={theme} />
        ) : ui.screen === 'overview' ? (
          <>
            <OverviewScreen
              ui={ui}
              workers={workers}
              workerSummary={workerSummary}
              tasks={tasks}
              tasksKept={state.tasks.size}
              rangeText={rangeText}
              rateTitle={range === undefined ? undefined : `finished in ${rangeText}, by task name, across the range`}
              links={links}
              rates={rates}
              layout={layout}
              width={width}
              nowMs={nowMs}
              theme={theme}
            />
            {queueRows > 0 ? (
              <QueueTable
                view={queueView}
                selected={ui.queues.selected}
                isFocused={ui.pane === 'queues'}
                height={queueRows}
                width={width}
                theme={theme}
              />
            ) : null}
          </>
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
        ) : ui.screen === 'failures' ? (
          <FailuresScreen
            tasks={failureTasks}
            version={shown.version}
            scope={rangeText}
            ui={failuresUi}
            setUi={setFailuresUi}
            links={links}
            retry={retry}
            onOpenTask={(uuid) => dispatch({ type: 'open-screen', screen: 'details', uuid })}
            onBack={() => dispatch({ type: 'back' })}
            onQuit={exit}
            keys={failuresKeys}
            nowMs={nowMs}
            height={bodyHeight}
            width={width}
            theme={theme}
          />
        ) : ui.screen === 'beat' ? (
          <BeatScreen beats={beats} nowMs={nowMs} height={bodyHeight} width={width} theme={theme} />
        ) : (
          <HelpScreen height={bodyHeight} width={width} theme={theme} />
        )}
      </Box>
      {queuePrompt ? (
        <QueuePromptLine prompt={queuePrompt} width={width} theme={theme} />
      ) : (
        <StatusLine prompt={ui.prompt} notice={ui.notice} hint={hint} width={width} theme={theme} />
      )}
      <HelpBar keys={keys} width={width} theme={theme} />
    </Box>
  );
}
