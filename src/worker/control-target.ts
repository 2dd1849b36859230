import type { ActiveQueueInfo, ControlCommandSpec, LamportClock, OutgoingMessage, ScheduledEntry, StatsReply } from '../protocol/index.js';
import { pyExceptionRepr } from '../protocol/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { EventDispatcher } from './event-dispatcher.js';
import type { Request } from './request.js';
import type { RevokedSet } from './revoked-set.js';
import type { TaskRegistry } from './task-registry.js';

/**
 * What a remote-control command sees of the worker (ControlTarget), how it is declared (ControlCommandHandler and
 * its options) and how it fails: a PanelError becomes the reply `{"error": "<Python repr>"}`, NoReply sends none.
 */
/** What the panel needs from the worker. */
export interface ControlTarget {
  readonly hostname: string;
  readonly registry: TaskRegistry;
  readonly revoked: RevokedSet;
  readonly events: EventDispatcher;
  readonly appClock: LamportClock;
  readonly logger: Logger;
  /** The worker's clock: a command that must act after its reply is sent waits a turn on it. */
  readonly clock: Clock;
  /** Rebuild the bucket of a task type after its rate limit changed. */
  resetRateLimit(taskName: string): void;
  /** Terminate the requests of these ids that are running or reserved; returns the ids found. */
  terminate(ids: readonly string[], signal: NodeJS.Signals | number): string[];
  /** Revoked ids were added: persist them. */
  revokedChanged(): void;
  heartbeatNow(): void;
  stats(): StatsReply;
  scheduled(): ScheduledEntry[];
  /** Requests handed to the pool queue and not started. */
  reserved(): Request[];
  active(): Request[];
  activeQueues(): ActiveQueueInfo[];
  /** Declare (on a channel of its own) and consume; rejects with a PanelError saying why when refused. */
  addConsumer(queue: string, exchange: string, exchangeType: string, routingKey: string): Promise<void>;
  cancelConsumer(queue: string): Promise<void>;
  /** Change the pool size by `delta` slots, within [1, max]; returns the sizes before and after, and the max. */
  resizePool(delta: number): { before: number; after: number; max: number };
  shutdown(reason: string): void;
  report(): string;
  conf(withDefaults: boolean): Record<string, unknown>;
  /**
   * Send a reply to `reply_to`, never on the mailbox's channel: the broker closes the channel of a publish it refuses
   * (an exchange that does not exist: 404), and the worker would stop answering remote control without a word.
   */
  sendReply(reply: OutgoingMessage, method: string): Promise<boolean> | boolean;
}

/**
 * How a command registered at run time is called: the same fields as a catalog entry (kind, aliases, arguments,
 * strict), each optional. @defaultValue kind 'control', no aliases, no declared arguments, not strict
 */
export type ControlCommandOptions = Partial<Pick<ControlCommandSpec, 'kind' | 'aliases' | 'args' | 'strict'>>;

export type ControlCommandHandler = (target: ControlTarget, args: Record<string, unknown>) => unknown;

/** Thrown by a handler that must not reply (`shutdown`). */
export class NoReply extends Error {}

/** A Python exception, raised by a handler, that becomes `{"error": "<repr>"}`. */
export class PanelError extends Error {
  readonly repr: string;
  constructor(type: string, message: string) {
    super(message);
    this.repr = pyExceptionRepr(type, message);
  }
}
