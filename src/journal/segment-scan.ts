import { readFileSync } from 'node:fs';
import { decodeRecords, RecordKind, type RawRecord } from './record-codec.js';
import type { SegmentIndex } from './segment-files.js';

export interface SegmentScan {
  readonly records: RawRecord[];
  /** Where the intact records end, and the torn bytes after them (a writer killed mid-write). */
  readonly goodBytes: number;
  readonly tornBytes: number;
}

/**
 * Read one segment's intact records (all of them, or those with `since <= time < until`). A segment that vanished
 * (pruned by another process) reads as empty.
 */
export function scanSegment(path: string, range: { readonly since?: number; readonly until?: number } = {}): SegmentScan {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return { records: [], goodBytes: 0, tornBytes: 0 };
  }
  const since = range.since ?? -Infinity;
  const until = range.until ?? Infinity;
  const records: RawRecord[] = [];
  const result = decodeRecords(buf, (r) => records.push(r), since, until);
  return { records, goodBytes: result.goodBytes, tornBytes: result.tornBytes };
}

/** The index of a segment from its records (when a writer closes it, or a dead writer's segment is sealed). */
export function indexOf(records: readonly RawRecord[], bytes: number): SegmentIndex {
  let events = 0;
  let firstTime = 0;
  let lastTime = 0;
  const taskIds = new Set<string>();
  for (const r of records) {
    if (firstTime === 0 || r.time < firstTime) firstTime = r.time;
    if (r.time > lastTime) lastTime = r.time;
    if (r.kind !== RecordKind.event) continue;
    events++;
    const uuid = uuidOf(r);
    if (uuid !== undefined) taskIds.add(uuid);
  }
  return { version: 1, records: records.length, events, bytes, firstTime, lastTime, taskIds: [...taskIds] };
}

const UUID_FIELD = Buffer.from('"uuid":"');

/** A task event's uuid, found in its JSON without parsing all of it. */
export function uuidOf(record: RawRecord): string | undefined {
  const at = record.buf.indexOf(UUID_FIELD, record.start);
  if (at < 0 || at >= record.end) return undefined;
  const start = at + UUID_FIELD.length;
  const end = record.buf.indexOf(0x22, start);
  return end < 0 || end > record.end ? undefined : record.buf.toString('latin1', start, end);
}
