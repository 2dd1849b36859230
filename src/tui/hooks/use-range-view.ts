import { useEffect, useState } from 'react';
import type { ClusterState } from '../../events/cluster-state.js';
import { loadTimeRange, type RangeLoad, type RangeSource } from '../../history/range-loader.js';
import type { TimeWindow } from '../../history/time-range.js';

/** Where the tasks of the window shown come from. */
export type RangeViewStatus = 'live' | 'memory' | 'loading' | 'journal' | 'failed';

export interface RangeView {
  readonly status: RangeViewStatus;
  /** The journal's tasks of the window, once loaded (status `journal`). */
  readonly load: RangeLoad | undefined;
  /** Why the journal could not be read (status `failed`). */
  readonly error: string | undefined;
}

/**
 * Since when the state holds every task it saw (epoch ms): from the history it opened with (else from when the view
 * started), or, once the LRU bound has dropped tasks, from the least recently updated task still kept.
 */
export function inMemorySince(state: ClusterState, openedSince: number): number {
  if (state.evictedTasks === 0) return openedSince;
  const oldest = state.tasks.values().next().value;
  return oldest === undefined ? openedSince : Math.max(openedSince, oldest.updatedAt);
}

/**
 * The window's tasks: from the view's state when it holds the whole window, else read from the journal
 * (history/range-loader.ts) in the background, the view showing what it holds meanwhile. A window changed while
 * loading drops the load that nobody waits for.
 */
export function useRangeView(window: TimeWindow | undefined, source: RangeSource | undefined, memorySince: number, maxTasks: number): RangeView {
  const needsJournal = window !== undefined && source !== undefined && window.since < memorySince;
  const [result, setResult] = useState<{ readonly key: string; readonly load?: RangeLoad; readonly error?: string } | undefined>(undefined);
  const key = window === undefined ? '' : `${window.since}..${window.until}`;
  useEffect(() => {
    if (!needsJournal || window === undefined || source === undefined) return;
    let isCancelled = false;
    loadTimeRange(source, window, { maxTasks, isCancelled: () => isCancelled }).then(
      (load) => {
        if (!isCancelled && load !== undefined) setResult({ key, load });
      },
      (err: unknown) => {
        if (!isCancelled) setResult({ key, error: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => {
      isCancelled = true;
    };
    // The window's bounds (key) say when to load again, not the object.
  }, [key, needsJournal, source, maxTasks]);
  if (window === undefined) return { status: 'live', load: undefined, error: undefined };
  if (!needsJournal) return { status: 'memory', load: undefined, error: undefined };
  if (result?.key !== key) return { status: 'loading', load: undefined, error: undefined };
  return result.load ? { status: 'journal', load: result.load, error: undefined } : { status: 'failed', load: undefined, error: result.error };
}
