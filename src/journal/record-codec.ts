import { crc32 } from 'node:zlib';

/**
 * The journal's on-disk record: a fixed 25-byte header, then the payload (UTF-8 JSON).
 *
 * ```
 * offset  size  field
 * 0       4     payload length (u32 LE)
 * 4       4     CRC-32 of bytes 8.. (kind, time, key, payload)
 * 8       1     kind (RecordKind)
 * 9       8     time, epoch ms (f64 LE): when the writer received it; range scans read only this
 * 17      8     the event key's 53-bit hash (u32 hi, u32 lo): dedup without parsing the payload
 * 25      n     payload
 * ```
 *
 * A record is written by one `write(2)` of a whole batch; a process killed mid-write leaves a tail whose length runs
 * past the end of the file or whose CRC does not match: `decodeRecords` stops there and reports the torn bytes.
 */
export const RECORD_HEADER_BYTES = 25;
/** A record larger than this is refused by the writer and read as torn: a sane bound for an event or a task body. */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

export const RecordKind = { event: 1, taskBody: 2, action: 3 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export interface RawRecord {
  readonly kind: number;
  readonly time: number;
  readonly keyHash: number;
  /** The payload's bytes (a view into the segment's buffer). */
  readonly payload: Buffer;
}

/** Encode one record into a fresh buffer. */
export function encodeRecord(kind: RecordKind, time: number, keyHash: number, payload: string): Buffer {
  const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES + Buffer.byteLength(payload));
  encodeRecordInto(buf, 0, kind, time, keyHash, payload);
  return buf;
}

/**
 * Encode one record into `buf` at `offset` (the caller made room: RECORD_HEADER_BYTES + 3 × payload.length bytes
 * is always enough); returns the offset after it. The writer's batch buffer uses this to avoid a buffer per record.
 */
export function encodeRecordInto(buf: Buffer, offset: number, kind: RecordKind, time: number, keyHash: number, payload: string): number {
  const length = buf.write(payload, offset + RECORD_HEADER_BYTES, 'utf8');
  const end = offset + RECORD_HEADER_BYTES + length;
  buf.writeUInt32LE(length, offset);
  buf.writeUInt8(kind, offset + 8);
  buf.writeDoubleLE(time, offset + 9);
  buf.writeUInt32LE(Math.floor(keyHash / 0x100000000), offset + 17);
  buf.writeUInt32LE(keyHash >>> 0, offset + 21);
  buf.writeUInt32LE(crc32(buf.subarray(offset + 8, end)), offset + 4);
  return end;
}

export interface DecodeResult {
  /** Bytes of whole, checked records from the start: where a torn tail begins. */
  readonly goodBytes: number;
  /** Bytes after `goodBytes` that do not form a whole record (0 when the buffer ends cleanly). */
  readonly tornBytes: number;
}

/**
 * Walk `buf`'s records in order, calling `visit` for each whole one whose CRC matches (return false to stop early).
 * Stops at the first record that runs past the end or fails its CRC: everything before it is intact.
 */
export function decodeRecords(buf: Buffer, visit: (record: RawRecord) => boolean | void): DecodeResult {
  let offset = 0;
  while (offset + RECORD_HEADER_BYTES <= buf.length) {
    const length = buf.readUInt32LE(offset);
    const end = offset + RECORD_HEADER_BYTES + length;
    if (length > MAX_PAYLOAD_BYTES || end > buf.length) break;
    if (crc32(buf.subarray(offset + 8, end)) !== buf.readUInt32LE(offset + 4)) break;
    const record: RawRecord = {
      kind: buf.readUInt8(offset + 8),
      time: buf.readDoubleLE(offset + 9),
      keyHash: buf.readUInt32LE(offset + 17) * 0x100000000 + buf.readUInt32LE(offset + 21),
      payload: buf.subarray(offset + RECORD_HEADER_BYTES, end),
    };
    offset = end;
    if (visit(record) === false) return { goodBytes: offset, tornBytes: 0 };
  }
  return { goodBytes: offset, tornBytes: buf.length - offset };
}
