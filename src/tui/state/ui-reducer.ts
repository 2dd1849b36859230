import { WORKER_GROUPINGS, WORKER_SORTS, type TaskFilter, type WorkerGrouping, type WorkerSort } from '../../events/selectors.js';
import type { TimeWindow } from '../../history/time-range.js';
import { lineEditor, type LineEditorState } from './line-editor.js';
import { initialQueuePaneState, queuePaneReducer, type QueuePaneAction, type QueuePaneState } from './queue-pane.js';

/**
 * The live view's own state, separate from the cluster state: which screen and pane, the selection, the filter,
 * the prompt being answered, the latest notice and the shell pane's lines. A pure reducer (gemini-cli's
 * shellReducer), tested without rendering.
 */

export type Screen = 'overview' | 'details' | 'shell' | 'help' | 'beat' | 'failures';
/** The overview's panes in Tab's order; a view without the queues engine leaves `queues` out of the cycle. */
export const PANES = ['workers', 'tasks', 'queues'] as const;
export type Pane = (typeof PANES)[number];
/** How the workers pane shows its rows, and where it is scrolled to. */
export interface WorkersPaneState {
  readonly sort: WorkerSort;
  readonly grouping: WorkerGrouping;
  /** A name pattern (glob or substring); undefined shows every worker. */
  readonly filter: string | undefined;
  /** Keys of the groups shown open; the others show their heading and counts only. */
  readonly expanded: readonly string[];
  /** Index of the first row shown. */
  readonly scroll: number;
}

/** How a key moves the selection of a paged list. */
export type PaneMotion = 'up' | 'down' | 'page-up' | 'page-down' | 'home' | 'end';

export type Prompt =
  | { readonly kind: 'search'; readonly editor: LineEditorState; readonly previous: string | undefined }
  | { readonly kind: 'worker-filter'; readonly editor: LineEditorState; readonly previous: string | undefined }
  | {
      readonly kind: 'revoke';
      readonly uuid: string;
      readonly name: string | undefined;
      readonly worker: string | undefined;
      readonly selectionBefore: string | undefined;
    }
  | {
      readonly kind: 'rate-limit';
      readonly taskName: string;
      readonly editor: LineEditorState;
      readonly error?: string | undefined;
      readonly selectionBefore: string | undefined;
    }
  /** `t`: the time range to show (history/time-range.ts reads the answer). */
  | { readonly kind: 'time-range'; readonly editor: LineEditorState; readonly error?: string | undefined };

export interface Notice {
  readonly text: string;
  readonly tone: 'info' | 'success' | 'error' | 'pending';
}

export interface ShellLine {
  readonly text: string;
  readonly tone: 'input' | 'output' | 'error' | 'info';
}

export interface ShellPaneState {
  readonly lines: readonly ShellLine[];
  readonly editor: LineEditorState;
  readonly history: readonly string[];
  /** Index into history while browsing with ↑/↓; undefined when editing a new line. */
  readonly historyIndex: number | undefined;
  readonly isBusy: boolean;
}

export interface UiState {
  readonly screen: Screen;
  readonly pane: Pane;
  /** The selected task's uuid; undefined follows the newest task. */
  readonly selectedTask: string | undefined;
  /** The key of the selected workers pane row (a hostname, or a group's `group:<name>`). */
  readonly selectedWorker: string | undefined;
  readonly workersPane: WorkersPaneState;
  readonly filter: TaskFilter;
  readonly prompt: Prompt | undefined;
  readonly notice: Notice | undefined;
  /** The task the details screen shows. */
  readonly detailsUuid: string | undefined;
  readonly detailsScroll: number;
  readonly shell: ShellPaneState;
  /** The queues pane (state/queue-pane.ts). */
  readonly queues: QueuePaneState;
  /** `h`: hide the tasks the journal's history brought (last seen before the view started). */
  readonly liveOnly: boolean;
  /** The screen the details were opened from (Esc goes back there). */
  readonly detailsFrom: Screen;
  /** `t`, `[`, `]`: the window of time the tasks pane and the failures screen show; undefined follows live. */
  readonly timeRange: TimeWindow | undefined;
}

export const STATE_FILTER_CYCLE = [undefined, 'RECEIVED', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'REJECTED', 'PENDING'] as const;
const MAX_SHELL_LINES = 1000;
const MAX_HISTORY = 500;

export const initialUiState: UiState = {
  screen: 'overview',
  pane: 'tasks',
  selectedTask: undefined,
  selectedWorker: undefined,
  workersPane: { sort: 'name', grouping: 'none', filter: undefined, expanded: [], scroll: 0 },
  filter: {},
  prompt: undefined,
  notice: undefined,
  detailsUuid: undefined,
  detailsScroll: 0,
  shell: { lines: [], editor: lineEditor(), history: [], historyIndex: undefined, isBusy: false },
  queues: initialQueuePaneState,
  liveOnly: false,
  detailsFrom: 'overview',
  timeRange: undefined,
};

export type UiAction =
  /** Focus the next of `panes` (default: workers and tasks), or the previous one with `reverse` (Shift-Tab). */
  | { readonly type: 'toggle-pane'; readonly panes?: readonly Pane[] | undefined; readonly reverse?: boolean | undefined }
  | { readonly type: 'queue-pane'; readonly action: QueuePaneAction }
  | { readonly type: 'focus-pane'; readonly pane: Pane }
  /** `keys`: the workers pane's row keys in the order shown; `pageSize`: its body rows. */
  | { readonly type: 'move-worker'; readonly motion: PaneMotion; readonly keys: readonly string[]; readonly pageSize: number }
  | { readonly type: 'cycle-worker-sort' }
  | { readonly type: 'cycle-worker-grouping' }
  | { readonly type: 'toggle-worker-group'; readonly key: string }
  | { readonly type: 'select-task'; readonly uuid: string | undefined }
  | { readonly type: 'select-worker'; readonly hostname: string | undefined }
  | { readonly type: 'cycle-state-filter' }
  | { readonly type: 'toggle-filter'; readonly field: 'name' | 'worker'; readonly value: string | undefined }
  | { readonly type: 'clear-filters' }
  | { readonly type: 'open-prompt'; readonly prompt: Prompt }
  | { readonly type: 'edit-prompt'; readonly editor: LineEditorState }
  | { readonly type: 'prompt-error'; readonly error: string }
  | { readonly type: 'close-prompt'; readonly isCancel: boolean }
  | { readonly type: 'notice'; readonly notice: Notice | undefined }
  | { readonly type: 'open-screen'; readonly screen: Screen; readonly uuid?: string | undefined }
  | { readonly type: 'back' }
  | { readonly type: 'toggle-live-only' }
  /** Show this window (undefined: follow live again); closes the `t` prompt, and the selection starts at the top. */
  | { readonly type: 'set-time-range'; readonly window: TimeWindow | undefined }
  | { readonly type: 'scroll-details'; readonly delta: number; readonly max: number }
  | { readonly type: 'shell-edit'; readonly editor: LineEditorState }
  | { readonly type: 'shell-submit'; readonly line: string; readonly prompt: string }
  | { readonly type: 'shell-result'; readonly text: string; readonly isError: boolean }
  | { readonly type: 'shell-info'; readonly text: string }
  | { readonly type: 'shell-history'; readonly delta: -1 | 1 };

export function uiReducer(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case 'toggle-pane': {
      const panes = action.panes ?? ['workers', 'tasks'];
      const step = action.reverse === true ? panes.length - 1 : 1;
      return { ...state, pane: panes[(panes.indexOf(state.pane) + step) % panes.length] ?? 'tasks' };
    }
    case 'queue-pane':
      return { ...state, queues: queuePaneReducer(state.queues, action.action) };
    case 'focus-pane':
      return { ...state, pane: action.pane };
    case 'move-worker': {
      const { selected, scroll } = movePaged(action.keys, state.selectedWorker, state.workersPane.scroll, action.motion, action.pageSize);
      return { ...state, selectedWorker: selected, workersPane: { ...state.workersPane, scroll } };
    }
    case 'cycle-worker-sort': {
      const sort = WORKER_SORTS[(WORKER_SORTS.indexOf(state.workersPane.sort) + 1) % WORKER_SORTS.length]!;
      return {
        ...state,
        workersPane: { ...state.workersPane, sort, scroll: 0 },
        selectedWorker: undefined,
        notice: { text: `workers by ${sort}`, tone: 'info' },
      };
    }
    case 'cycle-worker-grouping': {
      const grouping = WORKER_GROUPINGS[(WORKER_GROUPINGS.indexOf(state.workersPane.grouping) + 1) % WORKER_GROUPINGS.length]!;
      const text = grouping === 'none' ? 'workers not grouped' : `workers grouped by ${grouping} (⏎ opens a group)`;
      return {
        ...state,
        workersPane: { ...state.workersPane, grouping, expanded: [], scroll: 0 },
        selectedWorker: undefined,
        notice: { text, tone: 'info' },
      };
    }
    case 'toggle-worker-group': {
      const open = state.workersPane.expanded;
      const expanded = open.includes(action.key) ? open.filter((k) => k !== action.key) : [...open, action.key];
      return { ...state, workersPane: { ...state.workersPane, expanded } };
    }
    case 'select-task':
      return { ...state, selectedTask: action.uuid };
    case 'select-worker':
      return { ...state, selectedWorker: action.hostname };
    case 'cycle-state-filter': {
      const i = STATE_FILTER_CYCLE.indexOf(state.filter.state as (typeof STATE_FILTER_CYCLE)[number]);
      const next = STATE_FILTER_CYCLE[(i + 1) % STATE_FILTER_CYCLE.length];
      return { ...state, filter: { ...state.filter, state: next }, selectedTask: undefined };
    }
    case 'toggle-filter': {
      const current = state.filter[action.field];
      const value = current !== undefined && (current === action.value || action.value === undefined) ? undefined : action.value;
      return { ...state, filter: { ...state.filter, [action.field]: value }, selectedTask: undefined };
    }
    case 'clear-filters':
      return {
        ...state,
        filter: {},
        selectedTask: undefined,
        workersPane: { ...state.workersPane, filter: undefined, scroll: 0 },
        notice: { text: 'filters cleared', tone: 'info' },
      };
    case 'open-prompt': {
      const p = action.prompt;
      if (p.kind === 'worker-filter') return { ...state, prompt: p, workersPane: withWorkerFilter(state.workersPane, p.editor.value) };
      const filter = p.kind === 'search' ? { ...state.filter, query: p.editor.value || undefined } : state.filter;
      return { ...state, prompt: p, filter };
    }
    case 'edit-prompt': {
      const p = state.prompt;
      if (!p || p.kind === 'revoke') return state;
      if (p.kind === 'worker-filter') {
        return { ...state, prompt: { ...p, editor: action.editor }, workersPane: withWorkerFilter(state.workersPane, action.editor.value) };
      }
      if (p.kind === 'search') {
        return {
          ...state,
          prompt: { ...p, editor: action.editor },
          filter: { ...state.filter, query: action.editor.value || undefined },
          selectedTask: undefined,
        };
      }
      return { ...state, prompt: { ...p, editor: action.editor, error: undefined } };
    }
    case 'prompt-error': {
      const p = state.prompt;
      return p?.kind === 'rate-limit' || p?.kind === 'time-range' ? { ...state, prompt: { ...p, error: action.error } } : state;
    }
    case 'close-prompt': {
      const p = state.prompt;
      if (p?.kind === 'time-range') return { ...state, prompt: undefined };
      if (p?.kind === 'search' && action.isCancel) return { ...state, prompt: undefined, filter: { ...state.filter, query: p.previous } };
      if (p?.kind === 'worker-filter') {
        return action.isCancel
          ? { ...state, prompt: undefined, workersPane: withWorkerFilter(state.workersPane, p.previous ?? '') }
          : { ...state, prompt: undefined };
      }
      // An action's prompt pinned the selection to its task while it waited; cancelled, the view follows (or stays
      // where the user had put it) as before.
      if (p !== undefined && p.kind !== 'search' && action.isCancel) return { ...state, prompt: undefined, selectedTask: p.selectionBefore };
      return { ...state, prompt: undefined };
    }
    case 'notice':
      return { ...state, notice: action.notice };
    case 'open-screen':
      return {
        ...state,
        screen: action.screen,
        prompt: undefined,
        notice: undefined,
        ...(action.screen === 'details' ? { detailsUuid: action.uuid, detailsScroll: 0, detailsFrom: state.screen } : {}),
      };
    case 'back':
      return { ...state, screen: state.screen === 'details' && state.detailsFrom === 'failures' ? 'failures' : 'overview', prompt: undefined };
    case 'toggle-live-only':
      return { ...state, liveOnly: !state.liveOnly };
    case 'set-time-range':
      return { ...state, timeRange: action.window, prompt: undefined, selectedTask: undefined, notice: undefined };
    case 'scroll-details':
      return { ...state, detailsScroll: Math.max(0, Math.min(action.max, state.detailsScroll + action.delta)) };
    case 'shell-edit':
      return { ...state, shell: { ...state.shell, editor: action.editor } };
    case 'shell-submit': {
      const sh = state.shell;
      const history =
        action.line.trim() === '' || sh.history[sh.history.length - 1] === action.line
          ? sh.history
          : [...sh.history, action.line].slice(-MAX_HISTORY);
      return {
        ...state,
        shell: {
          lines: appendLines(sh.lines, [{ text: action.prompt + action.line, tone: 'input' }]),
          editor: lineEditor(),
          history,
          historyIndex: undefined,
          isBusy: action.line.trim() !== '',
        },
      };
    }
    case 'shell-result': {
      const text = action.text.replace(/\n$/, '');
      const lines = text === '' ? [] : text.split('\n').map((t): ShellLine => ({ text: t, tone: action.isError ? 'error' : 'output' }));
      return { ...state, shell: { ...state.shell, lines: appendLines(state.shell.lines, lines), isBusy: false } };
    }
    case 'shell-info':
      return {
        ...state,
        shell: {
          ...state.shell,
          lines: appendLines(
            state.shell.lines,
            action.text.split('\n').map((t) => ({ text: t, tone: 'info' as const })),
          ),
        },
      };
    case 'shell-history': {
      const sh = state.shell;
      if (sh.history.length === 0) return state;
      const from = sh.historyIndex ?? sh.history.length;
      const index = from + action.delta;
      if (index >= sh.history.length) return { ...state, shell: { ...sh, historyIndex: undefined, editor: lineEditor() } };
      const clamped = Math.max(0, index);
      return { ...state, shell: { ...sh, historyIndex: clamped, editor: lineEditor(sh.history[clamped]) } };
    }
  }
}

function withWorkerFilter(pane: WorkersPaneState, text: string): WorkersPaneState {
  return { ...pane, filter: text === '' ? undefined : text, scroll: 0 };
}

/** The first row of the page holding `index`: pages start at 0, size, 2·size… so paging shows each row once. */
function pageStart(index: number, pageSize: number): number {
  return Math.floor(Math.max(0, index) / pageSize) * pageSize;
}

/**
 * A paged list's next selection (by key) and first shown row. ↑↓ move one row and scroll just enough to keep it in
 * view; PgUp/PgDn move a whole page, keeping the selection's place on it, on page boundaries, so paging through
 * shows every row exactly once (the last page may be short); Home/End go to the first/last row and its page.
 */
export function movePaged(
  keys: readonly string[],
  selected: string | undefined,
  scroll: number,
  motion: PaneMotion,
  pageSize: number,
): { selected: string | undefined; scroll: number } {
  const count = keys.length;
  if (count === 0) return { selected, scroll: 0 };
  const page = Math.max(1, pageSize);
  const last = count - 1;
  const lastStart = pageStart(last, page);
  const found = selected === undefined ? -1 : keys.indexOf(selected);
  const index = found < 0 ? Math.min(Math.max(0, scroll), last) : found;
  const top = Math.min(Math.max(0, scroll), lastStart);
  const at = (i: number, first: number) => ({ selected: keys[i], scroll: first });
  switch (motion) {
    case 'home':
      return at(0, 0);
    case 'end':
      return at(last, lastStart);
    case 'page-down':
    case 'page-up': {
      const first = motion === 'page-down' ? Math.min(pageStart(top, page) + page, lastStart) : Math.max(0, pageStart(top, page) - page);
      const offset = Math.min(Math.max(0, index - top), page - 1);
      return at(Math.min(last, first + offset), first);
    }
    case 'up':
    case 'down': {
      const next = Math.max(0, Math.min(last, index + (motion === 'down' ? 1 : -1)));
      const first = next < top ? next : next >= top + page ? next - page + 1 : top;
      return at(next, first);
    }
  }
}

function appendLines(lines: readonly ShellLine[], more: readonly ShellLine[]): readonly ShellLine[] {
  const all = [...lines, ...more];
  return all.length > MAX_SHELL_LINES ? all.slice(-MAX_SHELL_LINES) : all;
}
