/**
 * `camq replay` (docs/live-view.md, Replay): recorded events fed to a store at the pace they were received, N times
 * faster, or all at once. Time comes from a Clock, so tests drive it by hand.
 */
import type { EventEnvelope } from '../protocol/event-message.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { receivedMs } from './history-loader.js';

export interface EventReplayOptions {
  readonly clock: Clock;
  /** 1 = real speed, 10 = ten times faster; Infinity = all at once. @defaultValue 1 */
  readonly speed?: number;
  /** Events due within this many ms (of replay time) go in one batch. @defaultValue 50 */
  readonly batchMs?: number;
  /** Called after the last event. */
  readonly onDone?: () => void;
}

/**
 * Where the events go: the live view's store. Paced, each batch goes to `dispatch` received now (so workers are
 * online while their heartbeats replay and ages count from now); `--all` goes to `loadHistory` at the recorded times.
 */
export interface ReplaySink {
  dispatch(events: readonly EventEnvelope[]): void;
  loadHistory(events: readonly EventEnvelope[]): void;
}

export class EventReplay {
  private readonly events: readonly EventEnvelope[];
  private readonly clock: Clock;
  private readonly speed: number;
  private readonly batchMs: number;
  private readonly onDone: (() => void) | undefined;
  private next = 0;
  private timer: TimerHandle | undefined;
  private startedAt = 0;
  private firstAt = 0;

  constructor(
    events: readonly EventEnvelope[],
    private readonly sink: ReplaySink,
    options: EventReplayOptions,
  ) {
    // Stable sort by receipt time: a JSON-lines file from several writers may be out of order.
    this.events = [...events].sort((a, b) => receivedMs(a) - receivedMs(b));
    this.clock = options.clock;
    this.speed = options.speed ?? 1;
    this.batchMs = options.batchMs ?? 50;
    this.onDone = options.onDone;
  }

  /** Events replayed so far, of `total`. */
  get done(): number {
    return this.next;
  }
  get total(): number {
    return this.events.length;
  }

  /** Epoch ms of the first event (what the replay's clock starts at), undefined when there are none. */
  get firstEventMs(): number | undefined {
    return this.events.length === 0 ? undefined : receivedMs(this.events[0]!);
  }

  start(): void {
    if (this.events.length === 0 || !(this.speed < Infinity) || this.speed <= 0) {
      this.next = this.events.length;
      this.sink.loadHistory(this.events);
      this.onDone?.();
      return;
    }
    this.startedAt = this.clock.monotonic();
    this.firstAt = receivedMs(this.events[0]!);
    this.step();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Send what is due now, then wait for the next event's time. */
  private step(): void {
    this.timer = undefined;
    const elapsed = (this.clock.monotonic() - this.startedAt) * this.speed;
    const dueUntil = this.firstAt + elapsed + this.batchMs;
    const start = this.next;
    while (this.next < this.events.length && receivedMs(this.events[this.next]!) <= dueUntil) this.next++;
    if (this.next > start) {
      const now = this.clock.now() / 1000;
      this.sink.dispatch(this.events.slice(start, this.next).map((e) => ({ ...e, local_received: now })));
    }
    if (this.next >= this.events.length) {
      this.onDone?.();
      return;
    }
    const wait = (receivedMs(this.events[this.next]!) - this.firstAt) / this.speed - (this.clock.monotonic() - this.startedAt);
    this.timer = this.clock.setTimeout(() => this.step(), Math.max(0, wait));
  }
}
