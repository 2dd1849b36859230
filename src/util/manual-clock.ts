import { immediate, type Clock, type TimerHandle } from './clock.js';

interface PendingTimer {
  id: number;
  due: number;
  every: number | undefined;
  fn: () => void;
}

/**
 * A Clock that only moves when told to (`advance`). Timers fire in due order, intervals repeat. For unit tests of
 * engines that would otherwise sleep.
 */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: PendingTimer[] = [];

  constructor(start = Date.UTC(2026, 10, 21, 19, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  monotonic(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, undefined);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, Math.max(1, ms));
  }

  /** The real next turn of the event loop: a turn is not time (see Clock.setImmediate). */
  setImmediate(fn: () => void): TimerHandle {
    return immediate(fn);
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!next) break;
      this.current = Math.max(this.current, next.due);
      if (next.every === undefined) this.timers = this.timers.filter((t) => t !== next);
      else next.due += next.every;
      next.fn();
    }
    this.current = target;
  }

  /** How many timers are waiting. */
  get pending(): number {
    return this.timers.length;
  }

  private add(fn: () => void, ms: number, every: number | undefined): TimerHandle {
    const timer: PendingTimer = { id: this.nextId++, due: this.current + Math.max(0, ms), every, fn };
    this.timers.push(timer);
    const handle: TimerHandle = {
      cancel: () => {
        this.timers = this.timers.filter((t) => t !== timer);
      },
      unref: () => handle,
    };
    return handle;
  }
}
