/**
 * Time as a dependency. Engines that wait (heartbeats, ETA timers, token buckets, "seen 3s ago" labels) take a
 * Clock, so unit tests drive time by hand instead of sleeping.
 */
export interface TimerHandle {
  /** Stop the timer; safe to call twice. */
  cancel(): void;
  /** Let the process exit while this timer is pending (Node's `unref`). */
  unref(): TimerHandle;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** A monotonic reading in milliseconds, for measuring durations. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setInterval(fn: () => void, ms: number): TimerHandle;
}

function wrap(timer: NodeJS.Timeout, clear: (t: NodeJS.Timeout) => void): TimerHandle {
  const handle: TimerHandle = {
    cancel: () => clear(timer),
    unref: () => {
      timer.unref();
      return handle;
    },
  };
  return handle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => wrap(setTimeout(fn, Math.max(0, ms)), clearTimeout),
  setInterval: (fn, ms) => wrap(setInterval(fn, Math.max(1, ms)), clearInterval),
};
