import { DEFAULT_SEGMENT_AGE_MS } from './segment-maintenance.js';

const DAY = 24 * 60 * 60_000;

/** A journal's bounds and timings unless told otherwise (docs/journal.md). */
export const JOURNAL_DEFAULTS = {
  maxBytes: 1024 * 1024 * 1024,
  maxAgeMs: 14 * DAY,
  failureMaxAgeMs: 90 * DAY,
  segmentBytes: 32 * 1024 * 1024,
  segmentAgeMs: DEFAULT_SEGMENT_AGE_MS,
  flushIntervalMs: 200,
} as const;
