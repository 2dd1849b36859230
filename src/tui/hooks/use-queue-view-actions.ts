import { useMemo, type Dispatch } from 'react';
import type { QueueActions } from '../queue-actions.js';
import type { UiAction } from '../state/ui-reducer.js';

/** What the queues pane's keys can ask of the queues engine; each outcome lands in the UI state. */
export interface QueueViewActions {
  peek(queue: string): void;
  purge(queue: string): void;
  move(from: string, to: string): void;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function plural(n: number): string {
  return `${n} ${n === 1 ? 'message' : 'messages'}`;
}

/**
 * Peek, purge and move as fire-and-forget calls on the engine the app was given: the peek's answer fills the peek
 * view, a purge's or move's outcome is a notice. Without the engine they say so instead of doing nothing.
 */
export function useQueueViewActions(queues: QueueActions | undefined, dispatch: Dispatch<UiAction>): QueueViewActions {
  return useMemo(() => {
    const notice = (text: string, tone: 'info' | 'success' | 'error' | 'pending') => dispatch({ type: 'notice', notice: { text, tone } });
    const unavailable = (label: string) => notice(`${label}: the queues engine is not available in this view`, 'error');
    return {
      peek: (queue) => {
        if (!queues) return unavailable('peek');
        dispatch({ type: 'queue-pane', action: { type: 'peek-start', queue } });
        queues.peek(queue).then(
          (result) => dispatch({ type: 'queue-pane', action: { type: 'peek-done', queue, ...result } }),
          (err: unknown) => dispatch({ type: 'queue-pane', action: { type: 'peek-failed', queue, error: errorText(err) } }),
        );
      },
      purge: (queue) => {
        if (!queues) return unavailable('purge');
        notice(`purging '${queue}'…`, 'pending');
        queues.purge(queue).then(
          (removed) => notice(`${plural(removed)} removed from '${queue}'`, 'success'),
          (err: unknown) => notice(`purge '${queue}' failed: ${errorText(err)}`, 'error'),
        );
      },
      move: (from, to) => {
        if (!queues) return unavailable('move');
        notice(`moving '${from}' to '${to}'…`, 'pending');
        queues.move(from, to).then(
          (moved) => notice(`${plural(moved)} moved from '${from}' to '${to}'`, 'success'),
          (err: unknown) => notice(`move '${from}' → '${to}' failed: ${errorText(err)}`, 'error'),
        );
      },
    };
  }, [queues, dispatch]);
}
