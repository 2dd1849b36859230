import { useSyncExternalStore } from 'react';
import type { ClusterSnapshot, ClusterStore } from '../../events/cluster-store.js';

/** The part of the store a view needs: React's external-store pair. */
export type ClusterStoreLike = Pick<ClusterStore, 'subscribe' | 'getSnapshot'>;

/** The latest published snapshot; re-renders at most as often as the store publishes (~10/s). */
export function useClusterSnapshot(store: ClusterStoreLike): ClusterSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
