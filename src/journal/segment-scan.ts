import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { decodeRecords, RecordKind, type RawRecord } from './record-codec.js';
import { addBatchSpan, type BatchSpan, type SegmentIndex } from './segment-files.js';

export interface SegmentScan {
  readonly records: RawRecord[];
  /** Where the intact records end, and the torn bytes after them (a writer killed mid-write). */
  readonly goodBytes: number;
  readonly tornBytes: number;
  /** The intact batches read (offsets in the segment), merged into spans as an index keeps them. */
  readonly batches: BatchSpan[];
}

const EMPTY_SCAN: SegmentScan = { records: [], goodBytes: 0, tornBytes: 0, batches: [] };

/**
 * Read one segment's intact records (all of them, or those with `since <= time < until`). With the segment's batch
 * table (`spans`, from its index), only the batches whose time span meets the range are read. A segment that
 * vanished (pruned by another process) reads as empty.
 */
export function scanSegment(
  path: string,
  range: { readonly since?: number | undefined; readonly until?: number | undefined } = {},
  spans?: readonly BatchSpan[],
): SegmentScan {
  const since = range.since ?? -Infinity;
  const until = range.until ?? Infinity;
  let buf: Buffer;
  let base = 0;
  try {
    const needed = spans?.filter((b) => b.lastTime >= since && b.firstTime < until);
    if (needed !== undefined && spans !== undefined && needed.length < spans.length) {
      if (needed.length === 0) return EMPTY_SCAN;
      base = needed[0]!.offset;
      const last = needed[needed.length - 1]!;
      buf = readPart(path, base, last.offset + last.bytes - base);
    } else {
      buf = readFileSync(path);
    }
  } catch {
    return EMPTY_SCAN;
  }
  const records: RawRecord[] = [];
  const batches: BatchSpan[] = [];
  const result = decodeRecords(
    buf,
    (r) => records.push(r),
    since,
    until,
    (offset, bytes, firstTime, lastTime) => addBatchSpan(batches, { offset: base + offset, bytes, firstTime, lastTime }),
  );
  return { records, goodBytes: base + result.goodBytes, tornBytes: result.tornBytes, batches };
}

function readPart(path: string, position: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(length);
    let n = 0;
    while (n < length) {
      const got = readSync(fd, buf, n, length - n, position + n);
      if (got === 0) break;
      n += got;
    }
    return n < length ? buf.subarray(0, n) : buf;
  } finally {
    closeSync(fd);
  }
}

/** The index of a segment from a scan of all of it (a dead writer's segment, sealed). */
export function indexOf(scan: SegmentScan): Omit<SegmentIndex, 'version'> {
  let events = 0;
  let actions = 0;
  let bodies = 0;
  let firstTime = 0;
  let lastTime = 0;
  const taskIds = new Set<string>();
  for (const r of scan.records) {
    if (firstTime === 0 || r.time < firstTime) firstTime = r.time;
    if (r.time > lastTime) lastTime = r.time;
    if (r.kind === RecordKind.action) actions++;
    else if (r.kind === RecordKind.taskBody) bodies++;
    if (r.kind !== RecordKind.event) continue;
    events++;
    const uuid = uuidOf(r);
    if (uuid !== undefined) taskIds.add(uuid);
  }
  const { records, goodBytes: bytes, batches } = scan;
  return { records: records.length, events, actions, bodies, bytes, firstTime, lastTime, batches, taskIds: [...taskIds] };
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
