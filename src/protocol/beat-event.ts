import type { OutgoingMessage } from './amqp-message.js';
import { buildEventMessage, stampEvent, type EventEnvelope, type EventSource } from './event-message.js';
import { isObject } from './is-object.js';

/**
 * camq beat's own events on `celeryev` (docs/beat.md): Celery has none for beat, so these are camq's, named in
 * Celery's `group-subject` way (routing keys `beat.schedule`, `beat.offline`, `beat.query`). Python monitors (celery
 * events, Flower) bind `#` and ignore groups they do not know.
 */

/** One schedule entry as announced. Times are float Unix seconds, as event timestamps are. */
export interface BeatEntryInfo {
  name: string;
  task: string;
  kind: 'interval' | 'crontab';
  /** Celery's repr of the schedule: `<freq: 5.00 seconds>`, `<crontab: 0 4 * * * (m/h/d/dM/MY)>`. */
  schedule: string;
  last_run_at: number | null;
  next_run_at: number;
  total_run_count: number;
}

/** Sent by the beat holding the lock: at start, after each send, and every `freq` seconds, and when asked. */
export interface BeatScheduleEvent extends EventEnvelope {
  type: 'beat-schedule';
  /** Seconds until the next announcement; a beat silent for three of these is gone. */
  freq: number;
  /** The broker lock it holds (its exclusive queue's name). */
  lock: string;
  /** The zone its crontabs are read in. */
  timezone: string;
  entries: BeatEntryInfo[];
}

/** Sent when a beat stops. */
export interface BeatOfflineEvent extends EventEnvelope {
  type: 'beat-offline';
  lock: string;
}

/** Asks the beat holding the lock to announce its schedule now (`camq beat --list`, the live view at start). */
export interface BeatQueryEvent extends EventEnvelope {
  type: 'beat-query';
}

export type BeatEvent = BeatScheduleEvent | BeatOfflineEvent | BeatQueryEvent;

/** The routing key beat events use, and that a beat binds to hear queries. */
export const BEAT_QUERY_ROUTING_KEY = 'beat.query';
/** What a receiver binds to get every beat event. */
export const BEAT_EVENTS_BINDING = 'beat.#';

type FieldsOf<E extends EventEnvelope> = Omit<E, keyof EventEnvelope>;

/** A beat event as its message (Celery's envelope: hostname, timestamp, utcoffset, pid, clock). */
export function beatEventMessage<E extends BeatEvent>(type: E['type'], fields: FieldsOf<E>, source: EventSource): OutgoingMessage {
  return buildEventMessage(stampEvent<E>(type, fields, source));
}

/** A received event as a beat-schedule, checked field by field; undefined for anything else or a malformed one. */
export function readBeatSchedule(event: EventEnvelope): BeatScheduleEvent | undefined {
  if (event.type !== 'beat-schedule') return undefined;
  const e = event as unknown as Record<string, unknown>;
  if (typeof e['freq'] !== 'number' || typeof e['lock'] !== 'string' || typeof e['timezone'] !== 'string' || !Array.isArray(e['entries']))
    return undefined;
  const entries: BeatEntryInfo[] = [];
  for (const item of e['entries'] as unknown[]) {
    if (!isObject(item)) return undefined;
    const { name, task, kind, schedule, last_run_at, next_run_at, total_run_count } = item;
    if (typeof name !== 'string' || typeof task !== 'string' || typeof schedule !== 'string' || typeof next_run_at !== 'number') return undefined;
    if (kind !== 'interval' && kind !== 'crontab') return undefined;
    if (last_run_at !== null && typeof last_run_at !== 'number') return undefined;
    entries.push({
      name,
      task,
      kind,
      schedule,
      last_run_at,
      next_run_at,
      total_run_count: typeof total_run_count === 'number' ? total_run_count : 0,
    });
  }
  return { ...(event as BeatScheduleEvent), entries };
}
