/**
 * The task tap: every Celery task message published in a vhost, as the caller published it, from RabbitMQ's firehose
 * (docs/tap.md). It consumes a queue bound to `amq.rabbitmq.trace` with `publish.#` and hands each task message to
 * `onTask` as a TappedTaskBody; other publishes (events, results, control) are counted and dropped. The firehose
 * must be on for the vhost (`rabbitmqctl trace_on -p VHOST`; the embedded broker's `trace` option): without it the
 * queue stays empty.
 *
 * The queue is by default a server-named exclusive one that goes with the connection; a recorder that must not miss
 * tasks while it is down names a durable one (bounded by `arguments` such as x-max-length) and deletes it itself.
 * The tap is one of its connection's setup hooks: after a reconnect it declares, binds and consumes again.
 */
import { decodeTappedTask, TRACE_EXCHANGE, TRACE_PUBLISH_BINDING, type TappedTaskBody } from '../protocol/trace-message.js';
import type { Delivery, QueueOptions, Transport, TransportChannel } from '../transport/index.js';

export interface TaskTapOptions {
  readonly connection: Transport;
  readonly onTask: (task: TappedTaskBody) => void | Promise<void>;
  /** @defaultValue '' (a server-named, exclusive queue) */
  readonly queue?: string;
  /** @defaultValue exclusive, auto-delete */
  readonly queueOptions?: QueueOptions;
  /** Unacked trace messages at a time. @defaultValue 500 */
  readonly prefetch?: number;
}

export class TaskTap {
  /** Trace messages that were not task messages (events, results, control), dropped. */
  skipped = 0;
  /** Task messages handed to onTask. */
  tapped = 0;
  private readonly options: TaskTapOptions;
  private channel: TransportChannel | undefined;
  private queueName: string | undefined;
  private stopped = false;
  private readonly setup = (connection: Transport) => this.consume(connection);

  constructor(options: TaskTapOptions) {
    this.options = options;
  }

  /** The queue it consumes (known once started). */
  get queue(): string | undefined {
    return this.queueName;
  }

  /**
   * Declare and bind the tap's queue and start consuming, now if connected and again after every reconnect (the
   * connection's setup hooks, as the recorder's own consumer); resolves once the broker has the consumer.
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.options.connection.whenOpen();
    await this.options.connection.addSetup(this.setup);
  }

  /** Stop consuming and close the channel (an exclusive queue goes with it; a named durable one stays). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.options.connection.removeSetup(this.setup);
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close().catch(() => {});
  }

  private async consume(connection: Transport): Promise<void> {
    if (this.stopped) return;
    const channel = await connection.openChannel();
    channel.on('error', () => {});
    this.channel = channel;
    const { queue } = await channel.assertQueue(this.options.queue ?? '', this.options.queueOptions ?? { exclusive: true, autoDelete: true });
    this.queueName = queue;
    await channel.bindQueue(queue, TRACE_EXCHANGE, TRACE_PUBLISH_BINDING);
    await channel.prefetch(this.options.prefetch ?? 500);
    await channel.consume(queue, (message) => {
      if (message !== null) void this.handle(channel, message);
    });
  }

  private async handle(channel: TransportChannel, message: Delivery): Promise<void> {
    const decoded = decodeTappedTask(message);
    try {
      if (decoded.ok) {
        this.tapped++;
        await this.options.onTask(decoded.task);
      } else {
        this.skipped++;
      }
    } finally {
      // Acked after onTask: a recorder that writes in onTask loses nothing it was handed when it crashes.
      try {
        channel.ack(message);
      } catch {
        // The channel went with a lost connection: the broker delivers it again (the journal keeps one body per task).
      }
    }
  }
}
