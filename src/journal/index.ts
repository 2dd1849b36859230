export * from './journal.js';
export * from './journal-location.js';
export * from './journal-records.js';
export * from './journal-reader.js';
export * from './task-history.js';
export * from './event-key.js';
export { RECORD_HEADER_BYTES } from './record-codec.js';
export type { SegmentInfo, SegmentIndex, SegmentKind } from './segment-files.js';
export type { RetentionLimits } from './segment-maintenance.js';
