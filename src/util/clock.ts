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
  /**
   * Run `fn` at the end of this turn of the event loop (Node's setImmediate): to coalesce work asked for during one
   * turn (acks, event batches, QoS changes). A turn is not time: a manual clock runs it on the real next turn too.
   */
  setImmediate(fn: () => void): TimerHandle;
}

function wrap<T extends { unref(): unknown }>(timer: T, clear: (t: T) => void): TimerHandle {
  const handle: TimerHandle = {
    cancel: () => clear(timer),
    unref: () => {
      timer.unref();
      return handle;
    },
  };
  return handle;
}

/** Node's longest timer (2^31 − 1 ms, about 24.8 days): a longer delay becomes 1 ms, with a TimeoutOverflowWarning. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A timeout of any length: past MAX_TIMER_MS it waits in steps of at most MAX_TIMER_MS (an ETA a month away, a time
 * limit of 1e10 s), and Infinity or NaN never fires. Without this Node fires such timers after 1 ms.
 */
export function longTimeout(fn: () => void, ms: number): TimerHandle {
  let timer: NodeJS.Timeout | undefined;
  let unrefed = false;
  const due = performance.now() + Math.max(0, Number.isNaN(ms) ? Infinity : ms);
  const arm = () => {
    const left = due - performance.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left));
    if (unrefed) timer.unref();
  };
  if (ms <= MAX_TIMER_MS) timer = setTimeout(fn, Math.max(0, ms));
  else arm();
  const handle: TimerHandle = {
    cancel: () => clearTimeout(timer),
    unref: () => {
      unrefed = true;
      timer?.unref();
      return handle;
    },
  };
  return handle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: longTimeout,
  setInterval: (fn, ms) => wrap(setInterval(fn, Math.min(MAX_TIMER_MS, Math.max(1, ms))), clearInterval),
  setImmediate: immediate,
};

/** Node's setImmediate as a TimerHandle: the one implementation, for every Clock. */
export function immediate(fn: () => void): TimerHandle {
  return wrap(setImmediate(fn), clearImmediate);
}
