export { Beat, DEFAULT_ANNOUNCE_MS, DEFAULT_LOCK_RETRY_MS, type BeatEvents, type BeatOptions } from './beat.js';
export { BeatBoard, queryRunningBeat, selectBeats, sendBeatQuery, type BeatBoardSnapshot, type BeatView } from './beat-board.js';
export { BeatLock, beatLockKind, DEFAULT_BEAT_LOCK } from './beat-lock.js';
export {
  BeatScheduler,
  DEFAULT_MAX_INTERVAL_MS,
  type BeatSchedulerOptions,
  type EntryRun,
  type EntryView,
  type PeriodicSend,
} from './beat-scheduler.js';
export { BeatStateFile, MemoryBeatState, type BeatStateStore, type EntryRunState } from './beat-state-file.js';
export { Crontab, type CrontabSpec } from './crontab.js';
export { IntervalSchedule, type EverySpec } from './interval.js';
export type { Schedule, ScheduleState } from './schedule.js';
export { defineScheduleEntry, type PeriodicOptions, type PeriodicSpec, type ScheduleEntry } from './schedule-entry.js';
export { resolveZone, zoneNamed, type ScheduleZone, type ZoneSettings } from './time-zone.js';
