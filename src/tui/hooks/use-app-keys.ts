import { useInput, type Key } from 'ink';
import type { Dispatch } from 'react';
import type { TaskRecord } from '../../events/cluster-state.js';
import type { TaskFilter, WorkerPaneRow } from '../../events/selectors.js';
import { parseRate } from '../../protocol/rate.js';
import { DEFAULT_STEP_MS, parseTimeRange, stepTimeRange } from '../../history/time-range.js';
import { editLine, lineEditor } from '../state/line-editor.js';
import type { Pane, PaneMotion, UiAction, UiState } from '../state/ui-reducer.js';
import { handleQueueOverlayKey, handleQueuePaneKey, isEditingQueuePrompt, type QueueKeyContext } from './queue-pane-keys.js';
import type { ViewActions } from './use-view-actions.js';

export interface AppKeyContext {
  /** The latest UI state, read at each key (not the state of the last render). */
  readonly getUi: () => UiState;
  readonly dispatch: Dispatch<UiAction>;
  /**
   * The task table's rows (filtered, newest first) of the last rendered snapshot, under `filter`: keys read in one
   * go may have changed the filter since the render (`/add⏎⏎`), and must act on the rows that filter shows.
   */
  readonly tasksFor: (filter: TaskFilter) => readonly TaskRecord[];
  /** The workers pane's rows as shown (filtered, sorted, grouped). */
  readonly workers: readonly WorkerPaneRow[];
  /** A kept task by uuid (for the details screen). */
  readonly taskById: (uuid: string) => TaskRecord | undefined;
  /** Body rows of the focused pane (or of the details screen): what PgUp/PgDn move by. */
  readonly pageSize: number;
  /** Body rows of the workers pane. */
  readonly workerPageSize: number;
  /** The workers online now: the ones a ping should hear from. */
  readonly knownWorkers: () => readonly string[];
  readonly detailsMaxScroll: number;
  readonly actions: ViewActions;
  readonly exit: () => void;
  /** The panes Tab cycles through, in order. @defaultValue workers and tasks */
  readonly panes?: readonly Pane[] | undefined;
  /** The queues pane's rows and actions, when the view has the queues engine. */
  readonly queues?: QueueKeyContext | undefined;
  /** The keys of a screen that reads its own (the failures screen), as it last rendered. */
  readonly screenKeys?: (input: string, key: Key) => void;
  /** The clock's time (epoch ms): what `t`'s `-1h` and `14:00` and the steps of `[` `]` count from. */
  readonly now: () => number;
}

/** All keyboard handling of the app, by screen and prompt; only dispatches UI actions and calls `actions`. */
export function useAppKeys(context: AppKeyContext): void {
  useInput((input, key) => handleKey(context, input, key));
}

/** The task table's rows under the latest filter. */
function taskRows(ctx: AppKeyContext): readonly TaskRecord[] {
  return ctx.tasksFor(ctx.getUi().filter);
}

/** The task actions apply to: the one in details, else the selected one, else the newest. */
function currentTask(ctx: AppKeyContext, ui: UiState): TaskRecord | undefined {
  if (ui.screen === 'details') return ui.detailsUuid === undefined ? undefined : ctx.taskById(ui.detailsUuid);
  const rows = taskRows(ctx);
  const selected = ui.selectedTask === undefined ? undefined : rows.find((t) => t.uuid === ui.selectedTask);
  return selected ?? rows[0];
}

/** Whether typed text goes into a line editor (the shell, the search or rate prompt) rather than being keys. */
function isEditing(ui: UiState): boolean {
  return (
    ui.screen === 'shell' ||
    ui.prompt?.kind === 'search' ||
    ui.prompt?.kind === 'worker-filter' ||
    ui.prompt?.kind === 'rate-limit' ||
    ui.prompt?.kind === 'time-range' ||
    isEditingQueuePrompt(ui)
  );
}

const CONTROL_CHAR = /[\r\n\t\b\u007f]/;
/** A multi-key read split into its control characters and the runs of text between them. */
const KEY_PARTS = /[\r\n\t\b\u007f]|[^\r\n\t\b\u007f]+/g;

/** One character of a multi-key read as Ink would have reported it alone (Enter, Tab and Backspace are keys). */
function keyOfChar(ch: string, chunkKey: Key): [string, Key] {
  const key: Key = {
    ...chunkKey,
    return: ch === '\r' || ch === '\n',
    tab: ch === '\t',
    backspace: ch === '\b',
    delete: ch === '\u007f',
    escape: false,
    shift: /^[A-Z]$/.test(ch),
  };
  return [key.return || key.tab || key.backspace || key.delete ? '' : ch, key];
}

export function handleKey(ctx: AppKeyContext, input: string, key: Key): void {
  const ui = ctx.getUi();
  const { dispatch } = ctx;
  // Keys typed quickly (or sent together over a slow link, or by tmux send-keys) can arrive in one read, which Ink
  // hands over as one string ("jjr", "2/s\r"): Enter, Tab and Backspace in it are keys, and outside an editor so is
  // every character. Each part sees the state the previous one left, so "/boom" opens the search and types into it.
  if (input.length > 1 && (CONTROL_CHAR.test(input) || !isEditing(ui))) {
    for (const part of input.match(KEY_PARTS) ?? []) {
      if (CONTROL_CHAR.test(part)) handleKey(ctx, ...keyOfChar(part, key));
      else if (isEditing(ctx.getUi())) handleKey(ctx, part, key);
      else for (const ch of part) handleKey(ctx, ...keyOfChar(ch, key));
    }
    return;
  }
  if (ui.prompt) return handlePromptKey(ctx, input, key);
  if (ui.screen === 'overview' && handleQueueOverlayKey(ctx, input, key)) return;
  switch (ui.screen) {
    case 'shell':
      return handleShellKey(ctx, input, key);
    case 'details':
      return handleDetailsKey(ctx, input, key);
    case 'failures':
      // The failures screen handles its own keys (screens/failures-screen.tsx).
      return ctx.screenKeys?.(input, key);
    case 'help':
    case 'beat':
      if (input === 'q') return ctx.exit();
      return dispatch({ type: 'back' });
    case 'overview':
      return handleOverviewKey(ctx, input, key);
  }
}

function handlePromptKey(ctx: AppKeyContext, input: string, key: Key): void {
  const { dispatch, actions } = ctx;
  const ui = ctx.getUi();
  const prompt = ui.prompt!;
  if (prompt.kind === 'revoke') {
    if (input === 'y' || input === 't') {
      dispatch({ type: 'close-prompt', isCancel: false });
      actions.revoke(prompt.uuid, input === 't', prompt.worker);
    } else if (input === 'n' || key.escape) {
      dispatch({ type: 'close-prompt', isCancel: true });
      dispatch({ type: 'notice', notice: { text: 'revoke cancelled', tone: 'info' } });
    }
    return;
  }
  if (key.escape) return dispatch({ type: 'close-prompt', isCancel: true });
  if (key.return) {
    if (prompt.kind === 'worker-filter') return dispatch({ type: 'close-prompt', isCancel: false });
    if (prompt.kind === 'search') {
      // The search found what the user looks for: hold its first match, so a newer match arriving before the next
      // key does not take the highlight (and Enter) from under them. g follows the newest again.
      const first = ui.filter.query !== undefined && ui.selectedTask === undefined ? taskRows(ctx)[0] : undefined;
      dispatch({ type: 'close-prompt', isCancel: false });
      if (first) dispatch({ type: 'select-task', uuid: first.uuid });
      return;
    }
    if (prompt.kind === 'time-range') {
      const parsed = parseTimeRange(prompt.editor.value, ctx.now());
      // A wrong answer: the prompt stays, with what was wrong and what works; the range shown does not change.
      if (!parsed.ok) return dispatch({ type: 'prompt-error', error: parsed.error });
      return dispatch({ type: 'set-time-range', window: parsed.choice.kind === 'live' ? undefined : parsed.choice.window });
    }
    const rate = prompt.editor.value.trim();
    const parsed = parseRate(rate === '' ? 'x' : rate);
    if (!parsed.ok) return dispatch({ type: 'prompt-error', error: rate === '' ? 'type a rate' : parsed.error });
    dispatch({ type: 'close-prompt', isCancel: false });
    return actions.rateLimit(prompt.taskName, rate);
  }
  const editor = editLine(prompt.editor, input, key);
  if (editor) dispatch({ type: 'edit-prompt', editor });
}

function handleShellKey(ctx: AppKeyContext, input: string, key: Key): void {
  const { dispatch, actions } = ctx;
  const ui = ctx.getUi();
  const sh = ui.shell;
  if (key.escape) return dispatch({ type: 'back' });
  if (sh.isBusy) return;
  if (key.return) {
    const line = sh.editor.value;
    dispatch({ type: 'shell-submit', line, prompt: actions.shellPrompt });
    if (line.trim() !== '') actions.shellExecute(line);
    return;
  }
  if (key.tab) {
    const candidates = actions.shellComplete(sh.editor.value);
    if (candidates.length === 1) return dispatch({ type: 'shell-edit', editor: lineEditor(candidates[0]) });
    if (candidates.length > 1) {
      const prefix = commonPrefix(candidates);
      if (prefix.length > sh.editor.value.length) dispatch({ type: 'shell-edit', editor: lineEditor(prefix) });
      dispatch({ type: 'shell-info', text: candidates.join('  ') });
    }
    return;
  }
  if (key.upArrow) return dispatch({ type: 'shell-history', delta: -1 });
  if (key.downArrow) return dispatch({ type: 'shell-history', delta: 1 });
  const editor = editLine(sh.editor, input, key);
  if (editor) dispatch({ type: 'shell-edit', editor });
}

function handleDetailsKey(ctx: AppKeyContext, input: string, key: Key): void {
  const { dispatch } = ctx;
  if (input === 'q') return ctx.exit();
  if (key.escape || key.leftArrow || key.backspace || key.delete) return dispatch({ type: 'back' });
  const max = ctx.detailsMaxScroll;
  if (key.upArrow || input === 'k') return dispatch({ type: 'scroll-details', delta: -1, max });
  if (key.downArrow || input === 'j') return dispatch({ type: 'scroll-details', delta: 1, max });
  if (key.pageUp) return dispatch({ type: 'scroll-details', delta: -ctx.pageSize, max });
  if (key.pageDown || input === ' ') return dispatch({ type: 'scroll-details', delta: ctx.pageSize, max });
  taskActionKey(ctx, input);
}

/** r and l: the same on the overview and in details. */
function taskActionKey(ctx: AppKeyContext, input: string): boolean {
  const task = currentTask(ctx, ctx.getUi());
  if (input !== 'r' && input !== 'l') return false;
  const selectionBefore = ctx.getUi().selectedTask;
  if (!task) {
    ctx.dispatch({ type: 'notice', notice: { text: 'no task selected', tone: 'info' } });
    return true;
  }
  // Following the newest task, the highlight would move on while the prompt waits: pin it to this task.
  if (ctx.getUi().screen === 'overview') ctx.dispatch({ type: 'select-task', uuid: task.uuid });
  if (input === 'r')
    ctx.dispatch({ type: 'open-prompt', prompt: { kind: 'revoke', uuid: task.uuid, name: task.name, worker: task.worker, selectionBefore } });
  else if (task.name === undefined)
    ctx.dispatch({ type: 'notice', notice: { text: "the task's name is not known yet (its task-received was not seen)", tone: 'error' } });
  else ctx.dispatch({ type: 'open-prompt', prompt: { kind: 'rate-limit', taskName: task.name, editor: lineEditor(), selectionBefore } });
  return true;
}

function handleOverviewKey(ctx: AppKeyContext, input: string, key: Key): void {
  const { dispatch } = ctx;
  const ui = ctx.getUi();
  if (input === 'q') return ctx.exit();
  if (key.tab) return dispatch({ type: 'toggle-pane', panes: ctx.panes, reverse: key.shift });
  if (input === '?') return dispatch({ type: 'open-screen', screen: 'help' });
  if (input === ':') return dispatch({ type: 'open-screen', screen: 'shell' });
  if (input === 'B') return dispatch({ type: 'open-screen', screen: 'beat' });
  if (input === 'F') return dispatch({ type: 'open-screen', screen: 'failures' });
  if (input === 'h') return dispatch({ type: 'toggle-live-only' });
  if (input === 't') return dispatch({ type: 'open-prompt', prompt: { kind: 'time-range', editor: lineEditor() } });
  if (input === '[' || input === ']') return stepRange(ctx, input === '[' ? -1 : 1);
  if (input === 's') return dispatch({ type: 'cycle-state-filter' });
  if (input === 'c') return dispatch({ type: 'clear-filters' });
  if (input === 'p') return ctx.actions.ping(ctx.knownWorkers());
  if (key.escape) return dispatch({ type: 'notice', notice: undefined });
  if (ui.pane === 'workers') return handleWorkersPaneKey(ctx, input, key);
  if (input === '/')
    return dispatch({ type: 'open-prompt', prompt: { kind: 'search', editor: lineEditor(ui.filter.query ?? ''), previous: ui.filter.query } });
  const delta = key.upArrow || input === 'k' ? -1 : key.downArrow || input === 'j' ? 1 : key.pageUp ? -ctx.pageSize : key.pageDown ? ctx.pageSize : 0;
  if (ui.pane === 'queues') return handleQueuePaneKey(ctx, input, key, delta);
  if (delta !== 0) {
    const rows = taskRows(ctx);
    const index =
      ui.selectedTask === undefined
        ? 0
        : Math.max(
            0,
            rows.findIndex((t) => t.uuid === ui.selectedTask),
          );
    const next = Math.max(0, Math.min(rows.length - 1, index + delta));
    return dispatch({ type: 'select-task', uuid: next <= 0 ? undefined : rows[next]?.uuid });
  }
  if (key.home || input === 'g') return dispatch({ type: 'select-task', uuid: undefined });
  if (key.end || input === 'G') {
    const rows = taskRows(ctx);
    return dispatch({ type: 'select-task', uuid: rows.length > 1 ? rows[rows.length - 1]?.uuid : undefined });
  }
  const task = currentTask(ctx, ui);
  if (key.return) {
    if (!task) return;
    // Coming back from the details, the selection stays on this task instead of following newer ones.
    dispatch({ type: 'select-task', uuid: task.uuid });
    return dispatch({ type: 'open-screen', screen: 'details', uuid: task.uuid });
  }
  if (input === 'n' && task?.name) return dispatch({ type: 'toggle-filter', field: 'name', value: task.name });
  if (input === 'w' && task?.worker) return dispatch({ type: 'toggle-filter', field: 'worker', value: task.worker });
  taskActionKey(ctx, input);
}

/** `[` and `]`: the window back or forward by its length; from live, `[` shows the last 15 minutes. */
function stepRange(ctx: AppKeyContext, direction: -1 | 1): void {
  const current = ctx.getUi().timeRange;
  if (current === undefined && direction > 0) {
    return ctx.dispatch({
      type: 'notice',
      notice: { text: `following live already: [ shows the ${DEFAULT_STEP_MS / 60_000} minutes before now`, tone: 'info' },
    });
  }
  ctx.dispatch({ type: 'set-time-range', window: stepTimeRange(current, direction, ctx.now()) });
}

/** The motion a key asks of a paged list, if any. */
function motionOf(input: string, key: Key): PaneMotion | undefined {
  if (key.upArrow || input === 'k') return 'up';
  if (key.downArrow || input === 'j') return 'down';
  if (key.pageUp) return 'page-up';
  if (key.pageDown || input === ' ') return 'page-down';
  if (key.home || input === 'g') return 'home';
  if (key.end || input === 'G') return 'end';
  return undefined;
}

function handleWorkersPaneKey(ctx: AppKeyContext, input: string, key: Key): void {
  const { dispatch } = ctx;
  const ui = ctx.getUi();
  const motion = motionOf(input, key);
  if (motion) return dispatch({ type: 'move-worker', motion, keys: ctx.workers.map((r) => r.key), pageSize: ctx.workerPageSize });
  if (input === '/') {
    const previous = ui.workersPane.filter;
    return dispatch({ type: 'open-prompt', prompt: { kind: 'worker-filter', editor: lineEditor(previous ?? ''), previous } });
  }
  if (input === 'o') return dispatch({ type: 'cycle-worker-sort' });
  if (input === 'b') return dispatch({ type: 'cycle-worker-grouping' });
  const row = ctx.workers.find((r) => r.key === ui.selectedWorker) ?? ctx.workers[0];
  if (row?.kind === 'group' && (key.return || input === 'w')) return dispatch({ type: 'toggle-worker-group', key: row.key });
  if ((key.return || input === 'w') && row?.kind === 'worker') {
    const selected = row.worker.hostname;
    const isOn = ui.filter.worker !== selected;
    dispatch({ type: 'toggle-filter', field: 'worker', value: selected });
    // Drilling into a worker's tasks: the keys follow to its task list.
    if (isOn) dispatch({ type: 'focus-pane', pane: 'tasks' });
    return;
  }
  if (input === 'r' || input === 'l' || input === 'n') {
    return dispatch({ type: 'notice', notice: { text: `${input} acts on the selected task: Tab switches to the tasks pane`, tone: 'info' } });
  }
}

function commonPrefix(items: readonly string[]): string {
  let prefix = items[0] ?? '';
  for (const item of items) while (!item.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}
