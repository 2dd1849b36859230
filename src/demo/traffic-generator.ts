import type { ApplyOptions } from '../worker/task.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';

/**
 * Demo traffic: a steady, varied stream of calls to the example tasks (examples/tasks.js), so the live view has
 * something of every kind to show: quick successes, slow tasks, failures, retries, tasks waiting on an ETA, a
 * CPU-bound one, and now and then a long sleep worth revoking.
 */

/** Sends one call; the demo backs it with CamqApp, tests with a recorder. */
export type SendTask = (name: string, options: ApplyOptions) => Promise<unknown>;

export interface TrafficKind {
  readonly label: string;
  /** Relative weight among the kinds. */
  readonly weight: number;
  readonly make: (random: () => number) => { readonly name: string; readonly options: ApplyOptions };
}

const int = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

/** The mix the demo sends: mostly successes, about one in eight fails, some retry, some wait on an ETA. */
export const DEMO_TRAFFIC: readonly TrafficKind[] = [
  { label: 'add', weight: 40, make: (r) => ({ name: 'tasks.add', options: { args: [int(r, 0, 99), int(r, 0, 99)] } }) },
  { label: 'sleep', weight: 20, make: (r) => ({ name: 'tasks.sleep', options: { args: [int(r, 1, 30) / 10] } }) },
  {
    label: 'fail',
    weight: 10,
    make: (r) => ({ name: 'tasks.fail', options: { args: [['disk full', 'timeout talking to billing', 'no such user'][int(r, 0, 2)]] } }),
  },
  { label: 'retry', weight: 5, make: (r) => ({ name: 'tasks.retry_me', options: { args: [int(r, 1, 9)] } }) },
  { label: 'eta', weight: 10, make: (r) => ({ name: 'tasks.add', options: { args: [int(r, 0, 9), int(r, 0, 9)], countdown: int(r, 5, 20) } }) },
  { label: 'fib', weight: 10, make: (r) => ({ name: 'tasks.fib', options: { args: [int(r, 18, 27)] } }) },
  { label: 'long', weight: 5, make: (r) => ({ name: 'tasks.sleep', options: { args: [int(r, 20, 60)] } }) },
];

export interface TrafficGeneratorOptions {
  readonly send: SendTask;
  /** Calls per second. @defaultValue 3 */
  readonly rate?: number;
  readonly kinds?: readonly TrafficKind[];
  /** @defaultValue Math.random */
  readonly random?: () => number;
  readonly clock?: Clock;
  /** Called when a send fails (the broker went away); the generator keeps going. */
  readonly onError?: (error: unknown) => void;
}

export class TrafficGenerator {
  private readonly options: TrafficGeneratorOptions;
  private readonly random: () => number;
  private readonly clock: Clock;
  private readonly kinds: readonly TrafficKind[];
  private readonly totalWeight: number;
  private timer: TimerHandle | undefined;
  /** Calls sent per kind label. */
  readonly sent = new Map<string, number>();

  constructor(options: TrafficGeneratorOptions) {
    this.options = options;
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? systemClock;
    this.kinds = options.kinds ?? DEMO_TRAFFIC;
    this.totalWeight = this.kinds.reduce((sum, k) => sum + k.weight, 0);
    if (this.kinds.length === 0 || this.totalWeight <= 0) throw new RangeError('the traffic mix needs at least one kind with a weight');
  }

  get isRunning(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer) return;
    const rate = this.options.rate ?? 3;
    this.timer = this.clock.setInterval(() => this.sendOne(), 1000 / rate);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Pick a kind by weight and send one call of it. */
  sendOne(): void {
    const kind = this.pick();
    const { name, options } = kind.make(this.random);
    this.sent.set(kind.label, (this.sent.get(kind.label) ?? 0) + 1);
    this.options.send(name, options).catch((err: unknown) => this.options.onError?.(err));
  }

  private pick(): TrafficKind {
    let at = this.random() * this.totalWeight;
    for (const kind of this.kinds) {
      at -= kind.weight;
      if (at < 0) return kind;
    }
    return this.kinds[this.kinds.length - 1]!;
  }
}
