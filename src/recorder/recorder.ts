import { decodeDelivery } from '../events/decode-delivery.js';
import type { Journal } from '../journal/journal.js';
import type { EventEnvelope } from '../protocol/event-message.js';
import { LamportClock } from '../protocol/lamport-clock.js';
import type { Delivery, Transport, TransportChannel } from '../transport/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { SafeEmitter } from '../util/typed-emitter.js';
import { declareRecorderQueue, type RecorderQueueOptions, type RecorderQueueType } from './recorder-queue.js';

export interface RecorderOptions extends RecorderQueueOptions {
  readonly connection: Transport;
  readonly journal: Journal;
  readonly clock?: Clock;
  /** Deliveries unacked at once: the batch one flush writes. @defaultValue 2000 */
  readonly prefetch?: number;
  /** How often written events are acked (and the journal flushed). @defaultValue 200 */
  readonly flushIntervalMs?: number;
}

export interface RecorderStats {
  /** Deliveries consumed, events in them, events written (not seen before), deliveries acked. */
  readonly deliveries: number;
  readonly events: number;
  readonly written: number;
  readonly duplicates: number;
  readonly acked: number;
  readonly decodeErrors: number;
}

export interface RecorderEvents {
  /** A delivery that is not a Celery event: acked (it can never be recorded) and reported. */
  'decode-error': [string];
  /** The journal stopped writing (disk full): the recorder stopped consuming; unacked events stay on the broker. */
  'journal-disabled': [string];
  /** Each delivery's events, once appended to the journal (`camq record --metrics` feeds its exporter with them). */
  events: [readonly EventEnvelope[]];
  /** The queue is declared and consumed (after every (re)connect): its name and type. */
  consuming: [string, RecorderQueueType];
  /** An existing queue of the other type was kept (one line). */
  'queue-type-kept': [string];
}

/**
 * `camq record`'s engine: consume the recorder's durable queue on `celeryev` (recorder-queue.ts), write each
 * delivery's events to the journal, and ack a delivery only after a flush has written it (one multiple-ack per
 * flush). Killed at any moment, it loses nothing: what was not acked is delivered again, and what was written but
 * not acked is skipped as a duplicate (the writer's dedup, primed from the journal at start).
 */
export class Recorder extends SafeEmitter<RecorderEvents> {
  private readonly options: RecorderOptions;
  private readonly clock: Clock;
  private readonly lamport = new LamportClock();
  private channel: TransportChannel | undefined;
  private consumerTag: string | undefined;
  private lastUnacked: Delivery | undefined;
  private unacked = 0;
  private timer: TimerHandle | undefined;
  private stopped = false;
  private journalOff = false;
  private counts = { deliveries: 0, events: 0, acked: 0, decodeErrors: 0 };
  private readonly setup = (connection: Transport) => this.consume(connection);

  constructor(options: RecorderOptions) {
    super();
    this.options = options;
    this.clock = options.clock ?? systemClock;
  }

  get stats(): RecorderStats {
    const { appended, duplicates } = this.options.journal.stats;
    return { ...this.counts, written: appended, duplicates };
  }

  /** Declare and consume now if connected, and after every reconnect. */
  async start(): Promise<void> {
    this.timer = this.clock.setInterval(() => this.flush(), this.options.flushIntervalMs ?? 200);
    await this.options.connection.addSetup(this.setup);
  }

  /** Stop consuming, write and ack what was received, close the channel. The journal stays open (the caller's). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.options.connection.removeSetup(this.setup);
    this.timer?.cancel();
    const channel = this.channel;
    if (channel !== undefined && this.consumerTag !== undefined) await channel.cancel(this.consumerTag).catch(() => {});
    this.flush();
    this.channel = undefined;
    await channel?.close().catch(() => {});
  }

  /** Write what was received, then ack it. Returns false when the journal is off (nothing acked). */
  flush(): boolean {
    if (this.lastUnacked === undefined) return true;
    if (!this.options.journal.flush()) {
      this.onJournalDisabled();
      return false;
    }
    const last = this.lastUnacked;
    this.lastUnacked = undefined;
    try {
      this.channel?.ack(last, true);
      this.counts.acked += this.unacked;
    } catch {
      // The channel went with the connection: the broker delivers these again, and the journal skips them.
    }
    this.unacked = 0;
    return true;
  }

  private async consume(connection: Transport): Promise<void> {
    // Deliveries of a previous channel can no longer be acked; they come again.
    this.lastUnacked = undefined;
    this.unacked = 0;
    const first = await connection.openChannel();
    first.on('error', () => {});
    const declared = await declareRecorderQueue(first, this.options, () => connection.openChannel());
    const { channel, queue } = declared;
    if (declared.note !== undefined) this.safeEmit('queue-type-kept', declared.note);
    await channel.prefetch(this.options.prefetch ?? 2000);
    this.channel = channel;
    const { consumerTag } = await channel.consume(queue, (msg) => this.onMessage(channel, msg), { noAck: false });
    this.consumerTag = consumerTag;
    this.safeEmit('consuming', queue, declared.queueType);
  }

  private onMessage(channel: TransportChannel, msg: Delivery | null): void {
    if (msg === null || channel !== this.channel || this.stopped) return;
    this.counts.deliveries++;
    const decoded = decodeDelivery(msg, this.clock.now() / 1000, this.lamport);
    if (!decoded.ok) {
      this.counts.decodeErrors++;
      this.safeEmit('decode-error', decoded.error);
    } else {
      this.counts.events += decoded.events.length;
      this.options.journal.appendEvents(decoded.events);
      this.safeEmit('events', decoded.events);
    }
    this.lastUnacked = msg;
    this.unacked++;
    // Half the prefetch window waiting: write and ack now, so the broker keeps sending.
    if (this.unacked >= (this.options.prefetch ?? 2000) / 2) this.flush();
  }

  private onJournalDisabled(): void {
    if (this.journalOff) return;
    this.journalOff = true;
    const channel = this.channel;
    if (channel !== undefined && this.consumerTag !== undefined) channel.cancel(this.consumerTag).catch(() => {});
    this.safeEmit('journal-disabled', this.options.journal.disabledReason ?? 'the journal is off');
  }
}
