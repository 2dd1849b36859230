import { EventReceiver } from '../events/event-receiver.js';
import type { ConnectionStatus } from '../events/connection-status.js';
import { describeConnectionPhase } from '../events/connection-status.js';
import { QueueWatcher } from '../queues/queue-watcher.js';
import type { QueueLister } from '../queues/queue-lister.js';
import type { Transport } from '../transport/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { CeleryMetrics, type CeleryMetricsOptions } from './celery-metrics.js';

export interface ExporterOptions extends CeleryMetricsOptions {
  /** The broker connection, created with `reconnect: true` so the exporter outlives a broker restart. */
  readonly connection: Transport;
  /** Queue figures (the management API, or AMQP passive declares without it). */
  readonly lister: Pick<QueueLister, 'list'>;
  /** Between queue listings. @defaultValue 5000 (the brokers' own sampling interval) */
  readonly queueIntervalMs?: number;
  readonly clock?: Clock;
  /**
   * Where the events come from: the exporter's own consumer on `celeryev` ('consume'), or someone else's stream
   * handed in with `apply` ('fed': `camq record --metrics`, whose recorder already consumes every event, so a second
   * queue would double the broker's work). Fed, the connection's own state says whether the broker is up.
   * @defaultValue 'consume'
   */
  readonly events?: 'consume' | 'fed';
}

/** What /health says. */
export interface ExporterHealth {
  readonly ok: boolean;
  readonly reason: string;
}

/**
 * `camq exporter`'s engine: Celery's events (EventReceiver) and the queue figures (QueueWatcher) into CeleryMetrics.
 * Before each scrape it times out silent workers and reads the latest listing; while the broker is away a scrape
 * answers the last figures with `camq_broker_up 0`.
 */
export class Exporter {
  readonly metrics: CeleryMetrics;
  readonly receiver: EventReceiver;
  readonly watcher: QueueWatcher;
  private readonly clock: Clock;
  private lastListing: unknown = null;
  /** Task events decoded, and deliveries that could not be read. */
  events = 0;
  decodeErrors = 0;

  private connectError: string | undefined;
  private retry: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly options: ExporterOptions) {
    this.clock = options.clock ?? systemClock;
    this.metrics = new CeleryMetrics(options);
    this.receiver = new EventReceiver({ connection: options.connection, clock: this.clock });
    this.watcher = new QueueWatcher(options.lister, {
      clock: this.clock,
      ...(options.queueIntervalMs ? { intervalMs: options.queueIntervalMs } : {}),
    });
    this.receiver.on('events', (events) => this.apply(events));
    this.receiver.on('decode-error', () => this.decodeErrors++);
  }

  get contentType(): string {
    return this.metrics.registry.contentType;
  }

  get status(): ConnectionStatus {
    return this.receiver.status;
  }

  /** Start receiving events (unless fed) and listing queues (then `connection.connect()`, before or after). */
  async start(): Promise<void> {
    if (!this.fed) await this.receiver.start();
    this.watcher.start();
  }

  /** Events from a stream the caller consumes (`events: 'fed'`): counted as the exporter's own would be. */
  apply(events: Parameters<CeleryMetrics['applyAll']>[0]): void {
    this.events += events.length;
    this.metrics.applyAll(events, this.clock.now());
  }

  private get fed(): boolean {
    return this.options.events === 'fed';
  }

  private get brokerUp(): boolean {
    return this.fed ? this.options.connection.isOpen : this.receiver.status.phase === 'connected';
  }

  /**
   * Connect, and keep trying every `retryMs` while the broker is not there yet (celery-exporter's --retry-interval):
   * an exporter started before its broker serves `camq_broker_up 0` and a 503 /health saying why, then catches up.
   * Later losses are the reconnecting transport's.
   */
  connect(retryMs = 5000): void {
    if (this.stopped) return;
    this.options.connection.connect().then(
      () => (this.connectError = undefined),
      (err: unknown) => {
        this.connectError = err instanceof Error ? err.message : String(err);
        if (!this.stopped) this.retry = this.clock.setTimeout(() => this.connect(retryMs), retryMs);
      },
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.retry?.cancel();
    this.watcher.stop();
    if (!this.fed) await this.receiver.stop();
  }

  /** The exposition text, brought up to date: silent workers timed out, the latest queue listing, broker up or not. */
  async render(): Promise<string> {
    this.refresh();
    return this.metrics.registry.metrics();
  }

  /** 200 while the event consumer's connection is up; otherwise why not (the broker, the phase, the reason). */
  health(): ExporterHealth {
    if (this.fed) {
      const { connection } = this.options;
      return connection.isOpen
        ? { ok: true, reason: `connected to the broker ${connection.masked}` }
        : { ok: false, reason: `not connected to the broker ${connection.masked}: reconnecting` };
    }
    const status = this.receiver.status;
    if (status.phase === 'connected') return { ok: true, reason: `connected to the broker ${status.broker}` };
    const error = status.error ?? this.connectError;
    const why = error ? `: ${error}` : '';
    return { ok: false, reason: `not connected to the broker ${status.broker}: ${describeConnectionPhase(status)}${why}` };
  }

  private refresh(): void {
    this.metrics.sweep(this.clock.now());
    this.metrics.setBrokerUp(this.brokerUp);
    const { listing } = this.watcher.getSnapshot();
    if (listing !== null && listing !== this.lastListing) {
      this.lastListing = listing;
      this.metrics.applyQueues(listing);
    }
  }
}
