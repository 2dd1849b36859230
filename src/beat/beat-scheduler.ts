import { asCamqError, type CamqError } from '../errors/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { SafeEmitter } from '../util/typed-emitter.js';
import { MemoryBeatState, type BeatStateStore, type EntryRunState } from './beat-state-file.js';
import type { ScheduleEntry } from './schedule-entry.js';
import { zoneNamed, type ScheduleZone } from './time-zone.js';

/** Celery's `DEFAULT_MAX_INTERVAL`: the longest the scheduler sleeps between looks at the schedule. */
export const DEFAULT_MAX_INTERVAL_MS = 300_000;

/** How a due entry is sent: through the app's publishing path (`app.taskOf(task).applyAsync(...)`). */
export type PeriodicSend = (entry: ScheduleEntry) => Promise<{ readonly id: string }>;

export interface BeatSchedulerOptions {
  readonly entries: readonly ScheduleEntry[];
  readonly send: PeriodicSend;
  /** @defaultValue in memory only */
  readonly state?: BeatStateStore;
  /** The zone crontabs are read in (resolveZone). @defaultValue UTC */
  readonly zone?: ScheduleZone;
  readonly clock?: Clock;
  /** @defaultValue DEFAULT_MAX_INTERVAL_MS (Celery's 300 s) */
  readonly maxIntervalMs?: number;
  readonly logger?: Logger;
}

/** One entry as views show it. */
export interface EntryView {
  readonly name: string;
  readonly task: string;
  readonly kind: 'interval' | 'crontab';
  /** Celery's repr of the schedule. */
  readonly schedule: string;
  readonly lastRunAt: number | null;
  readonly nextRunAt: number;
  readonly totalRunCount: number;
}

/** A sent entry: when it was due, when it went, and the task id. */
export interface EntryRun {
  readonly entry: ScheduleEntry;
  readonly dueAt: number;
  readonly sentAt: number;
  readonly id: string;
}

export interface BeatSchedulerEvents {
  sent: [EntryRun];
  'send-failed': [ScheduleEntry, CamqError];
  /** The entries' last runs changed (a send), or the scheduler started. */
  changed: [];
}

/**
 * Celery's beat `Scheduler` and `PersistentScheduler` on an injected clock: entries merged with the stored last runs
 * (`merge_inplace`: entries gone from the module are dropped, new ones start from now), a tick that sends what is due
 * and says how long to sleep (at most `maxIntervalMs`), and the last run saved before each send (Celery's `reserve`
 * comes first too), so a restart neither skips a run nor sends one twice; after downtime each overdue entry runs once.
 */
export class BeatScheduler extends SafeEmitter<BeatSchedulerEvents> {
  readonly entries: readonly ScheduleEntry[];
  readonly zone: ScheduleZone;
  readonly maxIntervalMs: number;
  private readonly send: PeriodicSend;
  private readonly state: BeatStateStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private runs = new Map<string, EntryRunState>();
  /** When each entry was last found due (the time it was meant to go), for `sent`'s dueAt. */
  private timer: TimerHandle | undefined;
  private ticking: Promise<unknown> = Promise.resolve();
  private isRunning = false;
  private isStarted = false;

  constructor(options: BeatSchedulerOptions) {
    super();
    const names = new Set<string>();
    for (const e of options.entries) {
      if (names.has(e.name)) throw new RangeError(`two schedule entries are named '${e.name}'`);
      names.add(e.name);
    }
    this.entries = options.entries;
    this.send = options.send;
    this.state = options.state ?? new MemoryBeatState();
    this.zone = options.zone ?? zoneNamed('UTC');
    this.clock = options.clock ?? systemClock;
    this.maxIntervalMs = options.maxIntervalMs ?? DEFAULT_MAX_INTERVAL_MS;
    this.logger = options.logger ?? silentLogger;
  }

  /** Load the stored last runs and merge them with the entries (Celery's setup_schedule); no timer yet. */
  load(): void {
    if (this.isStarted) return;
    this.isStarted = true;
    const stored = this.state.load();
    const now = this.clock.now();
    this.runs = new Map(this.entries.map((e) => [e.name, stored.get(e.name) ?? { lastRunAt: now, totalRunCount: 0 }]));
    this.state.save(this.runs);
    this.safeEmit('changed');
  }

  /**
   * Before taking over from another beat: re-read the stored runs, and take for each entry the later of those and
   * `known` (the last runs the other beat announced), so a takeover neither repeats the other's last run nor skips.
   */
  refresh(known: ReadonlyMap<string, EntryRunState> = new Map()): void {
    if (!this.isStarted) return this.load();
    const stored = this.state.load();
    for (const e of this.entries) {
      const candidates = [this.runs.get(e.name), stored.get(e.name), known.get(e.name)].filter((r): r is EntryRunState => r !== undefined);
      const latest = candidates.reduce((a, b) => (b.lastRunAt > a.lastRunAt ? b : a));
      this.runs.set(e.name, { lastRunAt: latest.lastRunAt, totalRunCount: Math.max(...candidates.map((c) => c.totalRunCount)) });
    }
    this.state.save(this.runs);
    this.safeEmit('changed');
  }

  /** Start ticking (after `load`, which it calls if needed); `pause` stops sending without forgetting anything. */
  resume(): void {
    this.load();
    if (this.isRunning) return;
    this.isRunning = true;
    this.arm(0);
  }

  /** Stop ticking; a tick under way finishes first. */
  async pause(): Promise<void> {
    this.isRunning = false;
    this.timer?.cancel();
    this.timer = undefined;
    await this.ticking;
  }

  get running(): boolean {
    return this.isRunning;
  }

  /**
   * One pass over the schedule: each due entry is reserved (last run = now, saved), then sent. Returns the milliseconds
   * until the next look, at most `maxIntervalMs` (Celery's `tick`, which sends one entry per call and then asks
   * again at once; sending all due entries in one pass is the same result).
   */
  async tick(): Promise<number> {
    this.load();
    let sleep = this.maxIntervalMs;
    const now = this.clock.now();
    const order = this.entries
      .map((entry) => ({ entry, left: entry.schedule.remainingMs(this.runs.get(entry.name)!.lastRunAt, now, this.zone) }))
      .sort((a, b) => a.left - b.left);
    for (const { entry, left } of order) {
      const run = this.runs.get(entry.name)!;
      const at = this.clock.now();
      const state = entry.schedule.isDue(run.lastRunAt, at, this.zone);
      sleep = Math.min(sleep, state.nextMs);
      if (!state.isDue) continue;
      this.runs.set(entry.name, { lastRunAt: at, totalRunCount: run.totalRunCount + 1 });
      this.state.save(this.runs);
      this.logger.info(`Scheduler: Sending due task ${entry.name} (${entry.task})`);
      try {
        const result = await this.send(entry);
        this.logger.debug(`${entry.task} sent. id->${result.id}`);
        this.safeEmit('sent', { entry, dueAt: now + left, sentAt: at, id: result.id });
      } catch (err) {
        const error = asCamqError(err);
        this.logger.error(`Message Error: Couldn't apply scheduled task ${entry.name}: ${error.message}`);
        this.safeEmit('send-failed', entry, error);
      }
      this.safeEmit('changed');
    }
    return Math.max(0, sleep);
  }

  /** The entries with their last and next runs, next first. */
  view(nowMs = this.clock.now()): EntryView[] {
    this.load();
    return this.entries
      .map((e) => {
        const run = this.runs.get(e.name)!;
        const left = e.schedule.remainingMs(run.lastRunAt, nowMs, this.zone);
        return {
          name: e.name,
          task: e.task,
          kind: e.schedule.kind,
          schedule: e.schedule.text,
          lastRunAt: run.totalRunCount > 0 ? run.lastRunAt : null,
          nextRunAt: nowMs + Math.max(0, left),
          totalRunCount: run.totalRunCount,
        };
      })
      .sort((a, b) => a.nextRunAt - b.nextRunAt || a.name.localeCompare(b.name));
  }

  private arm(ms: number): void {
    this.timer?.cancel();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.isRunning) return;
      const started = this.clock.monotonic();
      const pass = this.tick().then(
        (next) => {
          // Counted from the tick's start: the time its sends took is not added to the sleep.
          if (this.isRunning) this.arm(Math.max(0, next - (this.clock.monotonic() - started)));
        },
        (err: unknown) => {
          // A state file that cannot be written: say so and look again later rather than stop the schedule.
          this.logger.error(`beat: ${asCamqError(err).message}`);
          if (this.isRunning) this.arm(Math.min(this.maxIntervalMs, 5000));
        },
      );
      this.ticking = pass;
    }, ms);
  }
}
