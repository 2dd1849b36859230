import type { TaskFilter } from '../../events/selectors.js';
import { lineEditor, type LineEditorState } from './line-editor.js';
import { initialQueuePaneState, queuePaneReducer, type QueuePaneAction, type QueuePaneState } from './queue-pane.js';

/**
 * The live view's own state, separate from the cluster state: which screen and pane, the selection, the filter,
 * the prompt being answered, the latest notice and the shell pane's lines. A pure reducer (gemini-cli's
 * shellReducer), tested without rendering.
 */

export type Screen = 'overview' | 'details' | 'shell' | 'help';
/** The overview's panes in Tab's order; a view without the queues engine leaves `queues` out of the cycle. */
export const PANES = ['workers', 'tasks', 'queues'] as const;
export type Pane = (typeof PANES)[number];

export type Prompt =
  | { readonly kind: 'search'; readonly editor: LineEditorState; readonly previous: string | undefined }
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
    };

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
  readonly selectedWorker: string | undefined;
  readonly filter: TaskFilter;
  readonly prompt: Prompt | undefined;
  readonly notice: Notice | undefined;
  /** The task the details screen shows. */
  readonly detailsUuid: string | undefined;
  readonly detailsScroll: number;
  readonly shell: ShellPaneState;
  /** The queues pane (state/queue-pane.ts). */
  readonly queues: QueuePaneState;
}

export const STATE_FILTER_CYCLE = [undefined, 'RECEIVED', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'REJECTED', 'PENDING'] as const;
const MAX_SHELL_LINES = 1000;
const MAX_HISTORY = 500;

export const initialUiState: UiState = {
  screen: 'overview',
  pane: 'tasks',
  selectedTask: undefined,
  selectedWorker: undefined,
  filter: {},
  prompt: undefined,
  notice: undefined,
  detailsUuid: undefined,
  detailsScroll: 0,
  shell: { lines: [], editor: lineEditor(), history: [], historyIndex: undefined, isBusy: false },
  queues: initialQueuePaneState,
};

export type UiAction =
  /** Focus the next of `panes` (default: workers and tasks), or the previous one with `reverse` (Shift-Tab). */
  | { readonly type: 'toggle-pane'; readonly panes?: readonly Pane[] | undefined; readonly reverse?: boolean | undefined }
  | { readonly type: 'queue-pane'; readonly action: QueuePaneAction }
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
      return { ...state, filter: {}, selectedTask: undefined, notice: { text: 'filters cleared', tone: 'info' } };
    case 'open-prompt': {
      const p = action.prompt;
      const filter = p.kind === 'search' ? { ...state.filter, query: p.editor.value || undefined } : state.filter;
      return { ...state, prompt: p, filter };
    }
    case 'edit-prompt': {
      const p = state.prompt;
      if (!p || p.kind === 'revoke') return state;
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
      return p?.kind === 'rate-limit' ? { ...state, prompt: { ...p, error: action.error } } : state;
    }
    case 'close-prompt': {
      const p = state.prompt;
      if (p?.kind === 'search' && action.isCancel) return { ...state, prompt: undefined, filter: { ...state.filter, query: p.previous } };
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
        ...(action.screen === 'details' ? { detailsUuid: action.uuid, detailsScroll: 0 } : {}),
      };
    case 'back':
      return { ...state, screen: 'overview', prompt: undefined };
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

function appendLines(lines: readonly ShellLine[], more: readonly ShellLine[]): readonly ShellLine[] {
  const all = [...lines, ...more];
  return all.length > MAX_SHELL_LINES ? all.slice(-MAX_SHELL_LINES) : all;
}
