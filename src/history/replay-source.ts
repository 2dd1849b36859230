import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../errors/index.js';
import { widenJournalHeartbeat } from '../journal/heartbeat-thinning.js';
import { readJournal } from '../journal/journal.js';
import type { RangeSource } from './range-loader.js';
import type { EventEnvelope } from '../protocol/event-message.js';

/** What `camq replay` reads: its events, and what the path was. */
export interface ReplaySource {
  readonly events: EventEnvelope[];
  readonly kind: 'journal' | 'jsonl';
  /** Lines of a JSON-lines file that were not events (skipped). */
  readonly skipped: number;
  /** A journal's reader, for time ranges older than what the view keeps. */
  readonly journal?: RangeSource | undefined;
}

/**
 * The events of a journal directory (every writer's segments merged, each event once), or of a JSON-lines file as
 * `camq events --json` prints them (other lines, like its `-> evdump` banner, are skipped). Throws a UsageError
 * naming the path when it is neither or holds no event.
 */
export function readReplaySource(path: string, warn?: (line: string) => void): ReplaySource {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(
      `cannot read ${path} (${code}): give a journal directory or a file of \`camq events --json\` lines`,
      'usage.bad-replay-source',
    );
  }
  if (isDirectory) {
    const reader = readJournal(path, warn);
    // The journal keeps a heartbeat a minute: each stands for that minute, or a replay shows workers flapping.
    const events = reader.events().map(widenJournalHeartbeat);
    if (events.length === 0) throw new UsageError(`${path} holds no journal events (is it a camq journal directory?)`, 'usage.bad-replay-source');
    return { events, kind: 'journal', skipped: 0, journal: reader };
  }
  const events: EventEnvelope[] = [];
  let skipped = 0;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    if (value !== null && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string') events.push(value as EventEnvelope);
    else skipped++;
  }
  if (events.length === 0)
    throw new UsageError(`${path} holds no events: expected one JSON event per line, as \`camq events --json\` prints`, 'usage.bad-replay-source');
  return { events, kind: 'jsonl', skipped };
}
