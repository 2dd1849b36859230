import type { Queue } from './queue.js';
import type { VirtualHost } from './vhost.js';
import type { Clock, TimerHandle } from '../util/clock.js';

/** RabbitMQ's `collect_statistics_interval` default: counts and rates are sampled this often. */
export const STATS_INTERVAL_MS = 5000;

/** A queue's figures as the management API reports them: counts and counters as of the last sample, with rates. */
export interface QueueStats {
  readonly ready: number;
  readonly unacked: number;
  readonly consumers: number;
  readonly publish: number;
  readonly deliverGet: number;
  /** Per second, between the last two samples (0 before there are two). */
  readonly publishRate: number;
  readonly deliverGetRate: number;
  readonly readyRate: number;
  readonly unackedRate: number;
  /** When the queue went quiet, or null while messages came in or went out during the last interval. */
  readonly idleSince: number | null;
}

interface Sample {
  readonly at: number;
  readonly stats: QueueStats;
}

/**
 * The embedded broker's statistics as RabbitMQ's management plugin keeps them: every STATS_INTERVAL_MS it samples
 * each queue's counts and counters, and rates are the change between the last two samples. So the embedded
 * broker's API lags and smooths exactly as RabbitMQ's does, and clients (camq's markers, its tests) allow for the
 * same 5 s. A queue declared since the last sample is reported live, with rates of 0.
 */
export class QueueStatsSampler {
  private readonly samples = new WeakMap<Queue, Sample>();
  private timer: TimerHandle | undefined;

  constructor(
    private readonly vhosts: () => Iterable<VirtualHost>,
    private readonly clock: Clock,
    private readonly intervalMs = STATS_INTERVAL_MS,
  ) {}

  start(): void {
    this.sample();
    this.timer ??= this.clock.setInterval(() => this.sample(), this.intervalMs).unref();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** The queue's figures as of the last sample (live, rates 0, for a queue not sampled yet). */
  stats(queue: Queue): QueueStats {
    return this.samples.get(queue)?.stats ?? this.read(queue, undefined, this.clock.now());
  }

  private sample(): void {
    const now = this.clock.now();
    for (const vhost of this.vhosts()) {
      for (const queue of vhost.queues.values()) {
        const previous = this.samples.get(queue);
        this.samples.set(queue, { at: now, stats: this.read(queue, previous, now) });
      }
    }
  }

  private read(queue: Queue, previous: Sample | undefined, now: number): QueueStats {
    const ready = queue.messageCount;
    const seconds = previous === undefined ? 0 : (now - previous.at) / 1000;
    const rate = (current: number, before: number | undefined) =>
      seconds > 0 && before !== undefined ? Math.round(((current - before) / seconds) * 10) / 10 : 0;
    const quiet = now - queue.lastActiveAt >= this.intervalMs;
    return {
      ready,
      unacked: queue.unacked,
      consumers: queue.consumerCount,
      publish: queue.publishCount,
      deliverGet: queue.deliverCount,
      publishRate: rate(queue.publishCount, previous?.stats.publish),
      deliverGetRate: rate(queue.deliverCount, previous?.stats.deliverGet),
      readyRate: rate(ready, previous?.stats.ready),
      unackedRate: rate(queue.unacked, previous?.stats.unacked),
      idleSince: quiet ? queue.lastActiveAt : null,
    };
  }
}
