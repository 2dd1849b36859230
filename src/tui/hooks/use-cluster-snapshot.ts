import type { ClusterStore } from '../../events/cluster-store.js';

/** The part of the store a view needs: React's external-store pair (use-live-frame.ts reads it). */
export type ClusterStoreLike = Pick<ClusterStore, 'subscribe' | 'getSnapshot'>;
