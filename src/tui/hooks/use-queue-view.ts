import { useSyncExternalStore } from 'react';
import { EMPTY_QUEUE_PANE, type QueuePaneView } from '../../queues/queue-pane-rows.js';
import type { QueueActions } from '../queue-actions.js';

const noQueues = {
  subscribe: () => () => {},
  getSnapshot: () => EMPTY_QUEUE_PANE,
};

/** The queues pane's figures: a new value once per listing of the engine's watcher, never per frame. */
export function useQueueView(queues: QueueActions | undefined): QueuePaneView {
  const source = queues ?? noQueues;
  return useSyncExternalStore(source.subscribe, source.getSnapshot);
}
