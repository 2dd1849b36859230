import { crc32 } from 'node:zlib';

/**
 * The journal's on-disk format: batches of records. A writer's flush is one batch, written with one write(2).
 *
 * ```
 * batch:  u32 LE body length | u32 LE CRC-32 of the body | body: records, back to back
 * record: u32 LE payload length | u8 kind | f64 LE time (epoch ms) | u32 LE key hash high | u32 LE key hash low | payload
 * ```
 *
 * The time is when the writer had the record (range scans read only it); the key hash is the record's identity
 * (event-key.ts: dedup without parsing); the payload is UTF-8 JSON. One CRC per batch rather than per record: the
 * unit of loss is the write that a kill -9 or a full disk interrupted, and checking 4 MB at once costs a fraction
 * of 15,000 small checks. A torn batch (its length runs past the end, or its CRC does not match) ends the readable
 * part of a segment: `decodeRecords` stops there and reports the bytes after it.
 */
export const BATCH_HEADER_BYTES = 8;
export const RECORD_HEADER_BYTES = 21;
/** A batch larger than this is read as torn: far above the writer's 4 MB flushes, below any sane memory use. */
export const MAX_BATCH_BYTES = 256 * 1024 * 1024;

export const RecordKind = { event: 1, taskBody: 2, action: 3 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export interface RawRecord {
  readonly kind: number;
  readonly time: number;
  readonly keyHash: number;
  /** The segment's buffer and where the payload lies in it (no view per record: a journal holds millions). */
  readonly buf: Buffer;
  readonly start: number;
  readonly end: number;
}

/** The payload's text. */
export function payloadText(record: RawRecord): string {
  return record.buf.toString('utf8', record.start, record.end);
}

/**
 * Encode one record into `buf` at `offset` (the caller made room: RECORD_HEADER_BYTES + 3 × payload.length bytes
 * is always enough); returns the offset after it.
 */
export function encodeRecordInto(buf: Buffer, offset: number, kind: RecordKind, time: number, keyHash: number, payload: string): number {
  const length = buf.write(payload, offset + RECORD_HEADER_BYTES, 'utf8');
  buf.writeUInt32LE(length, offset);
  buf.writeUInt8(kind, offset + 4);
  buf.writeDoubleLE(time, offset + 5);
  buf.writeUInt32LE(Math.floor(keyHash / 0x100000000), offset + 13);
  buf.writeUInt32LE(keyHash >>> 0, offset + 17);
  return offset + RECORD_HEADER_BYTES + length;
}

/** Seal a batch whose records fill `buf` from BATCH_HEADER_BYTES to `end`: its header's length and CRC. */
export function sealBatch(buf: Buffer, end: number): void {
  buf.writeUInt32LE(end - BATCH_HEADER_BYTES, 0);
  buf.writeUInt32LE(crc32(buf.subarray(BATCH_HEADER_BYTES, end)), 4);
}

export interface DecodeResult {
  /** Bytes of whole, checked batches from the start: where a torn tail begins. */
  readonly goodBytes: number;
  /** Bytes after `goodBytes` that do not form a whole batch (0 when the buffer ends cleanly). */
  readonly tornBytes: number;
}

/**
 * Walk `buf`'s batches in order, calling `visit` for each record (with `since <= time < until`) of each whole batch
 * whose CRC matches (and `onBatch` for each such batch: where it lies, its records' time span). Stops at
 * the first batch that runs past the end, fails its CRC or holds a malformed record: everything before it is intact.
 */
export function decodeRecords(
  buf: Buffer,
  visit: (record: RawRecord) => void,
  since = -Infinity,
  until = Infinity,
  onBatch?: (offset: number, bytes: number, firstTime: number, lastTime: number) => void,
): DecodeResult {
  let offset = 0;
  while (offset + BATCH_HEADER_BYTES <= buf.length) {
    const length = buf.readUInt32LE(offset);
    const bodyStart = offset + BATCH_HEADER_BYTES;
    const end = bodyStart + length;
    if (length > MAX_BATCH_BYTES || end > buf.length) break;
    if (crc32(buf.subarray(bodyStart, end)) !== buf.readUInt32LE(offset + 4)) break;
    if (!recordsFit(buf, bodyStart, end)) break;
    let at = bodyStart;
    let first = Infinity;
    let last = 0;
    while (at < end) {
      const payloadEnd = at + RECORD_HEADER_BYTES + buf.readUInt32LE(at);
      const time = buf.readDoubleLE(at + 5);
      if (time < first) first = time;
      if (time > last) last = time;
      if (time >= since && time < until) {
        visit({
          kind: buf[at + 4]!,
          time,
          keyHash: buf.readUInt32LE(at + 13) * 0x100000000 + buf.readUInt32LE(at + 17),
          buf,
          start: at + RECORD_HEADER_BYTES,
          end: payloadEnd,
        });
      }
      at = payloadEnd;
    }
    if (onBatch !== undefined && length > 0) onBatch(offset, end - offset, first, last);
    offset = end;
  }
  return { goodBytes: offset, tornBytes: buf.length - offset };
}

/** A batch's records tile its body exactly (a CRC collision or a writer bug must not make a reader run off). */
function recordsFit(buf: Buffer, start: number, end: number): boolean {
  let at = start;
  while (at + RECORD_HEADER_BYTES <= end) at += RECORD_HEADER_BYTES + buf.readUInt32LE(at);
  return at === end;
}
