import { randomUUID } from 'node:crypto';
import {
  buildControlReply,
  buildEvent,
  buildEventMessage,
  decodeControlRequest,
  EVENT_EXCHANGE,
  matchesDestination,
  PIDBOX_EXCHANGE,
  PIDBOX_QUEUE_ARGUMENTS,
  pidboxQueueName,
  pythonUtcOffset,
  type CeleryEvent,
  type EventEnvelope,
  type EventSource,
  type OutgoingMessage,
  type TaskInfo,
} from '../protocol/index.js';
import { createTransport, publishMessage, type Delivery, type Transport, type TransportChannel } from '../transport/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { statsReply } from '../worker/inspect-replies.js';

/**
 * Many Celery 5.2 workers on the wire from one process, for measuring what camq does with a large cluster (the live
 * view at 10,000 events/s, a broadcast to 1,000 workers) without starting 1,000 Python processes. Each simulated
 * worker is what a Celery 5.2 worker looks like to a monitor and a remote-control client:
 *
 * - its own mailbox `<nodename>.celery.pidbox` (not durable, auto-delete, kombu 5.2's TTL and expiry arguments)
 *   bound to `celery.pidbox` and consumed, answering `ping`, `stats`, `active`, `reserved` (and `KeyError(...)`
 *   for any other command, as kombu does);
 * - `worker-online`, a `worker-heartbeat` every `freq` seconds (staggered), `worker-offline` on `stop()`;
 * - task events batched as JSON arrays on `task.multi` (received, started, then succeeded or failed), at a total
 *   rate shared by the workers.
 *
 * All of it is one connection and one channel, with nowait declares, so 1,000 workers start in about a second and
 * 10,000 events/s cost a fraction of a core. To kill or hang some workers, a test runs several simulators as separate
 * processes (bench/worker-sim/run.mjs `--groups`, test/helpers/worker-sim.ts): killing one process drops its
 * consumers, so its auto-delete mailboxes go; SIGSTOP leaves them bound and unanswered.
 */
export interface WorkerSimulatorOptions {
  readonly url: string;
  /** Node names (`name@host`), one per worker; see simulatedNodeNames. */
  readonly nodenames: readonly string[];
  /** Task events per second, all workers together; 0 sends none. @defaultValue 0 */
  readonly eventsPerSecond?: number;
  /** Heartbeat interval in seconds (Celery's default is 2). @defaultValue 2 */
  readonly freqSeconds?: number;
  /** Task events per `task.multi` message at most. @defaultValue 24 */
  readonly batchSize?: number;
  /** Share of tasks that fail (0..1). @defaultValue 0.05 */
  readonly failureRatio?: number;
  /** @defaultValue systemClock */
  readonly clock?: Clock;
  /** A transport of the caller's own instead of one made from `url` (tests). */
  readonly transport?: Transport;
}

/** Counters, for the CLI's progress lines and tests. */
export interface SimulatorCounts {
  /** Task events sent. */
  taskEvents: number;
  /** Worker events (online, heartbeat, offline) sent. */
  workerEvents: number;
  /** Control replies sent. */
  replies: number;
  /** Task events not sent because the channel's write buffer was full. */
  dropped: number;
}

interface SimTask {
  readonly uuid: string;
  readonly name: string;
  readonly args: string;
  readonly started: number;
}

interface SimWorker {
  readonly nodename: string;
  readonly source: EventSource;
  clock: number;
  processed: number;
  nextBeatMs: number;
  /** Started, not yet finished: what `active` lists and what the next batch finishes. */
  running: SimTask[];
}

const TASK_NAMES = ['tasks.add', 'tasks.charge', 'tasks.send_email', 'tasks.resize_image', 'tasks.sync_account'];
const TICK_MS = 100;

/**
 * Node names for `count` simulated workers: `<prefix>-<nnnn>@<host>`, prefixes and hosts taken in turn, so grouping
 * by prefix and by host both have something to group (`payments-0001@sim-h1`).
 */
export function simulatedNodeNames(
  count: number,
  options: { readonly prefixes?: readonly string[]; readonly hosts?: number; readonly first?: number; readonly tag?: string } = {},
): string[] {
  const prefixes = options.prefixes && options.prefixes.length > 0 ? options.prefixes : ['payments', 'emails', 'reports', 'search'];
  const hosts = Math.max(1, options.hosts ?? 4);
  const first = options.first ?? 1;
  const tag = options.tag ? `-${options.tag}` : '';
  const width = Math.max(4, String(first + count - 1).length);
  const names: string[] = [];
  for (let i = first; i < first + count; i++) {
    const prefix = prefixes[(i - 1) % prefixes.length]!;
    names.push(`${prefix}-${String(i).padStart(width, '0')}@sim${tag}-h${((i - 1) % hosts) + 1}`);
  }
  return names;
}

export class WorkerSimulator {
  readonly counts: SimulatorCounts = { taskEvents: 0, workerEvents: 0, replies: 0, dropped: 0 };
  private readonly options: WorkerSimulatorOptions;
  private readonly clock: Clock;
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly workers: SimWorker[];
  private readonly byQueue = new Map<string, SimWorker>();
  private readonly utcoffset = pythonUtcOffset();
  private readonly startedAt: number;
  private channel: TransportChannel | undefined;
  private timer: TimerHandle | undefined;
  private budget = 0;
  private lastTick = 0;
  private nextWorker = 0;
  /** The write buffer is full: task events are dropped until `drain`. */
  private full = false;

  constructor(options: WorkerSimulatorOptions) {
    if (options.nodenames.length === 0) throw new RangeError('the simulator needs at least one node name');
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.ownsTransport = options.transport === undefined;
    this.transport =
      options.transport ??
      createTransport(options.url, { reconnect: false, connectRetries: 2, connectionName: `camq worker simulator (${options.nodenames.length})` });
    this.startedAt = this.clock.now();
    const freqMs = this.freqSeconds * 1000;
    this.workers = options.nodenames.map((nodename, i) => {
      const worker: SimWorker = {
        nodename,
        clock: 0,
        processed: 0,
        // Staggered, so 1,000 heartbeats every 2 s are 500 a second, not 1,000 at once.
        nextBeatMs: this.startedAt + ((i + 1) * freqMs) / options.nodenames.length,
        running: [],
        source: undefined as unknown as EventSource,
      };
      (worker as { source: EventSource }).source = {
        hostname: nodename,
        pid: process.pid,
        clock: () => ++worker.clock,
        now: () => this.clock.now(),
        utcoffset: this.utcoffset,
      };
      this.byQueue.set(pidboxQueueName(nodename), worker);
      return worker;
    });
  }

  get nodenames(): readonly string[] {
    return this.options.nodenames;
  }

  private get freqSeconds(): number {
    return this.options.freqSeconds ?? 2;
  }

  /** Connect, declare and consume every mailbox, send `worker-online` for each, start heartbeats and task events. */
  async start(): Promise<void> {
    if (this.ownsTransport) await this.transport.connect();
    const channel = await this.transport.openChannel();
    this.channel = channel;
    channel.on('drain', () => (this.full = false));
    await channel.assertExchange(PIDBOX_EXCHANGE.name, PIDBOX_EXCHANGE.type, {
      durable: PIDBOX_EXCHANGE.durable,
      autoDelete: PIDBOX_EXCHANGE.autoDelete,
    });
    await channel.assertExchange(EVENT_EXCHANGE.name, EVENT_EXCHANGE.type, {
      durable: EVENT_EXCHANGE.durable,
      autoDelete: EVENT_EXCHANGE.autoDelete,
    });
    let tag = 0;
    for (const [queue] of this.byQueue) {
      // kombu 5.2's pidbox queue: not durable, auto-delete, not exclusive (Celery 5.2 predates RabbitMQ 4.3's rule).
      channel.declareQueueNowait(queue, { durable: false, exclusive: false, autoDelete: true, arguments: { ...PIDBOX_QUEUE_ARGUMENTS } });
      channel.bindQueueNowait(queue, PIDBOX_EXCHANGE.name, '');
      channel.consumeNowait(queue, `sim-${++tag}`, (msg) => msg && this.onRequest(queue, msg), { noAck: true });
    }
    // A round trip after the nowait steps: when it returns, the broker has done them all (or closed the channel).
    const last = pidboxQueueName(this.workers[this.workers.length - 1]!.nodename);
    await channel.checkQueue(last);
    for (const w of this.workers) this.sendWorkerEvent(w, 'worker-online');
    this.lastTick = this.clock.now();
    this.timer = this.clock.setInterval(() => this.tick(), TICK_MS);
  }

  /** `worker-offline` for every worker, then close (a warm shutdown of them all). */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    const channel = this.channel;
    if (channel) {
      for (const w of this.workers) this.sendWorkerEvent(w, 'worker-offline');
      await channel.close().catch(() => {});
    }
    this.channel = undefined;
    if (this.ownsTransport) await this.transport.close().catch(() => {});
  }

  private tick(): void {
    const now = this.clock.now();
    const elapsed = now - this.lastTick;
    this.lastTick = now;
    for (const w of this.workers) {
      if (w.nextBeatMs <= now) {
        w.nextBeatMs += this.freqSeconds * 1000;
        if (w.nextBeatMs <= now) w.nextBeatMs = now + this.freqSeconds * 1000;
        this.sendWorkerEvent(w, 'worker-heartbeat');
      }
    }
    const rate = this.options.eventsPerSecond ?? 0;
    if (rate <= 0) return;
    // At most a second's worth at once: after a pause (SIGSTOP, a busy machine) the rate resumes, no burst.
    this.budget = Math.min(rate, this.budget + (rate * elapsed) / 1000);
    const batch = Math.max(3, this.options.batchSize ?? 24);
    while (this.budget >= 1) {
      const size = Math.min(batch, Math.floor(this.budget));
      this.budget -= size;
      const worker = this.workers[this.nextWorker]!;
      this.nextWorker = (this.nextWorker + 1) % this.workers.length;
      if (this.full) {
        this.counts.dropped += size;
        continue;
      }
      this.sendTaskBatch(worker, size, now);
    }
  }

  /** `size` task events from one worker: it finishes what it started last time, then receives and starts more. */
  private sendTaskBatch(w: SimWorker, size: number, now: number): void {
    const events: EventEnvelope[] = [];
    while (events.length < size && w.running.length > 0) {
      const task = w.running.shift()!;
      w.processed++;
      const runtime = Math.max(0.001, (now - task.started) / 1000);
      if (Math.random() < (this.options.failureRatio ?? 0.05)) {
        events.push(
          event(w, 'task-failed', {
            uuid: task.uuid,
            exception: "ValueError('simulated failure')",
            traceback: 'Traceback (most recent call last):\n  ...\nValueError: simulated failure\n',
          }),
        );
      } else {
        events.push(event(w, 'task-succeeded', { uuid: task.uuid, result: String(w.processed), runtime }));
      }
    }
    while (events.length < size) {
      const task: SimTask = {
        uuid: randomUUID(),
        name: TASK_NAMES[(w.processed + events.length) % TASK_NAMES.length]!,
        args: `(${w.processed}, ${events.length})`,
        started: now,
      };
      events.push(
        event(w, 'task-received', {
          uuid: task.uuid,
          name: task.name,
          args: task.args,
          kwargs: '{}',
          root_id: task.uuid,
          parent_id: null,
          retries: 0,
          eta: null,
          expires: null,
        }),
      );
      if (events.length < size) {
        events.push(event(w, 'task-started', { uuid: task.uuid }));
        w.running.push(task);
      }
    }
    this.counts.taskEvents += events.length;
    this.publish(buildEventMessage(events));
  }

  private sendWorkerEvent(w: SimWorker, type: 'worker-online' | 'worker-heartbeat' | 'worker-offline'): void {
    this.counts.workerEvents++;
    const fields = {
      freq: this.freqSeconds,
      active: w.running.length,
      processed: w.processed,
      loadavg: [0.5, 0.4, 0.3] as [number, number, number],
      sw_ident: 'py-celery',
      sw_ver: '5.2.7',
      sw_sys: 'Linux',
    };
    this.publish(buildEventMessage(buildEvent(type, fields, w.source)));
  }

  private publish(message: OutgoingMessage): void {
    const channel = this.channel;
    if (!channel) return;
    try {
      const waiting = publishMessage(channel, message);
      if (waiting) {
        this.full = true;
        waiting.catch(() => {});
      }
    } catch {
      // The channel closed (the broker went away): the simulator stops sending; its owner sees the transport's events.
    }
  }

  private onRequest(queue: string, msg: Delivery): void {
    const w = this.byQueue.get(queue);
    const decoded = decodeControlRequest(msg);
    if (!w || !decoded.ok) return;
    const request = decoded.request;
    if (!matchesDestination(request, w.nodename) || !request.reply_to) return;
    this.counts.replies++;
    this.publish(
      buildControlReply({
        nodename: w.nodename,
        value: this.answer(w, request.method),
        replyTo: request.reply_to,
        ticket: request.ticket,
        clock: ++w.clock,
      }),
    );
  }

  /** The reply value a Celery 5.2 worker sends for `method`. */
  private answer(w: SimWorker, method: string): unknown {
    switch (method) {
      case 'ping':
        return { ok: 'pong' };
      case 'active':
        return w.running.map((t) => this.taskInfo(w, t));
      case 'reserved':
        return [];
      case 'stats':
        return statsReply({
          connection: this.transport,
          totals: w.processed > 0 ? { 'tasks.add': w.processed } : {},
          clock: w.clock,
          uptimeSeconds: Math.floor((this.clock.now() - this.startedAt) / 1000),
          concurrency: 4,
          multiplier: 4,
          prefetchCount: 16,
          pool: { kind: 'sim', processes: [process.pid] },
          softTimeLimit: undefined,
          timeLimit: undefined,
          acksLate: false,
          taskEvents: true,
          defaultQueue: 'celery',
          softwareVersion: undefined,
          statedb: undefined,
          modulePath: undefined,
          acceptContent: ['json'],
          resultSerializer: 'json',
        });
      default:
        return { error: `KeyError('${method.replace(/[\\']/g, '\\$&')}')` };
    }
  }

  private taskInfo(w: SimWorker, t: SimTask): TaskInfo {
    return {
      id: t.uuid,
      name: t.name,
      args: t.args,
      kwargs: '{}',
      type: t.name,
      hostname: w.nodename,
      time_start: t.started / 1000,
      acknowledged: true,
      delivery_info: { exchange: '', routing_key: 'celery', priority: 0, redelivered: false },
      worker_pid: process.pid,
    };
  }
}

function event<E extends CeleryEvent>(w: SimWorker, type: E['type'], fields: Omit<E, keyof EventEnvelope>): EventEnvelope {
  return buildEvent<E>(type, fields, w.source);
}
