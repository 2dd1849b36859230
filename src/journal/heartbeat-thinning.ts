import type { EventEnvelope, WorkerEventFields } from '../protocol/event-message.js';

/**
 * The journal keeps a worker's first heartbeat and then one a minute: every heartbeat of 200 workers (one each 2 s)
 * is ~34 KB/s, 2.9 GB a day, which would push the task history out of a 1 GiB journal within hours (docs/journal.md).
 * worker-online and worker-offline are always kept, so a worker's comings and goings stay exact.
 */
export const JOURNAL_HEARTBEAT_SECONDS = 60;

/** Beyond this many workers the per-worker memory starts again (each worker's next heartbeat is then kept). */
const MAX_WORKERS = 100_000;

/** Decides which heartbeats the journal keeps (one writer's view; dedup across writers is the journal's). */
export class HeartbeatThinner {
  private readonly lastKept = new Map<string, number>();

  constructor(private readonly intervalSeconds = JOURNAL_HEARTBEAT_SECONDS) {}

  /** The events to write: `events` itself when none is dropped. */
  filter(events: readonly EventEnvelope[]): readonly EventEnvelope[] {
    let kept: EventEnvelope[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const keep = this.keep(events[i]!);
      if (!keep && kept === undefined) kept = events.slice(0, i);
      else if (keep && kept !== undefined) kept.push(events[i]!);
    }
    return kept ?? events;
  }

  private keep(event: EventEnvelope): boolean {
    if (event.type !== 'worker-heartbeat') {
      // A worker that comes or goes starts a new minute: its next heartbeat is kept.
      if (event.type === 'worker-online' || event.type === 'worker-offline') this.lastKept.delete(event.hostname);
      return true;
    }
    const seconds = typeof event.local_received === 'number' ? event.local_received : event.timestamp;
    const last = this.lastKept.get(event.hostname);
    if (last !== undefined && seconds >= last && seconds < last + this.intervalSeconds) return false;
    if (this.lastKept.size >= MAX_WORKERS) this.lastKept.clear();
    this.lastKept.set(event.hostname, seconds);
    return true;
  }
}

/**
 * A heartbeat read back from the journal stands for a minute of them: a replay keeps its worker online for that
 * long (twice its `freq`, as Celery's state does), not the 4 s a 2 s `freq` would give.
 */
export function widenJournalHeartbeat(event: EventEnvelope): EventEnvelope {
  if (event.type !== 'worker-heartbeat') return event;
  const freq = (event as Partial<WorkerEventFields>).freq;
  if (typeof freq === 'number' && freq >= JOURNAL_HEARTBEAT_SECONDS) return event;
  const widened: EventEnvelope & Partial<WorkerEventFields> = { ...event, freq: JOURNAL_HEARTBEAT_SECONDS };
  return widened;
}
