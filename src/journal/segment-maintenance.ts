import { ftruncateSync, openSync, closeSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { INDEX_SUFFIX, listSegments, writeIndex, type SegmentInfo } from './segment-files.js';
import { indexOf, scanSegment } from './segment-scan.js';

/** This host's name as segment names spell it. */
export const WRITER_HOST = hostname().replace(/[^A-Za-z0-9_-]/g, '_');

/** How long a writer keeps a segment before starting the next. */
export const DEFAULT_SEGMENT_AGE_MS = 60 * 60_000;

export interface RetentionLimits {
  /** All segments together. */
  readonly maxBytes: number;
  /** `ev` segments whose last record is older go. */
  readonly maxAgeMs: number;
  /** `fail` segments (failed tasks' records) whose last record is older go. */
  readonly failureMaxAgeMs: number;
  /** How long a writer keeps a segment open at most: an unindexed segment of another host older than this is closed. */
  readonly segmentAgeMs: number;
}

/** Segments this process has open for writing (by path): several journals may be open in one process. */
export const OPEN_HERE = new Set<string>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A segment some live process may still append to (so it is neither sealed nor pruned). */
export function mayBeOpen(seg: SegmentInfo, now: number, segmentAgeMs: number): boolean {
  if (seg.index !== undefined) return false;
  if (seg.writerHost === WRITER_HOST) return seg.writerPid === process.pid ? OPEN_HERE.has(seg.path) : pidAlive(seg.writerPid);
  return now - seg.mtimeMs < segmentAgeMs * 2;
}

/**
 * Seal the segments whose writer died (killed, crashed) on this host: cut a torn last record off (one warning per
 * segment, once: it is sealed after) and write its index, so readers neither warn again nor scan it for summaries.
 */
export function sealDeadSegments(dir: string, now: number, segmentAgeMs: number, warn: (line: string) => void): void {
  for (const seg of listSegments(dir)) {
    if (seg.index !== undefined || mayBeOpen(seg, now, segmentAgeMs)) continue;
    const scan = scanSegment(seg.path);
    try {
      if (scan.tornBytes > 0) {
        warn(`journal: ${seg.name} ended in a torn record (its writer died mid-write); the last ${scan.tornBytes} bytes were skipped`);
        const fd = openSync(seg.path, 'r+');
        try {
          ftruncateSync(fd, scan.goodBytes);
        } finally {
          closeSync(fd);
        }
      }
      writeIndex(seg.path, indexOf(scan));
    } catch {
      // Not ours to fix (read-only, or another process sealed it first): readers skip the torn tail anyway.
    }
  }
}

/**
 * Drop what the limits no longer allow, oldest first: `ev` segments past maxAgeMs, `fail` segments past
 * failureMaxAgeMs, then, while all segments together exceed maxBytes, the oldest `ev` segments and only after them the
 * oldest `fail` ones: failures are kept longest. Segments a live writer may still append to are never dropped.
 * Returns the names removed. Two processes pruning at once is harmless (a file already gone is skipped).
 */
export function pruneSegments(dir: string, limits: RetentionLimits, now: number): string[] {
  const segments = listSegments(dir);
  let total = 0;
  for (const s of segments) total += s.bytes;
  const removed: string[] = [];
  const drop = (seg: SegmentInfo): void => {
    try {
      unlinkSync(seg.path);
    } catch {
      return;
    }
    try {
      unlinkSync(seg.path + INDEX_SUFFIX);
    } catch {
      // no index
    }
    total -= seg.bytes;
    removed.push(seg.name);
  };
  const candidates = segments.filter((s) => !mayBeOpen(s, now, limits.segmentAgeMs));
  const left: SegmentInfo[] = [];
  for (const seg of candidates) {
    const last = seg.index?.lastTime || seg.mtimeMs;
    const maxAge = seg.kind === 'fail' ? limits.failureMaxAgeMs : limits.maxAgeMs;
    if (now - last > maxAge) drop(seg);
    else left.push(seg);
  }
  for (const kind of ['ev', 'fail'] as const) {
    for (const seg of left) {
      if (total <= limits.maxBytes) return removed;
      if (seg.kind === kind) drop(seg);
    }
  }
  return removed;
}
