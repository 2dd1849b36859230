import { availableParallelism, hostname as osHostname } from 'node:os';
import { UsageError } from '../errors/index.js';
import { acceptContent, requireSerializer, type SerializerName } from '../protocol/index.js';
import type { BrokerUrl, ResultBackend, Transport } from '../transport/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { CamqApp } from './app.js';
import type { HelloCall } from './mingle.js';
import type { Pool, PoolKind } from './pool.js';
import type { QueueType } from './task-queue.js';

export interface WorkerOptions {
  /** The tasks to run (a task module registered them). */
  readonly app: CamqApp;
  /**
   * Where to connect: a broker URL (kombu syntax; the CLI passes it parsed), from which the worker makes its own
   * transport (createTransport, reconnecting), or a transport (tests pass test/fakes' FakeTransport).
   */
  readonly broker: BrokerUrl | string | Transport;
  /** The node name. @defaultValue `camq@<hostname>` */
  readonly hostname?: string;
  /** Tasks run at once (`-c`). @defaultValue the number of CPUs, like Celery */
  readonly concurrency?: number;
  /**
   * Queues to consume (`-Q`): `name`, or `name:quorum` / `name:classic` to declare it with that `x-queue-type` (the
   * task module's `app.queue(name, { type })` says the same). A queue found of another type is used as it is, and a
   * quorum one turns prefetch per consumer (docs/worker.md, Quorum queues). @defaultValue ['celery']
   */
  readonly queues?: readonly string[];
  /** Send task events (`-E`). Worker events are always sent. @defaultValue false */
  readonly taskEvents?: boolean;
  /** @defaultValue 'async' */
  readonly pool?: PoolKind;
  /** The task module path, which thread and process pool children load (`-A`). */
  readonly modulePath?: string;
  /** QoS = concurrency × this; 0 means unlimited. @defaultValue 4 */
  readonly prefetchMultiplier?: number;
  /**
   * Put a task whose ETA is further away than this many seconds into the broker's delay queues (kombu's native
   * delayed delivery topology) instead of holding it unacked (`--eta-delay-after`); null: never. Lowered to half the
   * broker's consumer_timeout when it closes a channel for it. The embedded broker has no dead-lettering: ETAs stay
   * in memory there. @defaultValue 300
   */
  readonly etaDelayAfter?: number | null;
  /**
   * What the broker's management API says the task queues are, asked once before the first declare (the CLI passes
   * one when the API answers): a queue found quorum or stream is declared so, which RabbitMQ then accepts as it is.
   * Without it, or when it fails, the refused declare tells the type (docs/worker.md, Quorum queues).
   */
  readonly queueTypes?: (names: readonly string[]) => Promise<ReadonlyMap<string, QueueType>>;
  /** Ack after the task ran, for every task that does not say otherwise. @defaultValue false */
  readonly acksLate?: boolean;
  /**
   * Mingle before taking tasks, at start-up and after every reconnect: ask the other workers for their revoked ids
   * and clocks (Celery's default; `camq worker --without-mingle` turns it off). It waits a second for replies. The
   * function broadcasts `hello` on the worker's transport (the CLI passes one made with the control client, which
   * the engine does not import). @defaultValue no mingling
   */
  readonly mingle?: (transport: Transport) => HelloCall;
  /** Keep revoked ids (and the clock) in this file across restarts. */
  readonly statedb?: string;
  /** Default hard / soft time limits in seconds. @defaultValue none */
  readonly timeLimit?: number | null;
  readonly softTimeLimit?: number | null;
  /** Heartbeat interval in seconds. @defaultValue 2 */
  readonly heartbeatInterval?: number;
  /** How long a warm shutdown waits for running tasks, in seconds. @defaultValue 60 */
  readonly shutdownTimeout?: number;
  readonly logger?: Logger;
  /** Log level for pool children. @defaultValue the logger's level */
  readonly logLevel?: string;
  readonly clock?: Clock;
  /** Reported as `sw_ver` in worker events. @defaultValue '0.0.0' */
  readonly softwareVersion?: string;
  /** What results are written in (`--result-serializer`, Celery's `result_serializer`). @defaultValue 'json' */
  readonly resultSerializer?: SerializerName;
  /**
   * Where results are stored (`--result-backend`): a connected ResultBackend (Celery's Redis backend), or undefined
   * for rpc:// (results to each task's reply_to queue through the broker). @defaultValue undefined (rpc://)
   */
  readonly resultBackend?: ResultBackend;
  /**
   * The serializers task messages may come in (`--accept-content`, Celery's `accept_content`), by name or content
   * type; anything else is refused as untrusted content. Pickle is never accepted. @defaultValue ['json']
   */
  readonly acceptContent?: readonly string[];
  /** Give the worker a ready-made pool (tests). */
  readonly poolInstance?: Pool;
}

export function defaultHostname(): string {
  return `camq@${osHostname()}`;
}

export function defaultConcurrency(): number {
  return availableParallelism();
}

/** The content types the worker decodes (`acceptContent`, JSON by default); a usage error names a bad one. */
export function workerAccept(options: Pick<WorkerOptions, 'acceptContent' | 'resultSerializer'>): ReadonlySet<string> {
  try {
    if (options.resultSerializer !== undefined) requireSerializer(options.resultSerializer);
    return acceptContent(options.acceptContent ?? ['json']);
  } catch (err) {
    throw new UsageError((err as Error).message, 'usage.bad-serializer');
  }
}
