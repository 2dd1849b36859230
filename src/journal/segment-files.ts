import { readdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A journal directory holds segment files, each written by one process only:
 * `<kind>-<startMs>-<host>.<pid>.<random>.seg`, kind `ev` (everything) or `fail` (copies of failed tasks' records,
 * kept longer). A closed segment gets a sidecar `<name>.idx` (SegmentIndex, JSON): its time span and task ids, so a
 * summary never reads the segment itself. A segment without an index is open, or its writer died; readers scan it.
 */
export type SegmentKind = 'ev' | 'fail';

export const SEGMENT_SUFFIX = '.seg';
export const INDEX_SUFFIX = '.idx';

export interface SegmentIndex {
  readonly version: 1;
  readonly records: number;
  readonly events: number;
  readonly bytes: number;
  /** Epoch ms of the first and last record (0 when empty). */
  readonly firstTime: number;
  readonly lastTime: number;
  /** The uuids of the tasks with events in this segment. */
  readonly taskIds: readonly string[];
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

function readIndex(path: string): SegmentIndex | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as SegmentIndex;
    return parsed.version === 1 && Array.isArray(parsed.taskIds) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Write a segment's index atomically (a temporary file renamed), so a reader sees all of it or none. */
export function writeIndex(segmentPath: string, index: SegmentIndex): void {
  const tmp = `${segmentPath}${INDEX_SUFFIX}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(index));
  renameSync(tmp, segmentPath + INDEX_SUFFIX);
}
