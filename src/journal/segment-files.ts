import { closeSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A journal directory holds segment files, each written by one process only:
 * `<kind>-<startMs>-<host>.<pid>.<random>.seg`, kind `ev` (everything) or `fail` (copies of failed tasks' records,
 * kept longer). A closed segment gets a sidecar `<name>.idx` (SegmentIndex): its time span, counts, batch table and
 * task ids, so a summary never reads the segment itself and a range read reads only the batches it needs. A segment
 * without an index is open, or its writer died; readers scan it.
 *
 * The index file (version 2): one line of JSON, the header (everything but the task ids: a few hundred bytes, what
 * listing a directory reads), then the task ids as a JSON array, read only when asked for. Version 1 (one JSON
 * object, task ids included) is still read.
 */
export type SegmentKind = 'ev' | 'fail';

export const SEGMENT_SUFFIX = '.seg';
export const INDEX_SUFFIX = '.idx';

export interface SegmentIndex {
  readonly version: 1 | 2;
  readonly records: number;
  readonly events: number;
  readonly bytes: number;
  /** Epoch ms of the first and last record (0 when empty). */
  readonly firstTime: number;
  readonly lastTime: number;
  /** Action and task-body records in the segment (undefined in a version 1 index: unknown). */
  readonly actions?: number | undefined;
  readonly bodies?: number | undefined;
  /** The segment's batches in order (undefined in a version 1 index): a range read reads only those it needs. */
  readonly batches?: readonly BatchSpan[] | undefined;
  /** The uuids of the tasks with events in this segment (read from the file on first use). */
  readonly taskIds: readonly string[];
}

/** One batch of a segment (one writer flush): where it lies and the time span of its records. */
export interface BatchSpan {
  readonly offset: number;
  readonly bytes: number;
  readonly firstTime: number;
  readonly lastTime: number;
}

export interface SegmentInfo {
  readonly name: string;
  readonly path: string;
  readonly kind: SegmentKind;
  readonly startTime: number;
  readonly writerHost: string;
  readonly writerPid: number;
  readonly bytes: number;
  readonly mtimeMs: number;
  /** Present once the segment is closed (or sealed after its writer died). */
  readonly index: SegmentIndex | undefined;
}

const NAME = /^(ev|fail)-(\d+)-(.+)\.(\d+)\.([0-9a-f]+)\.seg$/;

export function segmentName(kind: SegmentKind, startTime: number, host: string, pid: number, random: string): string {
  return `${kind}-${String(startTime).padStart(13, '0')}-${host.replace(/[^A-Za-z0-9_-]/g, '_')}.${pid}.${random}${SEGMENT_SUFFIX}`;
}

/** The directory's segments, oldest first; files that are not segments are ignored. Never throws: [] if unreadable. */
export function listSegments(dir: string): SegmentInfo[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const present = new Set(names);
  const out: SegmentInfo[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      continue; // pruned by another process meanwhile
    }
    out.push({
      name,
      path,
      kind: m[1] as SegmentKind,
      startTime: Number(m[2]),
      writerHost: m[3]!,
      writerPid: Number(m[4]),
      bytes: stat.size,
      mtimeMs: stat.mtimeMs,
      index: present.has(name + INDEX_SUFFIX) ? readIndex(path + INDEX_SUFFIX) : undefined,
    });
  }
  return out.sort((a, b) => a.startTime - b.startTime || (a.name < b.name ? -1 : 1));
}

/** Read first: the header line fits (a version 1 index has none, and is parsed whole). */
const HEADER_CHUNK = 16 * 1024;
/** Adjacent batches are merged into spans of about this size: an hour of 200 ms flushes is 18,000 batches. */
const SPAN_BYTES = 1024 * 1024;

/** Add a batch (written after those in `spans`) to a segment's batch table, merged into the last span while small. */
export function addBatchSpan(spans: BatchSpan[], batch: BatchSpan): void {
  const last = spans[spans.length - 1];
  if (last === undefined || last.bytes >= SPAN_BYTES || last.offset + last.bytes !== batch.offset) {
    spans.push(batch);
    return;
  }
  spans[spans.length - 1] = {
    offset: last.offset,
    bytes: last.bytes + batch.bytes,
    firstTime: Math.min(last.firstTime, batch.firstTime),
    lastTime: Math.max(last.lastTime, batch.lastTime),
  };
}

function readIndex(path: string): SegmentIndex | undefined {
  try {
    const chunk = Buffer.allocUnsafe(HEADER_CHUNK);
    const fd = openSync(path, 'r');
    let n: number;
    try {
      n = readSync(fd, chunk, 0, HEADER_CHUNK, 0);
    } finally {
      closeSync(fd);
    }
    let newline = chunk.subarray(0, n).indexOf(0x0a);
    let headerText = newline < 0 ? undefined : chunk.toString('utf8', 0, newline);
    if (headerText === undefined) {
      const text = readFileSync(path, 'utf8');
      newline = text.indexOf('\n');
      if (newline < 0) {
        const parsed = JSON.parse(text) as SegmentIndex;
        return parsed.version === 1 && Array.isArray(parsed.taskIds) ? parsed : undefined;
      }
      headerText = text.slice(0, newline);
    }
    const header = JSON.parse(headerText) as Omit<SegmentIndex, 'taskIds' | 'batches'> & {
      batches?: [number, number, number, number][];
    };
    if (header.version !== 2 || !Array.isArray(header.batches)) return undefined;
    const batches = header.batches.map(([offset, bytes, firstTime, lastTime]) => ({ offset, bytes, firstTime, lastTime }));
    let taskIds: readonly string[] | undefined;
    return {
      ...header,
      batches,
      get taskIds() {
        return (taskIds ??= readTaskIds(path));
      },
    };
  } catch {
    return undefined;
  }
}

/** A version 2 index's task ids (after its header line); none when the file went meanwhile (pruned). */
function readTaskIds(path: string): readonly string[] {
  try {
    const buf = readFileSync(path);
    // Decoded from after the header line (not a slice of the whole text: JSON.parse reads a flat string faster).
    const ids = JSON.parse(buf.toString('utf8', buf.indexOf(0x0a) + 1)) as unknown;
    return Array.isArray(ids) ? (ids as string[]) : [];
  } catch {
    return [];
  }
}

/** Write a segment's index atomically (a temporary file renamed), so a reader sees all of it or none. */
export function writeIndex(segmentPath: string, index: Omit<SegmentIndex, 'version'>): void {
  const tmp = `${segmentPath}${INDEX_SUFFIX}.${process.pid}.tmp`;
  const { taskIds, batches = [], records, events, bytes, firstTime, lastTime, actions = 0, bodies = 0 } = index;
  const header = {
    version: 2,
    records,
    events,
    bytes,
    firstTime,
    lastTime,
    actions,
    bodies,
    batches: batches.map((b) => [b.offset, b.bytes, b.firstTime, b.lastTime]),
  };
  writeFileSync(tmp, `${JSON.stringify(header)}\n${JSON.stringify(taskIds)}`);
  renameSync(tmp, segmentPath + INDEX_SUFFIX);
}
