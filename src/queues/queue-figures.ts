/**
 * One queue's figures, whichever way camq got them. Figures a source cannot give are null: AMQP's passive declare
 * tells only the ready count and the consumer count, so `unacked`, the rates, the type and `idleSince` are null
 * there (docs/queues.md, "Where the figures come from").
 */
export interface QueueFigures {
  readonly vhost: string;
  readonly name: string;
  /** `classic`, `quorum` or `stream` (whatever the broker says); null when unknown. */
  readonly type: string | null;
  /** Messages waiting to be delivered. */
  readonly ready: number;
  /** Messages delivered and not yet acknowledged. */
  readonly unacked: number | null;
  readonly consumers: number;
  /** Messages published into the queue per second, over the broker's last sampling interval. */
  readonly publishRate: number | null;
  /** Messages delivered (to consumers and basic.get) per second, over the broker's last sampling interval. */
  readonly deliverRate: number | null;
  /** How fast `ready` changes per second, as the broker sampled it (positive: growing). */
  readonly readyRate: number | null;
  /** When the queue went idle (ms since the epoch); null while it is in use or when unknown. */
  readonly idleSince: number | null;
  /**
   * The node that serves the queue: a quorum queue's or stream's leader, a classic queue's node (the management API's
   * `leader`, else `node`). Absent or null when the source does not tell (the AMQP fallback).
   */
  readonly leader?: string | null;
  /** How many nodes hold a replica: a quorum queue's or stream's `members`; 1 for a classic queue. Absent or null: unknown. */
  readonly members?: number | null;
  /**
   * Where queues are stored as data (Redis, StoredQueues): the ready messages of each priority sub-list, every
   * sub-list in serving order (Redis: 0, 3, 6, 9), empty ones included. Absent where the broker does not tell.
   */
  readonly readyByPriority?: readonly { readonly priority: number; readonly count: number }[];
  /**
   * Where the transport keeps unacked messages itself (Redis: kombu's `unacked_index`): how long ago the oldest of
   * this queue's unacked messages was taken (null when none is unacked), and the visibility timeout after which any
   * consumer restores it to the queue. Absent where the broker does not tell.
   */
  readonly unackedAge?: { readonly oldestMs: number | null; readonly visibilityTimeoutS: number };
}

/**
 * Whether a listing is worth leader and member columns: some queue is replicated (more than one member) or the queues
 * live on more than one node. On a single node (every queue on the same node, one member) they would repeat one name.
 */
export function isClusteredListing(queues: readonly QueueFigures[]): boolean {
  const nodes = new Set<string>();
  for (const q of queues) {
    if ((q.members ?? 1) > 1) return true;
    if (q.leader) nodes.add(q.leader);
  }
  return nodes.size > 1;
}

/** Where a listing's figures came from. */
export type FiguresSource = 'api' | 'amqp';

/** Queue figures taken at one instant, and where they came from. */
export interface QueueListing {
  readonly source: FiguresSource;
  /** The management API's address (no credentials), when it was the source. */
  readonly api: string | null;
  readonly queues: readonly QueueFigures[];
  /** ms since the epoch, when the listing was taken. */
  readonly takenAt: number;
  /** How long the broker took to answer (the API request, or all the passive declares), in ms. */
  readonly brokerMs: number;
  /** With the AMQP fallback: one line saying what is missing and how to enable the API. Null otherwise. */
  readonly missing: string | null;
}
