import { randomBytes } from 'node:crypto';
import { closeSync, fdatasyncSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { EventEnvelope } from '../protocol/event-message.js';
import { actionKey, eventKeyHash, hashKey, taskBodyKey } from './event-key.js';
import type { ActionRecord, TaskBodyRecord } from './journal-records.js';
import { BATCH_HEADER_BYTES, encodeRecordInto, RECORD_HEADER_BYTES, RecordKind, sealBatch } from './record-codec.js';
import { addBatchSpan, listSegments, segmentName, writeIndex, type BatchSpan, type SegmentIndex, type SegmentKind } from './segment-files.js';
import { OPEN_HERE, pruneSegments, sealDeadSegments, WRITER_HOST, type RetentionLimits } from './segment-maintenance.js';
import { scanSegment } from './segment-scan.js';
import { KeyHashSet } from './key-hash-set.js';

export interface JournalWriterOptions extends RetentionLimits {
  readonly dir: string;
  /** A segment is closed (and a new one begun) past this size. */
  readonly segmentBytes: number;
  /** Records wait in memory at most this long before one write(2): kill -9 loses at most this much. */
  readonly flushIntervalMs: number;
  /** fdatasync after each flush: survives a power cut too, at a few ms per flush. */
  readonly fsync: boolean;
  readonly now: () => number;
  readonly warn: (line: string) => void;
  /** Called once when writing fails for good (a full disk, the directory gone read-only). */
  readonly onDisabled: (reason: string) => void;
}

interface OpenSegment {
  readonly kind: SegmentKind;
  readonly path: string;
  readonly fd: number;
  readonly startTime: number;
  bytes: number;
  /** Its index, kept as records are written (so closing it reads nothing back). */
  records: number;
  events: number;
  actions: number;
  bodies: number;
  firstTime: number;
  lastTime: number;
  readonly taskIds: Set<string>;
  /** Its batch table: what a range read of the closed segment reads (segment-files.ts). */
  readonly batches: BatchSpan[];
}

/** A record as appended: what a failure copies into the `fail` segment. */
interface PendingRecord {
  readonly kind: RecordKind;
  readonly time: number;
  readonly hash: number;
  readonly payload: string;
  readonly uuid: string | undefined;
}

/** Per batch buffer: the records' index fields, applied to the segment when the batch is written. */
interface BatchMeta {
  records: number;
  events: number;
  actions: number;
  bodies: number;
  firstTime: number;
  lastTime: number;
  taskIds: string[];
}

const emptyMeta = (): BatchMeta => ({ records: 0, events: 0, actions: 0, bodies: 0, firstTime: 0, lastTime: 0, taskIds: [] });

const FAILURE_TRAIL_TASKS = 20_000;
const PENDING_INITIAL_BYTES = 1 << 20;
const FLUSH_AT_BYTES = 4 << 20;
/** The writer remembers the keys of the last 200,000 to 400,000 records it wrote (KeyHashSet). */
const DEDUP_GENERATION = 200_000;

/**
 * One process's writer: its own segment files (so writers in other processes never interleave with it), records
 * batched in memory and written with one write(2) per flush. Never throws after open: a write error disables it
 * (onDisabled, once) and later appends are dropped.
 */
export class JournalWriter {
  private readonly options: JournalWriterOptions;
  private readonly random = randomBytes(4).toString('hex');
  private pending = { ev: Buffer.allocUnsafe(PENDING_INITIAL_BYTES), fail: Buffer.allocUnsafe(PENDING_INITIAL_BYTES) };
  private pendingBytes = { ev: BATCH_HEADER_BYTES, fail: BATCH_HEADER_BYTES };
  private meta = { ev: emptyMeta(), fail: emptyMeta() };
  private segments: { ev: OpenSegment | undefined; fail: OpenSegment | undefined } = { ev: undefined, fail: undefined };
  private readonly trails = new Map<string, PendingRecord[]>();
  private readonly seen = new KeyHashSet(DEDUP_GENERATION);
  private timer: NodeJS.Timeout | undefined;
  private disabledReason: string | undefined;
  private serial = 0;
  /** Records appended (after dedup) and skipped as already written. */
  appended = 0;
  duplicates = 0;

  /** Opens the first segment now, so a directory that cannot be written is found at once (throws then). */
  constructor(options: JournalWriterOptions) {
    this.options = options;
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    this.segments.ev = this.openSegment('ev');
    sealDeadSegments(options.dir, options.now(), options.segmentAgeMs, options.warn);
    pruneSegments(options.dir, options, options.now());
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs);
    this.timer.unref();
  }

  get disabled(): string | undefined {
    return this.disabledReason;
  }

  /**
   * Remember the keys of what this journal holds from `since` (epoch ms) on, so records already there are not
   * written again: a recorder restarted after kill -9 gets the events it had written but not acked once more.
   */
  primeDedup(since: number): number {
    let n = 0;
    for (const seg of listSegments(this.options.dir)) {
      if (seg.index !== undefined && seg.index.lastTime < since) continue;
      for (const r of scanSegment(seg.path, { since }, seg.index?.batches).records) {
        this.seen.add(r.keyHash);
        n++;
      }
    }
    return n;
  }

  appendEvents(events: readonly EventEnvelope[]): void {
    if (this.disabledReason !== undefined) return;
    const now = this.options.now();
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const hash = eventKeyHash(event);
      if (this.isDuplicate(hash)) continue;
      const received = event.local_received;
      const uuid = (event as unknown as { uuid?: unknown }).uuid;
      const time = typeof received === 'number' ? received * 1000 : now;
      const payload = JSON.stringify(event);
      if (typeof uuid !== 'string') {
        this.appendFields('ev', RecordKind.event, time, hash, payload, undefined);
        continue;
      }
      this.appendFields('ev', RecordKind.event, time, hash, payload, uuid);
      // A task's sent/received records (and body) are kept until it ends; a failure copies them into `fail`.
      const type = event.type;
      if (type === 'task-sent' || type === 'task-received') {
        this.trail(uuid).push({ kind: RecordKind.event, time, hash, payload, uuid });
      } else if (type === 'task-failed') {
        const trail = this.trails.get(uuid);
        if (trail !== undefined) for (const r of trail) this.append('fail', r);
        this.appendFields('fail', RecordKind.event, time, hash, payload, uuid);
        this.trails.delete(uuid);
      } else if (type === 'task-succeeded' || type === 'task-revoked' || type === 'task-rejected') {
        this.trails.delete(uuid);
      }
    }
    this.flushIfLarge();
  }

  appendTaskBody(body: TaskBodyRecord): void {
    if (this.disabledReason !== undefined) return;
    const hash = hashKey(taskBodyKey(body.taskId));
    if (this.isDuplicate(hash)) return;
    const record: PendingRecord = { kind: RecordKind.taskBody, time: this.options.now(), hash, payload: JSON.stringify(body), uuid: undefined };
    this.append('ev', record);
    this.trail(body.taskId).push(record);
    this.flushIfLarge();
  }

  appendAction(action: ActionRecord): void {
    if (this.disabledReason !== undefined) return;
    const hash = hashKey(actionKey(action));
    if (this.isDuplicate(hash)) return;
    const record: PendingRecord = { kind: RecordKind.action, time: action.when, hash, payload: JSON.stringify(action), uuid: undefined };
    this.append('ev', record);
    // Actions are few and are the audit trail: kept as long as failures.
    this.append('fail', record);
    this.flushIfLarge();
  }

  /**
   * Write what is pending: one write(2) per segment kind. Returns false when the journal is disabled (the records
   * were not written). Synchronous, so a caller that acks after it (the recorder) acks only what is on disk.
   */
  flush(): boolean {
    if (this.disabledReason !== undefined) return false;
    try {
      for (const kind of ['ev', 'fail'] as const) {
        const length = this.pendingBytes[kind];
        if (length === BATCH_HEADER_BYTES) continue;
        const seg = (this.segments[kind] ??= this.openSegment(kind));
        sealBatch(this.pending[kind], length);
        let offset = 0;
        while (offset < length) offset += writeSync(seg.fd, this.pending[kind], offset, length - offset);
        if (this.options.fsync) fdatasyncSync(seg.fd);
        const meta = this.meta[kind];
        this.meta[kind] = emptyMeta();
        addBatchSpan(seg.batches, { offset: seg.bytes, bytes: length, firstTime: meta.firstTime, lastTime: meta.lastTime });
        seg.bytes += length;
        this.pendingBytes[kind] = BATCH_HEADER_BYTES;
        seg.records += meta.records;
        seg.events += meta.events;
        seg.actions += meta.actions;
        seg.bodies += meta.bodies;
        if (seg.firstTime === 0 || (meta.firstTime !== 0 && meta.firstTime < seg.firstTime)) seg.firstTime = meta.firstTime;
        if (meta.lastTime > seg.lastTime) seg.lastTime = meta.lastTime;
        for (const id of meta.taskIds) seg.taskIds.add(id);
      }
      this.rotateIfDue();
      return true;
    } catch (err) {
      this.disable(err);
      return false;
    }
  }

  /** Flush, close the segments (writing their indexes) and stop the timer. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
    for (const kind of ['ev', 'fail'] as const) this.closeSegment(kind);
  }

  private append(kind: SegmentKind, record: PendingRecord): void {
    this.appendFields(kind, record.kind, record.time, record.hash, record.payload, record.uuid);
  }

  /** Encode one record into the pending batch of `kind`, and note it for the segment's index. */
  private appendFields(kind: SegmentKind, recordKind: RecordKind, time: number, hash: number, payload: string, uuid: string | undefined): void {
    const need = RECORD_HEADER_BYTES + payload.length * 3;
    let buf = this.pending[kind];
    const at = this.pendingBytes[kind];
    if (at + need > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, at + need));
      buf.copy(bigger, 0, 0, at);
      this.pending[kind] = buf = bigger;
    }
    this.pendingBytes[kind] = encodeRecordInto(buf, at, recordKind, time, hash, payload);
    const meta = this.meta[kind];
    meta.records++;
    if (meta.firstTime === 0 || time < meta.firstTime) meta.firstTime = time;
    if (time > meta.lastTime) meta.lastTime = time;
    if (recordKind === RecordKind.event) {
      meta.events++;
      if (uuid !== undefined) meta.taskIds.push(uuid);
    } else if (recordKind === RecordKind.action) {
      meta.actions++;
    } else {
      meta.bodies++;
    }
    if (kind === 'ev') this.appended++;
  }

  private trail(uuid: string): PendingRecord[] {
    let trail = this.trails.get(uuid);
    if (trail === undefined) {
      trail = [];
      this.trails.set(uuid, trail);
      if (this.trails.size > FAILURE_TRAIL_TASKS) this.trails.delete(this.trails.keys().next().value!);
    }
    return trail;
  }

  private isDuplicate(hash: number): boolean {
    if (this.seen.has(hash)) {
      this.duplicates++;
      return true;
    }
    this.seen.add(hash);
    return false;
  }

  private flushIfLarge(): void {
    if (this.pendingBytes.ev >= FLUSH_AT_BYTES || this.pendingBytes.fail >= FLUSH_AT_BYTES) this.flush();
  }

  private openSegment(kind: SegmentKind): OpenSegment {
    const now = this.options.now();
    const name = segmentName(kind, now, WRITER_HOST, process.pid, `${this.random}${(this.serial++).toString(16)}`);
    const path = join(this.options.dir, name);
    const fd = openSync(path, 'ax', 0o600);
    OPEN_HERE.add(path);
    return {
      kind,
      path,
      fd,
      startTime: now,
      bytes: 0,
      records: 0,
      events: 0,
      actions: 0,
      bodies: 0,
      firstTime: 0,
      lastTime: 0,
      taskIds: new Set(),
      batches: [],
    };
  }

  private rotateIfDue(): void {
    const now = this.options.now();
    let rotated = false;
    for (const kind of ['ev', 'fail'] as const) {
      const seg = this.segments[kind];
      if (seg === undefined || seg.bytes === 0) continue;
      if (seg.bytes >= this.options.segmentBytes || now - seg.startTime >= this.options.segmentAgeMs) {
        this.closeSegment(kind);
        rotated = true;
      }
    }
    if (rotated) pruneSegments(this.options.dir, this.options, now);
  }

  /** Close a segment: an empty one is removed, any other gets its index. */
  private closeSegment(kind: SegmentKind): void {
    const seg = this.segments[kind];
    if (seg === undefined) return;
    this.segments[kind] = undefined;
    OPEN_HERE.delete(seg.path);
    try {
      closeSync(seg.fd);
      if (seg.bytes === 0) unlinkSync(seg.path);
      else writeIndex(seg.path, indexOfSegment(seg));
    } catch {
      // Readers scan a segment without an index; nothing is lost.
    }
  }

  private disable(err: unknown): void {
    if (this.disabledReason !== undefined) return;
    this.disabledReason = describeWriteError(err, this.options.dir);
    this.pendingBytes = { ev: BATCH_HEADER_BYTES, fail: BATCH_HEADER_BYTES };
    if (this.timer !== undefined) clearInterval(this.timer);
    this.options.onDisabled(this.disabledReason);
  }
}

function indexOfSegment(seg: OpenSegment): Omit<SegmentIndex, 'version'> {
  const { records, events, actions, bodies, bytes, firstTime, lastTime, batches } = seg;
  return { records, events, actions, bodies, bytes, firstTime, lastTime, batches, taskIds: [...seg.taskIds] };
}

/** One line: what went wrong with the journal directory, and what to do. */
export function describeWriteError(err: unknown, dir: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const what =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'no space left on the device'
      : code === 'EROFS'
        ? 'the file system is read-only'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'ENOTDIR' || code === 'EEXIST'
            ? 'a file is in the way'
            : err instanceof Error
              ? err.message
              : String(err);
  return `journal off: cannot write ${dir} (${what}); events are not recorded. Free space, or choose another directory with --journal DIR (--no-journal silences this)`;
}
