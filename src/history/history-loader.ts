/**
 * Opening the live view with the journal's history (docs/live-view.md, History): the events of the newest segments
 * holding up to `maxTasks` tasks (JournalReader.recentEvents, which reads only those), applied to the store at their
 * own receipt times, and the summary line the view shows ("history since 10:02, 412 tasks").
 */
import type { EventEnvelope } from '../protocol/event-message.js';

/** What the view says about the history it opened with. */
export interface HistoryInfo {
  /** Epoch ms of the oldest event loaded (undefined: the journal had none). */
  readonly since: number | undefined;
  /** Distinct tasks loaded (at most the store's --max-tasks are kept). */
  readonly tasks: number;
  readonly events: number;
}

/** The part of a JournalReader the loader needs. */
export interface HistorySource {
  recentEvents(maxTasks: number): EventEnvelope[];
}

/** The part of a ClusterStore the loader feeds. */
export interface HistorySink {
  loadHistory(events: readonly EventEnvelope[]): void;
}

/** Load the journal's recent history into the store; `until` (epoch ms) drops what came later (a time window). */
export function loadJournalHistory(source: HistorySource, store: HistorySink, maxTasks: number, until?: number): HistoryInfo {
  let events = source.recentEvents(maxTasks);
  if (until !== undefined) events = events.filter((e) => receivedMs(e) < until);
  const tasks = new Set<string>();
  let since: number | undefined;
  for (const event of events) {
    const uuid = (event as { uuid?: unknown }).uuid;
    if (typeof uuid === 'string') tasks.add(uuid);
    const at = receivedMs(event);
    if (at > 0 && (since === undefined || at < since)) since = at;
  }
  store.loadHistory(events);
  return { since, tasks: Math.min(tasks.size, maxTasks), events: events.length };
}

/** An event's receipt time in epoch ms (`local_received`, else its sender's timestamp); 0 when neither. */
export function receivedMs(event: EventEnvelope): number {
  const e = event as { local_received?: unknown; timestamp?: unknown };
  if (typeof e.local_received === 'number') return e.local_received * 1000;
  return typeof e.timestamp === 'number' ? e.timestamp * 1000 : 0;
}

/** "history since 10:02:11, 412 tasks" (a day or more back: the date too). */
export function describeHistory(info: HistoryInfo, nowMs: number): string {
  if (info.since === undefined) return 'no history in the journal yet';
  const d = new Date(info.since);
  const p = (n: number) => String(n).padStart(2, '0');
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  const when = nowMs - info.since >= 86_400_000 ? `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${time}` : time;
  return `history since ${when}, ${info.tasks} task${info.tasks === 1 ? '' : 's'}`;
}
