import { CamqError } from '../errors/index.js';
import { EventReceiver } from '../events/event-receiver.js';
import { beatEventMessage, readBeatSchedule, type BeatEntryInfo, type BeatOfflineEvent, type BeatScheduleEvent } from '../protocol/beat-event.js';
import { LamportClock } from '../protocol/lamport-clock.js';
import type { Transport } from '../transport/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { SafeEmitter } from '../util/typed-emitter.js';
import { BeatLock, DEFAULT_BEAT_LOCK } from './beat-lock.js';
import type { BeatScheduler, EntryRun, EntryView } from './beat-scheduler.js';
import type { EntryRunState } from './beat-state-file.js';

/** How often the holder announces its schedule (and how often a waiting beat tries the lock), in milliseconds. */
export const DEFAULT_ANNOUNCE_MS = 5000;
export const DEFAULT_LOCK_RETRY_MS = 1000;

export interface BeatOptions {
  /** The connection the lock and the announcements use (the sends go through the scheduler's `send`). */
  readonly connection: Transport;
  readonly scheduler: BeatScheduler;
  /** The name it announces itself by (`beat@host`). */
  readonly hostname: string;
  /** @defaultValue DEFAULT_BEAT_LOCK (`camq.beat.lock`) */
  readonly lockName?: string;
  /** Wait for a beat that holds the lock to go, instead of refusing to start. @defaultValue false */
  readonly waitForLock?: boolean;
  /** @defaultValue DEFAULT_LOCK_RETRY_MS */
  readonly lockRetryMs?: number;
  /** @defaultValue DEFAULT_ANNOUNCE_MS */
  readonly announceMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface BeatEvents {
  /** Another beat holds the lock; this one waits. */
  waiting: [];
  /** This beat holds the lock and sends. */
  active: [];
  /** It lost the lock (its connection dropped); it stops sending and tries to take it again. */
  'lost-lock': [string];
  sent: [EntryRun];
}

/**
 * camq beat: a BeatScheduler that only runs while this process holds the broker lock (BeatLock), and announces its
 * schedule as `beat-schedule` events on `celeryev` (at start, after each send, every `announceMs`, and when a
 * `beat-query` arrives), so the live view and `camq beat --list` can show it.
 */
export class Beat extends SafeEmitter<BeatEvents> {
  readonly lock: BeatLock;
  readonly scheduler: BeatScheduler;
  private readonly options: BeatOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly lamport = new LamportClock();
  private retryTimer: TimerHandle | undefined;
  private announceTimer: TimerHandle | undefined;
  private isStopped = false;
  private isWaitingLogged = false;
  /** While waiting: the holder's announcements, for its entries' last runs. */
  private listener: EventReceiver | undefined;
  private readonly announced = new Map<string, EntryRunState>();

  constructor(options: BeatOptions) {
    super();
    this.options = options;
    this.scheduler = options.scheduler;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.lock = new BeatLock(options.connection, options.lockName ?? DEFAULT_BEAT_LOCK);
    this.lock.on('lost', (reason) => void this.onLost(reason));
    this.lock.on('acquired', () => this.onAcquired());
    this.lock.on('query', () => void this.announce());
    this.scheduler.on('sent', (run) => this.safeEmit('sent', run));
    this.scheduler.on('changed', () => void this.announce());
  }

  /** True while this beat holds the lock and sends. */
  get active(): boolean {
    return this.lock.held && this.scheduler.running;
  }

  /**
   * Take the lock and start sending; the connection must be connected. Without `waitForLock`, a lock another beat
   * holds rejects with `beat.locked`; with it, this resolves at once and the beat takes over when the other goes.
   */
  async start(): Promise<void> {
    this.scheduler.load();
    const held = await this.lock.acquire();
    if (held) return;
    if (!this.options.waitForLock) {
      await this.lock.release();
      throw new CamqError(
        'beat.locked',
        `another beat holds the lock '${this.lock.name}' on ${this.options.connection.masked}, so this one would send its tasks twice; stop it first, or run with --wait-lock to take over when it stops`,
      );
    }
    this.waitForLock();
  }

  /** Stop sending, save the state, say `beat-offline`, and give the lock up. */
  async stop(): Promise<void> {
    if (this.isStopped) return;
    this.isStopped = true;
    this.retryTimer?.cancel();
    this.announceTimer?.cancel();
    await this.stopListening();
    await this.scheduler.pause();
    if (this.lock.held) {
      await this.lock.publish(beatEventMessage<BeatOfflineEvent>('beat-offline', { lock: this.lock.name }, this.source())).catch(() => false);
    }
    await this.lock.release();
  }

  /** The entries with their next runs. */
  view(): EntryView[] {
    return this.scheduler.view();
  }

  private onAcquired(): void {
    if (this.isStopped) return;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.isWaitingLogged = false;
    void this.stopListening();
    this.logger.info(`beat: holding the lock '${this.lock.name}'; sending due tasks`);
    this.scheduler.refresh(this.announced);
    this.scheduler.resume();
    this.safeEmit('active');
    this.armAnnounce(0);
  }

  private async onLost(reason: string): Promise<void> {
    if (this.isStopped) return;
    this.announceTimer?.cancel();
    await this.scheduler.pause();
    this.logger.warning(`beat: lost the lock '${this.lock.name}' (${reason}); not sending until it is taken again`);
    this.safeEmit('lost-lock', reason);
    // After a reconnect the lock's setup tries again by itself; this covers a lock lost while connected.
    this.waitForLock();
  }

  private waitForLock(): void {
    if (this.isStopped) return;
    if (!this.isWaitingLogged) {
      this.isWaitingLogged = true;
      this.logger.warning(`beat: another beat holds the lock '${this.lock.name}'; waiting to take over when it stops`);
      this.safeEmit('waiting');
      void this.listen();
    }
    this.retryTimer?.cancel();
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      void this.lock.attempt().then((held) => {
        if (!held && !this.isStopped) this.waitForLock();
      });
    }, this.options.lockRetryMs ?? DEFAULT_LOCK_RETRY_MS);
  }

  /** While waiting, follow the holder's announcements: its last runs are where this beat carries on from. */
  private async listen(): Promise<void> {
    if (this.listener) return;
    const receiver = new EventReceiver({ connection: this.options.connection, routingKey: 'beat.schedule', wakeupWorkers: false, clock: this.clock });
    this.listener = receiver;
    receiver.on('events', (events) => {
      for (const event of events) {
        const schedule = readBeatSchedule(event);
        if (!schedule || schedule.lock !== this.lock.name) continue;
        for (const e of schedule.entries) {
          if (e.last_run_at !== null) this.announced.set(e.name, { lastRunAt: Math.round(e.last_run_at * 1000), totalRunCount: e.total_run_count });
        }
      }
    });
    try {
      await receiver.start();
    } catch (err) {
      this.logger.debug(`beat: cannot follow the running beat's announcements: ${(err as Error).message}`);
    }
  }

  private async stopListening(): Promise<void> {
    const receiver = this.listener;
    this.listener = undefined;
    await receiver?.stop();
  }

  private armAnnounce(ms: number): void {
    this.announceTimer?.cancel();
    this.announceTimer = this.clock.setTimeout(() => {
      void this.announce().finally(() => {
        if (!this.isStopped && this.lock.held) this.armAnnounce(this.options.announceMs ?? DEFAULT_ANNOUNCE_MS);
      });
    }, ms);
  }

  private async announce(): Promise<void> {
    if (this.isStopped || !this.lock.held) return;
    const entries: BeatEntryInfo[] = this.scheduler.view().map((v) => ({
      name: v.name,
      task: v.task,
      kind: v.kind,
      schedule: v.schedule,
      last_run_at: v.lastRunAt === null ? null : v.lastRunAt / 1000,
      next_run_at: v.nextRunAt / 1000,
      total_run_count: v.totalRunCount,
    }));
    const message = beatEventMessage<BeatScheduleEvent>(
      'beat-schedule',
      { freq: (this.options.announceMs ?? DEFAULT_ANNOUNCE_MS) / 1000, lock: this.lock.name, timezone: this.scheduler.zone.name, entries },
      this.source(),
    );
    try {
      await this.lock.publish(message);
    } catch (err) {
      this.logger.debug(`beat: could not announce the schedule: ${(err as Error).message}`);
    }
  }

  private source() {
    return { hostname: this.options.hostname, pid: process.pid, clock: () => this.lamport.forward(), now: () => this.clock.now() };
  }
}
