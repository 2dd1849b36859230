import { EventReceiver } from '../events/event-receiver.js';
import { BEAT_EVENTS_BINDING, beatEventMessage, readBeatSchedule, type BeatQueryEvent, type BeatScheduleEvent } from '../protocol/beat-event.js';
import type { EventEnvelope } from '../protocol/event-message.js';
import { LamportClock } from '../protocol/lamport-clock.js';
import { EVENT_EXCHANGE } from '../protocol/topology.js';
import { publishMessage, type Transport } from '../transport/index.js';
import { systemClock, type Clock } from '../util/clock.js';

/** A beat as the views see it: its last announcement, when it came, and whether it still counts as running. */
export interface BeatView {
  readonly hostname: string;
  readonly schedule: BeatScheduleEvent;
  /** Local receipt time, epoch ms. */
  readonly receivedAt: number;
  /** False after `beat-offline`, or when three announcements were missed. */
  readonly isOnline: boolean;
}

export interface BeatBoardSnapshot {
  readonly version: number;
  readonly beats: readonly BeatView[];
}

/**
 * The beats' announcements (`beat-schedule`, `beat-offline` on `celeryev`) for views: feed it the events a receiver
 * delivers (it ignores every other type), read it with subscribe/getSnapshot (React's useSyncExternalStore shape).
 */
export class BeatBoard {
  private readonly clock: Clock;
  private readonly beats = new Map<string, { schedule: BeatScheduleEvent; receivedAt: number; offline: boolean }>();
  private readonly listeners = new Set<() => void>();
  private snapshot: BeatBoardSnapshot = { version: 0, beats: [] };

  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? systemClock;
  }

  dispatch(events: readonly EventEnvelope[]): void {
    let changed = false;
    for (const event of events) {
      if (event.type === 'beat-schedule') {
        const schedule = readBeatSchedule(event);
        if (!schedule) continue;
        this.beats.set(schedule.hostname, { schedule, receivedAt: this.clock.now(), offline: false });
        changed = true;
      } else if (event.type === 'beat-offline') {
        const known = this.beats.get(event.hostname);
        if (known) {
          known.offline = true;
          changed = true;
        }
      }
    }
    if (changed) this.publish();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): BeatBoardSnapshot => this.snapshot;

  /** The beats with liveness judged at `nowMs`, running ones first. */
  view(nowMs = this.clock.now()): BeatView[] {
    return selectBeats(this.snapshot, nowMs);
  }

  private publish(): void {
    this.snapshot = {
      version: this.snapshot.version + 1,
      beats: [...this.beats].map(([hostname, b]) => ({ hostname, schedule: b.schedule, receivedAt: b.receivedAt, isOnline: !b.offline })),
    };
    for (const listener of this.listeners) listener();
  }
}

/** The board's beats at `nowMs`: silent for three announcement periods means gone. Running ones first, then by name. */
export function selectBeats(snapshot: BeatBoardSnapshot, nowMs: number): BeatView[] {
  return snapshot.beats
    .map((b) => ({ ...b, isOnline: b.isOnline && nowMs - b.receivedAt <= Math.max(1, b.schedule.freq) * 3000 }))
    .sort((a, b) => Number(b.isOnline) - Number(a.isOnline) || a.hostname.localeCompare(b.hostname));
}

/** Ask the running beat (if any) to announce its schedule now: a `beat-query` event. */
export async function sendBeatQuery(connection: Transport, hostname: string, clock: Clock = systemClock): Promise<void> {
  const channel = await connection.openChannel();
  try {
    await channel.assertExchange(EVENT_EXCHANGE.name, EVENT_EXCHANGE.type, {
      durable: EVENT_EXCHANGE.durable,
      autoDelete: EVENT_EXCHANGE.autoDelete,
    });
    const lamport = new LamportClock();
    await publishMessage(
      channel,
      beatEventMessage<BeatQueryEvent>('beat-query', {}, { hostname, pid: process.pid, clock: () => lamport.forward(), now: () => clock.now() }),
    );
  } finally {
    await channel.close().catch(() => {});
  }
}

/**
 * The schedule of the beat running on this broker: listen to beat events, ask, and resolve with the first
 * announcement, or undefined when none came within `timeoutMs` (no beat, or one too busy to answer).
 */
export async function queryRunningBeat(
  connection: Transport,
  options: { timeoutMs: number; hostname: string; clock?: Clock },
): Promise<BeatScheduleEvent | undefined> {
  const clock = options.clock ?? systemClock;
  const receiver = new EventReceiver({ connection, routingKey: BEAT_EVENTS_BINDING, wakeupWorkers: false, clock });
  let resolveFirst: (event: BeatScheduleEvent | undefined) => void = () => {};
  const first = new Promise<BeatScheduleEvent | undefined>((resolve) => (resolveFirst = resolve));
  receiver.on('events', (events) => {
    for (const e of events) {
      const schedule = readBeatSchedule(e);
      if (schedule) resolveFirst(schedule);
    }
  });
  const timer = clock.setTimeout(() => resolveFirst(undefined), options.timeoutMs);
  try {
    await receiver.start();
    await sendBeatQuery(connection, options.hostname, clock);
    return await first;
  } finally {
    timer.cancel();
    await receiver.stop();
  }
}
