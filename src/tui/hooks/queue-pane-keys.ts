import type { Key } from 'ink';
import type { Dispatch } from 'react';
import type { QueuePaneRow } from '../../queues/queue-pane-rows.js';
import { editLine } from '../state/line-editor.js';
import type { QueuePaneAction } from '../state/queue-pane.js';
import type { UiAction, UiState } from '../state/ui-reducer.js';
import type { QueueViewActions } from './use-queue-view-actions.js';

/** What the queues pane's keys read and call (the app passes it in AppKeyContext.queues). */
export interface QueueKeyContext {
  /** The pane's rows of the last rendered listing. */
  readonly rows: readonly QueuePaneRow[];
  readonly actions: QueueViewActions;
  /** How far the peek view scrolls. */
  readonly peekMaxScroll: number;
}

export interface QueuePaneKeyContext {
  readonly getUi: () => UiState;
  readonly dispatch: Dispatch<UiAction>;
  readonly pageSize: number;
  readonly exit: () => void;
  readonly queues?: QueueKeyContext | undefined;
}

const send = (ctx: QueuePaneKeyContext, action: QueuePaneAction) => ctx.dispatch({ type: 'queue-pane', action });

/** Whether typed text goes into the move prompt's target. */
export function isEditingQueuePrompt(ui: UiState): boolean {
  return ui.queues.prompt?.kind === 'move';
}

/** The queue the pane's keys act on: the selected one, else the first row. */
export function currentQueue(rows: readonly QueuePaneRow[], ui: UiState): QueuePaneRow | undefined {
  return (ui.queues.selected === undefined ? undefined : rows.find((r) => r.name === ui.queues.selected)) ?? rows[0];
}

/**
 * The keys of the queues pane's prompt (purge's confirm, move's target) and of its peek view, which sit over the
 * overview. Returns false when neither is open, so the overview's keys go on.
 */
export function handleQueueOverlayKey(ctx: QueuePaneKeyContext, input: string, key: Key): boolean {
  const q = ctx.getUi().queues;
  if (q.prompt?.kind === 'purge') {
    if (input === 'y') {
      send(ctx, { type: 'close-prompt' });
      ctx.queues?.actions.purge(q.prompt.queue);
    } else if (input === 'n' || key.escape) {
      send(ctx, { type: 'close-prompt' });
      ctx.dispatch({ type: 'notice', notice: { text: 'purge cancelled; nothing was removed', tone: 'info' } });
    }
    return true;
  }
  if (q.prompt?.kind === 'move') {
    if (key.escape) {
      send(ctx, { type: 'close-prompt' });
      ctx.dispatch({ type: 'notice', notice: { text: 'move cancelled', tone: 'info' } });
      return true;
    }
    if (key.return) {
      const target = q.prompt.editor.value.trim();
      if (target === '') send(ctx, { type: 'target-error', error: 'type the name of an existing queue' });
      else if (target === q.prompt.queue) send(ctx, { type: 'target-error', error: 'that is the queue itself: name another' });
      else {
        send(ctx, { type: 'close-prompt' });
        ctx.queues?.actions.move(q.prompt.queue, target);
      }
      return true;
    }
    const editor = editLine(q.prompt.editor, input, key);
    if (editor) send(ctx, { type: 'edit-target', editor });
    return true;
  }
  if (q.peek) {
    const max = ctx.queues?.peekMaxScroll ?? 0;
    if (input === 'q') ctx.exit();
    else if (key.escape || key.leftArrow || key.backspace || key.delete || key.return) send(ctx, { type: 'peek-close' });
    else if (key.upArrow || input === 'k') send(ctx, { type: 'peek-scroll', delta: -1, max });
    else if (key.downArrow || input === 'j') send(ctx, { type: 'peek-scroll', delta: 1, max });
    else if (key.pageUp) send(ctx, { type: 'peek-scroll', delta: -ctx.pageSize, max });
    else if (key.pageDown || input === ' ') send(ctx, { type: 'peek-scroll', delta: ctx.pageSize, max });
    else if (input === 'r') ctx.queues?.actions.peek(q.peek.queue);
    return true;
  }
  return false;
}

/** The keys of the focused queues pane: move, Enter peeks, P purges (asks first), m moves (asks the target). */
export function handleQueuePaneKey(ctx: QueuePaneKeyContext, input: string, key: Key, delta: number): void {
  const ui = ctx.getUi();
  const rows = ctx.queues?.rows ?? [];
  const current = currentQueue(rows, ui);
  if (delta !== 0 || key.home || key.end || input === 'g' || input === 'G') {
    if (rows.length === 0) return;
    const index = current === undefined ? 0 : rows.indexOf(current);
    const next = key.home || input === 'g' ? 0 : key.end || input === 'G' ? rows.length - 1 : Math.max(0, Math.min(rows.length - 1, index + delta));
    return send(ctx, { type: 'select', queue: rows[next]?.name });
  }
  if (!key.return && input !== 'P' && input !== 'm') {
    if (input === 'r' || input === 'l' || input === 'n' || input === 'w') {
      ctx.dispatch({ type: 'notice', notice: { text: `${input} acts on the selected task: Tab switches to the tasks pane`, tone: 'info' } });
    }
    return;
  }
  if (current === undefined) {
    const why = ctx.queues === undefined ? 'the queues engine is not available in this view' : 'no queue selected';
    return ctx.dispatch({ type: 'notice', notice: { text: why, tone: 'info' } });
  }
  if (key.return) return ctx.queues?.actions.peek(current.name);
  if (input === 'P') return send(ctx, { type: 'ask-purge', queue: current.name });
  send(ctx, { type: 'ask-move', queue: current.name });
}
