import {
  buildEvent,
  buildEventMessage,
  eventGroup,
  pythonUtcOffset,
  type EventEnvelope,
  type LamportClock,
  type OutgoingMessage,
} from '../protocol/index.js';
import { publishMessage, type PublishTarget } from '../transport/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

/**
 * Sends a worker's events on `celeryev` like a Python worker (docs/protocol.md, Events):
 *
 * - every event gets hostname, utcoffset, pid, clock (the app's Lamport clock, forwarded) and timestamp;
 * - `worker-*` events go out at once, one per message; `task-*` events are buffered and published as JSON arrays
 *   on `task.multi`, flushed on the next turn of the event loop or when `batchSize` are waiting;
 * - groups (§4.6): an empty set means every group (`-E`); otherwise only the listed groups are sent. Without `-E`
 *   the set is `{worker}`, so heartbeats go out but task events do not. `enable_events`/`disable_events` add and
 *   remove `task` with Celery's quirk: on an `-E` worker (empty set) neither changes anything.
 *
 * Nothing is sent while no channel is attached (between a connection loss and the reconnect): events are
 * monitoring data, not work, so they are dropped rather than queued without bound. The same while the channel's
 * write buffer is full (a slow or blocked connection): one publish waits for `drain`, the events meanwhile are
 * dropped and counted in one line. A closed channel is said once per attach, not once per event.
 */
export interface EventDispatcherOptions {
  readonly hostname: string;
  readonly appClock: LamportClock;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Send task events (`-E`). */
  readonly taskEvents: boolean;
  /** @defaultValue process.pid */
  readonly pid?: number;
  /** Task events per `task.multi` message at most. @defaultValue 24 (Celery's) */
  readonly batchSize?: number;
}

export class EventDispatcher {
  readonly groups: Set<string>;
  private channel: PublishTarget | undefined;
  private buffer: EventEnvelope[] = [];
  private flushScheduled = false;
  private readonly options: EventDispatcherOptions;
  private readonly batchSize: number;
  private readonly pid: number;
  private readonly source;
  private readonly flushBound = () => this.flush();
  /** Events published (messages, not events), for stats and tests. */
  published = 0;
  /** A publish waits for room in the channel's write buffer: events are dropped until it has some. */
  private full = false;
  private droppedWhileFull = 0;
  /** The attached channel was found closed, and the log said so. */
  private closedSaid = false;

  constructor(options: EventDispatcherOptions) {
    this.options = options;
    this.groups = options.taskEvents ? new Set() : new Set(['worker']);
    this.batchSize = options.batchSize ?? 24;
    this.pid = options.pid ?? process.pid;
    this.source = {
      hostname: options.hostname,
      pid: this.pid,
      clock: () => options.appClock.forward(),
      now: () => options.clock.now(),
      utcoffset: pythonUtcOffset(),
    };
  }

  /** Attach the channel events go out on (after every connect); undefined detaches it. */
  attach(channel: PublishTarget | undefined): void {
    this.channel = channel;
    this.full = false;
    this.droppedWhileFull = 0;
    this.closedSaid = false;
    if (!channel) this.buffer = [];
  }

  /** Whether events of this group would be sent now. Check it before building an event on a hot path. */
  enabled(group: string): boolean {
    return this.groups.size === 0 || this.groups.has(group);
  }

  get taskEventsEnabled(): boolean {
    return this.enabled('task');
  }

  /** `enable_events`: the reply text, as Celery's. */
  enableTaskEvents(): string {
    if (this.groups.size > 0 && !this.groups.has('task')) {
      this.groups.add('task');
      return 'task events enabled';
    }
    return 'task events already enabled';
  }

  disableTaskEvents(): string {
    if (this.groups.has('task')) {
      this.groups.delete('task');
      return 'task events disabled';
    }
    return 'task events already disabled';
  }

  /** Send one event now (worker events and custom ones). */
  send(type: string, fields: Record<string, unknown> = {}): void {
    if (!this.enabled(eventGroup(type)) || !this.channel) return;
    this.publish(buildEventMessage(buildEvent(type as never, fields as never, this.source)));
  }

  /** Queue a task event for the next `task.multi` batch. */
  sendTask(type: string, uuid: string, fields: Record<string, unknown> = {}): void {
    if (!this.channel || !this.enabled('task')) return;
    this.buffer.push(buildEvent(type as never, { uuid, ...fields } as never, this.source));
    if (this.buffer.length >= this.batchSize) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.options.clock.setImmediate(this.flushBound);
    }
  }

  /** Publish buffered task events now. */
  flush(): void {
    this.flushScheduled = false;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    if (this.channel) this.publish(buildEventMessage(batch));
  }

  private publish(message: OutgoingMessage): void {
    const channel = this.channel!;
    if (this.full) {
      this.droppedWhileFull++;
      return;
    }
    let waiting: Promise<void> | void;
    try {
      waiting = publishMessage(channel, message);
    } catch (err) {
      if (!this.closedSaid) {
        this.closedSaid = true;
        this.options.logger.warning(`events are not sent: the channel they go out on is closed (${(err as Error).message})`);
      }
      return;
    }
    this.published++;
    if (!waiting) return;
    this.full = true;
    const settled = () => {
      if (this.channel !== channel) return;
      this.full = false;
      if (this.droppedWhileFull === 0) return;
      this.options.logger.warning(`dropped ${this.droppedWhileFull} event message(s) while the connection's write buffer was full`);
      this.droppedWhileFull = 0;
    };
    // Closed while waiting: the next event finds the channel closed and says so.
    waiting.then(settled, settled);
  }
}
