import type { QueuePaneView } from '../queues/queue-pane-rows.js';

/**
 * What the queues pane needs from the queues engine (src/queues), and no more: the app takes an object of this shape
 * as a prop (built in src/cli/commands/live-view-engines.ts), so the view never opens a channel or lists queues itself,
 * and tests drive it with a scripted fake. `subscribe`/`getSnapshot` are the pair React's useSyncExternalStore takes;
 * the snapshot changes once per listing (the watcher's interval), never per frame.
 */
export interface QueueActions {
  subscribe(this: void, listener: () => void): () => void;
  getSnapshot(this: void): QueuePaneView;
  /** The first messages of `queue`, decoded as `camq queues peek` prints them, and left in place. */
  peek(queue: string): Promise<PeekText>;
  /** Remove every ready message of `queue`; resolves to how many went. */
  purge(queue: string): Promise<number>;
  /** Move every message of `from` to the existing queue `to` (publish with confirms, then ack); resolves to how many moved. */
  move(from: string, to: string): Promise<number>;
}

/** A peek as text lines. */
export interface PeekText {
  /** `queue 'celery' (classic): 120 ready, 0 consumers; showing the first 20`. */
  readonly title: string;
  readonly lines: readonly string[];
  /** What the peek did on the broker (PEEK_EFFECTS). */
  readonly note: string;
}
