import type { EventEnvelope } from '../protocol/event-message.js';
import type { ActionRecord, JournalEntry, JournalEntryKind, TaskBodyRecord } from './journal-records.js';
import { payloadText, RecordKind, type RawRecord } from './record-codec.js';
import { listSegments, type SegmentIndex, type SegmentInfo, type SegmentKind } from './segment-files.js';
import { DEFAULT_SEGMENT_AGE_MS, mayBeOpen } from './segment-maintenance.js';
import { scanSegment } from './segment-scan.js';
import { TaskHistoryBuilder, type TaskHistory } from './task-history.js';

export interface TimeRange {
  /** Epoch ms, inclusive. */
  readonly since?: number | undefined;
  /** Epoch ms, exclusive. */
  readonly until?: number | undefined;
}

export interface EntryQuery extends TimeRange {
  /** Only these kinds. @defaultValue all */
  readonly kinds?: readonly JournalEntryKind[];
}

export interface TaskQuery extends TimeRange {
  readonly name?: string | undefined;
  /** A state (`FAILURE`, `SUCCESS`, ...), case-insensitive. */
  readonly state?: string | undefined;
  readonly taskId?: string | undefined;
}

export interface JournalSummary {
  /** Epoch ms of the oldest and newest record (undefined when empty). */
  readonly since: number | undefined;
  readonly until: number | undefined;
  /** Distinct tasks and events (events counted per segment, so a duplicate across writers counts twice here). */
  readonly tasks: number;
  readonly events: number;
  readonly segments: number;
  readonly bytes: number;
}

const KIND_NAMES: Readonly<Record<number, JournalEntryKind>> = {
  [RecordKind.event]: 'event',
  [RecordKind.taskBody]: 'task-body',
  [RecordKind.action]: 'action',
};

/**
 * Reads a journal directory: all writers' segments merged in time order, each record once (by its key's hash), torn
 * tails skipped with one warning per segment. Reads never lock and never modify; a segment pruned while it is
 * read simply reads as empty.
 */
export class JournalReader {
  private readonly warned = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly warn: (line: string) => void = () => {},
  ) {}

  segments(): SegmentInfo[] {
    return listSegments(this.dir);
  }

  /** Entries in time order, each once. */
  entries(query: EntryQuery = {}): JournalEntry[] {
    const kinds = query.kinds === undefined ? undefined : new Set(query.kinds);
    const out: JournalEntry[] = [];
    // Every action is in a `fail` segment too (kept longest): the audit trail alone reads only those.
    const only = kinds?.size === 1 && kinds.has('action') ? 'fail' : undefined;
    for (const r of this.rawRecords(query, only, kinds)) {
      const kind = KIND_NAMES[r.kind];
      if (kind === undefined || (kinds !== undefined && !kinds.has(kind))) continue;
      const value = parse(r);
      if (value === undefined) continue;
      if (kind === 'event') out.push({ kind, time: r.time, event: value as EventEnvelope });
      else if (kind === 'task-body') out.push({ kind, time: r.time, body: value as TaskBodyRecord });
      else out.push({ kind, time: r.time, action: value as ActionRecord });
    }
    return out;
  }

  /** The events in time order, each once (`only`: from that kind of segment alone). */
  events(range: TimeRange = {}, only?: SegmentKind): EventEnvelope[] {
    const out: EventEnvelope[] = [];
    for (const r of this.rawRecords(range, only)) {
      if (r.kind !== RecordKind.event) continue;
      const value = parse(r);
      if (value !== undefined) out.push(value as EventEnvelope);
    }
    return out;
  }

  /** Tasks with events in the range, folded from their events, filtered; oldest first. */
  tasks(query: TaskQuery = {}): TaskHistory[] {
    const builder = new TaskHistoryBuilder();
    for (const event of this.events(query)) builder.add(event);
    const state = query.state?.toUpperCase();
    const out: TaskHistory[] = [];
    for (const task of builder.tasks.values()) {
      if (query.name !== undefined && task.name !== query.name) continue;
      if (state !== undefined && task.state !== state) continue;
      if (query.taskId !== undefined && task.uuid !== query.taskId) continue;
      out.push(task);
    }
    return out;
  }

  /** The body recorded for a task (the newest, if it was sent more than once), for an exact retry. */
  taskBody(taskId: string, range: TimeRange = {}): TaskBodyRecord | undefined {
    let found: TaskBodyRecord | undefined;
    for (const entry of this.entries({ ...range, kinds: ['task-body'] }))
      if (entry.kind === 'task-body' && entry.body.taskId === taskId) found = entry.body;
    return found;
  }

  actions(range: TimeRange = {}): ActionRecord[] {
    const out: ActionRecord[] = [];
    for (const entry of this.entries({ ...range, kinds: ['action'] })) if (entry.kind === 'action') out.push(entry.action);
    return out;
  }

  /**
   * "History since …, N tasks": from the segments' indexes, scanning only the segments that have none (open, or
   * their writer died). Fast on a journal of millions of events: it reads a few KB per closed segment.
   */
  summary(): JournalSummary {
    let since: number | undefined;
    let until: number | undefined;
    let events = 0;
    let bytes = 0;
    const tasks = new Set<string>();
    const segments = this.segments();
    for (const seg of segments) {
      bytes += seg.bytes;
      let first: number;
      let last: number;
      if (seg.index !== undefined) {
        ({ firstTime: first, lastTime: last } = seg.index);
        if (seg.kind === 'ev') events += seg.index.events;
        for (const id of seg.index.taskIds) tasks.add(id);
      } else {
        const scan = this.scan(seg);
        first = scan.records[0]?.time ?? 0;
        last = scan.records[scan.records.length - 1]?.time ?? 0;
        for (const r of scan.records) {
          if (r.kind !== RecordKind.event) continue;
          if (seg.kind === 'ev') events++;
          const event = parse(r) as { uuid?: unknown } | undefined;
          if (typeof event?.uuid === 'string') tasks.add(event.uuid);
        }
      }
      if (first === 0) continue;
      if (since === undefined || first < since) since = first;
      if (until === undefined || last > until) until = last;
    }
    return { since, until, tasks: tasks.size, events, segments: segments.length, bytes };
  }

  /**
   * The events a live view opens with: those of the newest segments holding at least `maxTasks` tasks (the view
   * keeps no more), in time order, each once. What a view needs, without reading a whole large journal.
   */
  recentEvents(maxTasks: number): EventEnvelope[] {
    const segments = this.segments().filter((s) => s.kind === 'ev');
    let since: number | undefined;
    const tasks = new Set<string>();
    for (let i = segments.length - 1; i >= 0; i--) {
      const seg = segments[i]!;
      if (seg.index === undefined) {
        since = undefined;
        continue;
      }
      since = seg.index.firstTime;
      for (const id of seg.index.taskIds) tasks.add(id);
      if (tasks.size >= maxTasks) break;
    }
    // The `ev` segments hold all of that range: the `fail` copies would only be merged away.
    return this.events(since === undefined ? {} : { since }, since === undefined ? undefined : 'ev');
  }

  /**
   * The range cut where `ev` segments start (startTime is in the segment's name: no read), oldest first: slices that
   * `events()` reads a few segments at a time, so a long range loads in steps with the event loop free between them.
   */
  timeSlices(range: { readonly since: number; readonly until: number }): { since: number; until: number }[] {
    const cuts = new Set<number>();
    for (const seg of this.segments()) if (seg.kind === 'ev' && seg.startTime > range.since && seg.startTime < range.until) cuts.add(seg.startTime);
    const bounds = [range.since, ...[...cuts].sort((a, b) => a - b), range.until];
    const out: { since: number; until: number }[] = [];
    for (let i = 0; i + 1 < bounds.length; i++) out.push({ since: bounds[i]!, until: bounds[i + 1]! });
    return out;
  }

  /**
   * Every intact record in the range, from every segment (`only`: of that kind), each key once, in time order.
   * `kinds`: skip the closed segments whose index says they hold no record of those kinds.
   */
  private rawRecords(range: TimeRange, only?: SegmentKind, kinds?: ReadonlySet<JournalEntryKind>): RawRecord[] {
    const since = range.since ?? -Infinity;
    const until = range.until ?? Infinity;
    const seen = new Set<number>();
    const out: RawRecord[] = [];
    // `ev` segments first, so a record's original wins over its copy in a `fail` segment.
    const segments = this.segments().sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'ev' ? -1 : 1));
    for (const seg of segments) {
      if (only !== undefined && seg.kind !== only) continue;
      if (seg.index !== undefined && (seg.index.lastTime < since || seg.index.firstTime >= until)) continue;
      if (seg.index === undefined && seg.mtimeMs < since) continue;
      if (kinds !== undefined && seg.index !== undefined && !mayHold(seg.index, kinds)) continue;
      for (const r of this.scan(seg, range).records) {
        if (seen.has(r.keyHash)) continue;
        seen.add(r.keyHash);
        out.push(r);
      }
    }
    // Stable: one writer's records keep their order at equal times.
    return out.sort((a, b) => a.time - b.time);
  }

  private scan(seg: SegmentInfo, range: TimeRange = {}): ReturnType<typeof scanSegment> {
    const scan = scanSegment(seg.path, range, seg.index?.batches);
    // A segment being written may show half a write for a moment: only a closed or dead writer's tail is torn.
    if (scan.tornBytes > 0 && !this.warned.has(seg.name) && !mayBeOpen(seg, Date.now(), DEFAULT_SEGMENT_AGE_MS)) {
      this.warned.add(seg.name);
      this.warn(`journal: ${seg.name} ends in a torn record (its writer died mid-write); ${scan.tornBytes} bytes skipped`);
    }
    return scan;
  }
}

/** Whether a closed segment may hold records of these kinds (a version 1 index does not say: it may). */
function mayHold(index: SegmentIndex, kinds: ReadonlySet<JournalEntryKind>): boolean {
  return (
    (kinds.has('event') && index.events > 0) ||
    (kinds.has('action') && (index.actions ?? 1) > 0) ||
    (kinds.has('task-body') && (index.bodies ?? 1) > 0)
  );
}

function parse(record: RawRecord): unknown {
  try {
    return JSON.parse(payloadText(record)) as unknown;
  } catch {
    return undefined;
  }
}
