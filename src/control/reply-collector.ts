import type { CamqError } from '../errors/index.js';
import type { ControlReply } from '../protocol/control-message.js';

/** One worker's answer to a request, in the order replies arrived. */
export interface NodeReply<T = unknown> {
  readonly nodename: string;
  readonly value: T;
  /** Milliseconds between publishing the request and receiving this reply. */
  readonly afterMs: number;
}

/**
 * What ended a collection: enough replies came (`limit`), every expected worker answered and the grace passed
 * (`expected`), or the time was up (`timeout`).
 */
export type StopReason = 'limit' | 'expected' | 'timeout';

/** The outcome of one broadcast with replies. */
export interface ControlResult<T = unknown> {
  readonly method: string;
  /**
   * Replies by node name. When two workers share a node name, the later reply wins, as in Celery's
   * `flatten_reply`; `order` still holds both and `duplicates` names the node.
   */
  readonly replies: ReadonlyMap<string, T>;
  /** Every accepted reply, in arrival order. */
  readonly order: readonly NodeReply<T>[];
  /** Node names that answered more than once (two workers started with the same `-n`). */
  readonly duplicates: readonly string[];
  /**
   * Who did not answer: the destinations, when the request named some; else the expected workers (the live
   * mailboxes), when the call was told them; else nobody (camq could not know who should have answered).
   */
  readonly missing: readonly string[];
  /** The destinations the request named, or null for a broadcast to every worker (or to a pattern). */
  readonly destination: readonly string[] | null;
  /**
   * The workers a broadcast waited for (CallOptions.expected), or null when it did not know them: no list was given,
   * the request named destinations, or finding the list failed (`expectedError` says why).
   */
  readonly expected: readonly string[] | null;
  /**
   * How many replies a broadcast waited for when the transport told how many mailboxes received it (Redis:
   * PUBLISH's reply) instead of naming them; null otherwise.
   */
  readonly expectedCount: number | null;
  /** Why the expected workers were not known although the call asked for them; null otherwise. */
  readonly expectedError: CamqError | null;
  readonly stoppedBy: StopReason;
  readonly elapsedMs: number;
}

export interface ReplyCollectorOptions {
  readonly method: string;
  readonly ticket: string;
  /** Stop after this many accepted replies. @defaultValue the number of destinations, else no limit */
  readonly limit?: number | undefined;
  readonly destination?: readonly string[] | null | undefined;
}

/**
 * The limit a collection stops at: the caller's, else one reply per named destination (kombu's
 * `limit = len(destination)`, docs/protocol.md, Remote control), else none.
 */
export function effectiveLimit(limit: number | undefined, destination: readonly string[] | null | undefined): number | undefined {
  if (limit !== undefined) return limit;
  return destination && destination.length > 0 ? destination.length : undefined;
}

/**
 * Collects the replies to one request (pure; the client feeds it and owns the timer). A reply counts when its
 * `ticket` header equals the request's or is absent (kombu assumes a ticketless reply matches); replies to other
 * tickets are ignored, so a late answer to an earlier call on the same reply queue never leaks into this one.
 */
export class ReplyCollector<T = unknown> {
  readonly method: string;
  readonly ticket: string;
  readonly limit: number | undefined;
  private readonly destination: readonly string[];
  private readonly order: NodeReply<T>[] = [];
  private readonly replies = new Map<string, T>();
  private readonly duplicates = new Set<string>();
  private expectedNodes: readonly string[] | null = null;
  private expectedFailure: CamqError | null = null;
  private expectedReplies: number | null = null;

  constructor(options: ReplyCollectorOptions) {
    this.method = options.method;
    this.ticket = options.ticket;
    this.destination = options.destination ?? [];
    this.limit = effectiveLimit(options.limit, options.destination);
  }

  /** Offer a decoded reply; returns it as a NodeReply when it belongs to this request, else undefined. */
  offer(reply: ControlReply, afterMs: number): NodeReply<T> | undefined {
    if (this.isComplete) return undefined;
    if (reply.ticket !== undefined && reply.ticket !== this.ticket) return undefined;
    if (this.replies.has(reply.nodename)) this.duplicates.add(reply.nodename);
    const accepted: NodeReply<T> = { nodename: reply.nodename, value: reply.value as T, afterMs };
    this.replies.set(reply.nodename, accepted.value);
    this.order.push(accepted);
    return accepted;
  }

  /**
   * The workers that should answer (ignored when the request named destinations: those are the ones waited for).
   * Replies that came before the list count.
   */
  expect(nodes: readonly string[]): void {
    if (this.destination.length > 0) return;
    this.expectedNodes = [...new Set(nodes)];
  }

  /**
   * How many replies should come, when the transport counted the mailboxes the request reached but cannot name them
   * (ignored when the request named destinations). A worker answering twice (two with one node name) counts twice.
   */
  expectCount(count: number): void {
    if (this.destination.length > 0) return;
    this.expectedReplies = count;
  }

  get expected(): readonly string[] | null {
    return this.expectedNodes;
  }

  /** Finding the expected workers failed: the call waits its whole timeout, and the result says why. */
  expectFailed(error: CamqError): void {
    if (this.destination.length === 0 && this.expectedNodes === null && this.expectedReplies === null) this.expectedFailure ??= error;
  }

  /** True once every expected worker answered, or as many replies as expected came (false while neither is known). */
  get hasAllExpected(): boolean {
    if (this.expectedNodes !== null) return this.expectedNodes.every((node) => this.replies.has(node));
    return this.expectedReplies !== null && this.order.length >= this.expectedReplies;
  }

  /** True once `limit` replies were accepted. */
  get isComplete(): boolean {
    return this.limit !== undefined && this.order.length >= this.limit;
  }

  get count(): number {
    return this.order.length;
  }

  result(stoppedBy: StopReason, elapsedMs: number): ControlResult<T> {
    return {
      method: this.method,
      replies: new Map(this.replies),
      order: [...this.order],
      duplicates: [...this.duplicates],
      missing: (this.destination.length > 0 ? this.destination : (this.expectedNodes ?? [])).filter((node) => !this.replies.has(node)),
      destination: this.destination.length > 0 ? [...this.destination] : null,
      expected: this.expectedNodes === null ? null : [...this.expectedNodes],
      expectedCount: this.expectedNodes === null ? this.expectedReplies : null,
      expectedError: this.expectedFailure,
      stoppedBy,
      elapsedMs,
    };
  }
}
