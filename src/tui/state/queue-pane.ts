import { lineEditor, type LineEditorState } from './line-editor.js';

/**
 * The queues pane's own slice of the live view's state: the selected queue, the question being asked (purge's
 * confirm, move's target) and the peek view. A pure reducer, tested without rendering; ui-reducer.ts holds it as
 * `queues` and hands it `queue-pane` actions.
 */

export type QueuePrompt =
  | { readonly kind: 'purge'; readonly queue: string }
  | { readonly kind: 'move'; readonly queue: string; readonly editor: LineEditorState; readonly error?: string | undefined };

export interface QueuePeek {
  readonly queue: string;
  readonly isLoading: boolean;
  readonly title: string;
  readonly lines: readonly string[];
  readonly note: string;
  readonly error: string | undefined;
  readonly scroll: number;
}

export interface QueuePaneState {
  /** The selected queue's name; undefined selects the first row. */
  readonly selected: string | undefined;
  readonly prompt: QueuePrompt | undefined;
  /** The peek view, open over the overview until Esc. */
  readonly peek: QueuePeek | undefined;
}

export const initialQueuePaneState: QueuePaneState = { selected: undefined, prompt: undefined, peek: undefined };

export type QueuePaneAction =
  | { readonly type: 'select'; readonly queue: string | undefined }
  | { readonly type: 'ask-purge'; readonly queue: string }
  | { readonly type: 'ask-move'; readonly queue: string }
  | { readonly type: 'edit-target'; readonly editor: LineEditorState }
  | { readonly type: 'target-error'; readonly error: string }
  | { readonly type: 'close-prompt' }
  | { readonly type: 'peek-start'; readonly queue: string }
  | { readonly type: 'peek-done'; readonly queue: string; readonly title: string; readonly lines: readonly string[]; readonly note: string }
  | { readonly type: 'peek-failed'; readonly queue: string; readonly error: string }
  | { readonly type: 'peek-scroll'; readonly delta: number; readonly max: number }
  | { readonly type: 'peek-close' };

export function queuePaneReducer(state: QueuePaneState, action: QueuePaneAction): QueuePaneState {
  switch (action.type) {
    case 'select':
      return { ...state, selected: action.queue };
    case 'ask-purge':
      return { ...state, selected: action.queue, prompt: { kind: 'purge', queue: action.queue } };
    case 'ask-move':
      return { ...state, selected: action.queue, prompt: { kind: 'move', queue: action.queue, editor: lineEditor() } };
    case 'edit-target':
      return state.prompt?.kind === 'move' ? { ...state, prompt: { ...state.prompt, editor: action.editor, error: undefined } } : state;
    case 'target-error':
      return state.prompt?.kind === 'move' ? { ...state, prompt: { ...state.prompt, error: action.error } } : state;
    case 'close-prompt':
      return { ...state, prompt: undefined };
    case 'peek-start':
      return {
        ...state,
        peek: { queue: action.queue, isLoading: true, title: `peeking '${action.queue}'…`, lines: [], note: '', error: undefined, scroll: 0 },
      };
    case 'peek-done':
      // A peek closed (Esc) before its answer came stays closed.
      if (state.peek?.queue !== action.queue) return state;
      return { ...state, peek: { ...state.peek, isLoading: false, title: action.title, lines: action.lines, note: action.note } };
    case 'peek-failed':
      if (state.peek?.queue !== action.queue) return state;
      return { ...state, peek: { ...state.peek, isLoading: false, title: `peek '${action.queue}' failed`, error: action.error } };
    case 'peek-scroll':
      if (!state.peek) return state;
      return { ...state, peek: { ...state.peek, scroll: Math.max(0, Math.min(action.max, state.peek.scroll + action.delta)) } };
    case 'peek-close':
      return { ...state, peek: undefined };
  }
}
