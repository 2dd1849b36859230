import { useLayoutEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import type { ClusterSnapshot } from '../../events/cluster-store.js';
import type { Clock } from '../../util/clock.js';
import type { ClusterStoreLike } from './use-cluster-snapshot.js';

interface ShownFrame {
  readonly signature: string;
  readonly at: (nowMs: number) => string;
}

/** What the live view's frame is drawn from, and where it says what the frame shows. */
export interface LiveFrame {
  readonly snapshot: ClusterSnapshot;
  /** The clock's time for this frame (ages, liveness, runtimes). */
  readonly nowMs: number;
  /** @internal the signature the last frame was drawn with, and the function that computes it at another time. */
  readonly shown: { current: ShownFrame };
}

/**
 * The cluster snapshot and the time for one frame, with a new frame only when what the screen shows would change.
 * The store publishes (task events, connection changes, and every 5 s for heartbeats alone) and a timer checks every
 * `intervalMs` (so time alone redraws at most once an interval; ages are coarse, a second late is nothing); either way the view's signature (useFrameSignature: the text of every part that can change
 * without a key press) is computed for now and compared with the one the screen was drawn with. Equal: no render. So
 * an idle cluster of 200 heartbeating workers, whose ages are shown coarsely, costs a frame when an age crosses a
 * step or a figure moves, not one a second. Key presses render as any React state change does.
 */
export function useLiveFrame(store: ClusterStoreLike, clock: Clock, intervalMs = 1000): LiveFrame {
  const shown = useRef<ShownFrame>({ signature: '', at: () => '' });
  // A frame counter as an external store: React renders a change of it at once (a sync update, effects included),
  // as it did for the cluster store itself, so a key pressed right after a frame sees that frame's rows.
  const frames = useMemo(() => {
    let frame = 0;
    return {
      subscribe: (onChange: () => void): (() => void) => {
        let lastConnection = store.getSnapshot().connection;
        const check = (): void => {
          const { connection } = store.getSnapshot();
          // A changed connection is always shown; anything else only when the signature says it shows differently.
          const isConnectionChanged = connection !== lastConnection;
          lastConnection = connection;
          if (isConnectionChanged || shown.current.at(clock.now()) !== shown.current.signature) {
            frame++;
            onChange();
          }
        };
        const unsubscribe = store.subscribe(check);
        const timer = clock.setInterval(check, intervalMs);
        return () => {
          unsubscribe();
          timer.cancel();
        };
      },
      getSnapshot: () => frame,
    };
  }, [store, clock, intervalMs]);
  useSyncExternalStore(frames.subscribe, frames.getSnapshot);
  return { snapshot: store.getSnapshot(), nowMs: clock.now(), shown };
}

/**
 * Tell the frame what it shows: `signatureAt(nowMs)` is everything on screen that can change without a key press
 * (events, the clock), as one string, computed from the same selectors and formatters the panes use. Call it once
 * per render, after everything the signature reads.
 */
export function useFrameSignature(frame: LiveFrame, signatureAt: (nowMs: number) => string): void {
  useLayoutEffect(() => {
    frame.shown.current = { signature: signatureAt(frame.nowMs), at: signatureAt };
  });
}
