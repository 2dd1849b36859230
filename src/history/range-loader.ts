/**
 * A time range older than what the live view holds, read from the journal (docs/live-view.md, Time ranges): the
 * range's events, newest slices first until they hold `maxTasks` tasks (the view keeps no more), applied in time
 * order to a ClusterState of their own, at their recorded receipt times. The live store is left alone, so live
 * events keep arriving while the view shows the past. Reading yields to the event loop between slices (one journal
 * segment each, at most 32 MB), so keys are answered while a long range loads.
 */
import { ClusterState } from '../events/cluster-state.js';
import type { EventEnvelope } from '../protocol/event-message.js';
import { receivedMs } from './history-loader.js';
import type { TimeWindow } from './time-range.js';

/** The part of a JournalReader the loader reads. */
export interface RangeSource {
  /** The window cut into slices, oldest first (JournalReader.timeSlices). */
  timeSlices(window: TimeWindow): TimeWindow[];
  events(range: TimeWindow): EventEnvelope[];
}

export interface RangeLoad {
  readonly window: TimeWindow;
  /** The range's tasks (the newest `maxTasks` of them), at their recorded times. */
  readonly state: ClusterState;
  readonly events: number;
  /** The range held more tasks than the view keeps: `state` has the newest, from `since` on. */
  readonly isCapped: boolean;
  /** Epoch ms of the oldest event loaded when capped (else the window's start). */
  readonly since: number;
}

export interface RangeLoadOptions {
  readonly maxTasks: number;
  /** Between slices: let the event loop run. @defaultValue setImmediate */
  readonly pause?: () => Promise<void>;
  /** Checked between slices: a load nobody waits for any more stops. */
  readonly isCancelled?: () => boolean;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Read the window from the journal; undefined when cancelled on the way. */
export async function loadTimeRange(source: RangeSource, window: TimeWindow, options: RangeLoadOptions): Promise<RangeLoad | undefined> {
  const pause = options.pause ?? nextTurn;
  const slices = source.timeSlices(window);
  const chunks: EventEnvelope[][] = [];
  const tasks = new Set<string>();
  let isCapped = false;
  for (let i = slices.length - 1; i >= 0; i--) {
    if (tasks.size >= options.maxTasks) {
      isCapped = true;
      break;
    }
    await pause();
    if (options.isCancelled?.() === true) return undefined;
    const events = source.events(slices[i]!);
    for (const event of events) {
      const uuid = (event as { uuid?: unknown }).uuid;
      if (typeof uuid === 'string') tasks.add(uuid);
    }
    chunks.push(events);
  }
  const state = new ClusterState({ maxTasks: options.maxTasks });
  let count = 0;
  let since = window.since;
  for (let i = chunks.length - 1; i >= 0; i--) {
    for (const event of chunks[i]!) {
      const at = receivedMs(event);
      if (count === 0 && isCapped) since = at;
      state.apply(event, at);
      count++;
    }
  }
  return { window, state, events: count, isCapped, since };
}
