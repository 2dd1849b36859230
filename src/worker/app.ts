import { hostname } from 'node:os';
import { defineScheduleEntry, type PeriodicSpec, type ScheduleEntry } from '../beat/schedule-entry.js';
import { asCamqError, UsageError } from '../errors/index.js';
import { buildTaskMessage, DEFAULT_QUEUE, type TaskSendOptions } from '../protocol/index.js';
import type { OutgoingMessage } from '../protocol/amqp-message.js';
import {
  createResultBackend,
  ConfirmedPublish,
  createTransport,
  publishMessage,
  resolveBrokerUrl,
  type BrokerUrl,
  type ResultBackend,
  type Transport,
  type TransportChannel,
} from '../transport/index.js';
import { AsyncResult } from './async-result.js';
import type { ControlCommandHandler, ControlCommandOptions } from './control-panel.js';
import { ResultConsumer } from './result-consumer.js';
import { prepareTaskQueue, taskQueue, type QueueType } from './task-queue.js';
import { Task, type TaskSender } from './task.js';
import { TaskDefinition, TaskRegistry, type TaskContext, type TaskOptions } from './task-registry.js';

export interface AppOptions {
  /**
   * Broker URL for sending tasks from Node, as text or parsed (parseBrokerUrl).
   * @defaultValue $CAMQ_BROKER_URL, else $CELERY_BROKER_URL, else DEFAULT_BROKER_URL (amqp://guest:guest@localhost:5672//)
   */
  readonly broker?: string | BrokerUrl;
  /** @defaultValue 'celery' */
  readonly defaultQueue?: string;
  /** Where results are read from (Celery's result_backend): `rpc://` (the default) or `redis://host:port/db`. */
  readonly resultBackend?: string;
  /**
   * Publisher confirms (Celery's `confirm_publish` broker transport option): `send` resolves once the broker
   * confirmed the message — in its queue, on a quorum queue on a majority of the members — and rejects when it did
   * not take it (`broker.nacked`, the connection lost first, or `publish.unroutable`: messages go out mandatory, so
   * one no queue took is an error instead of a silent drop). @defaultValue false
   */
  readonly confirm?: boolean;
  /** Told each task message once published (`camq call` records its body in the journal at the source). */
  readonly onSent?: (message: OutgoingMessage & { readonly id: string; readonly name: string }) => void;
}

type Rest<T extends unknown[]> = T extends [unknown, ...infer R] ? R : T;
type HandlerArgs<H, O> = H extends (...args: infer P) => unknown ? (O extends { bind: true } ? Rest<P> : P) : never;
type HandlerResult<H> = H extends (...args: never[]) => infer R ? Awaited<R> : unknown;

/** A custom remote-control command registered by a task module (Celery's `@control_command`). */
export interface CustomCommand {
  readonly name: string;
  readonly handler: ControlCommandHandler;
  readonly options: ControlCommandOptions;
}

/**
 * A camq app: the task registry a worker runs and the sender Node code uses to call tasks. A task module
 * receives one and registers its handlers:
 *
 *     export default (app) => {
 *       app.task('tasks.add', (x, y) => x + y, { params: ['x', 'y'] });
 *     };
 *
 * and Node code sends work with the returned task objects (`await (await add.delay(2, 2)).get()`).
 */
export class CamqApp implements TaskSender {
  readonly registry = new TaskRegistry();
  readonly commands: CustomCommand[] = [];
  /** Queue types the task module declared (`app.queue`): what the worker and `send` declare them as. */
  readonly queueTypes = new Map<string, QueueType>();
  readonly defaultQueue: string;
  private readonly brokerUrl: string | BrokerUrl | undefined;
  private connection: Transport | undefined;
  private ownsConnection = false;
  private channel: TransportChannel | undefined;
  /** With `confirm`: the publish channel's confirm tracking. */
  private confirmed: ConfirmedPublish | undefined;
  private readonly confirm: boolean;
  private ready: Promise<void> | undefined;
  private readonly declared = new Set<string>();
  private results: ResultConsumer | undefined;
  private setupHook: (() => Promise<void>) | undefined;
  private readonly resultBackend: ResultBackend | undefined;
  /** The node name used as `origin` on sent messages. */
  origin = `gen${process.pid}@${hostname()}`;
  /** The periodic entries `camq beat` (or `camq worker -B`) sends, in the order the module gave them. */
  readonly schedules: ScheduleEntry[] = [];
  /**
   * Celery's `timezone` and `enable_utc` for the schedule: crontabs are read in `timezone` when set, else in UTC, else
   * (enableUtc false) in the system's zone. A task module sets them: `app.conf.timezone = 'Europe/Berlin'`.
   */
  readonly conf: { timezone: string | undefined; enableUtc: boolean } = { timezone: undefined, enableUtc: true };

  constructor(options: AppOptions = {}) {
    this.brokerUrl = options.broker;
    this.defaultQueue = options.defaultQueue ?? DEFAULT_QUEUE;
    this.resultBackend = createResultBackend(options.resultBackend ?? 'rpc://');
    this.confirm = options.confirm ?? false;
    this.onSent = options.onSent;
  }

  private readonly onSent: AppOptions['onSent'];

  /** Register a handler under a Celery task name. */
  // Handlers take what Celery's callers send; their own parameter types are theirs to declare.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  task<H extends (this: TaskContext, ...args: any[]) => unknown, O extends TaskOptions = TaskOptions>(
    name: string,
    handler: H,
    options?: O,
  ): Task<HandlerArgs<H, O>, HandlerResult<H>> {
    const definition = this.registry.register(new TaskDefinition(name, handler, options ?? {}));
    return new Task(definition, this);
  }

  /** The Task object of a registered name (or of a task another worker runs: `app.signatureOf('tasks.add')`). */
  taskOf<A extends unknown[] = unknown[], R = unknown>(name: string): Task<A, R> {
    return new Task<A, R>(this.registry.get(name) ?? new TaskDefinition(name, () => undefined), this);
  }

  /**
   * Register a remote-control command (Celery's `Panel.register` / `@control_command`): the handler gets the
   * worker's state and the request arguments, and its return value is the reply.
   */
  controlCommand(name: string, handler: ControlCommandHandler, options: ControlCommandOptions = {}): void {
    this.commands.push({ name, handler, options });
  }

  /**
   * A periodic entry (Celery's beat_schedule item), sent by `camq beat` or `camq worker -B`:
   *
   *     app.schedule('add-every-30s', { task: 'tasks.add', every: '30s', args: [2, 2] });
   *     app.schedule('nightly', { task: 'tasks.report', crontab: { minute: 0, hour: 4, dayOfWeek: 'mon-fri' } });
   *
   * A bad field throws at once, naming the entry and the field.
   */
  schedule(name: string, spec: PeriodicSpec): ScheduleEntry {
    const entry = defineScheduleEntry(name, spec);
    if (this.schedules.some((e) => e.name === name))
      throw new UsageError(`schedule '${name}' is defined twice; give each entry its own name`, 'usage.bad-schedule');
    this.schedules.push(entry);
    return entry;
  }

  /**
   * Declare a queue's type, as Celery's `task_queues` with `x-queue-type` does: the worker consuming it and `send`
   * publishing to it declare it so (`app.queue('jobs', { type: 'quorum' })`). Python clients must say the same.
   */
  queue(name: string, options: { readonly type: QueueType }): void {
    this.queueTypes.set(name, options.type);
  }

  /** Send with an existing connection (a worker shares its own) instead of opening one. */
  useConnection(connection: Transport): void {
    this.connection = connection;
    this.ownsConnection = false;
  }

  async send(options: TaskSendOptions): Promise<AsyncResult> {
    await this.open();
    const results = this.results!;
    const queue = options.queue ?? this.defaultQueue;
    const message = buildTaskMessage({ ...options, queue, replyTo: results.oid, origin: this.origin });
    if (!options.exchange && !this.declared.has(queue)) {
      // Like kombu: declare the queue (and its direct exchange and binding) once per connection before publishing;
      // on a channel of its own, so a queue that exists with other arguments is used as it is.
      const connection = this.connection!;
      await connection.whenOpen();
      await prepareTaskQueue(() => connection.openChannel(), taskQueue(queue, queue, 'direct', queue, this.queueTypes.get(queue)));
      this.declared.add(queue);
    }
    const channel = await this.publishChannel();
    if (this.confirmed) await this.confirmed.publish(message);
    else await publishMessage(channel, message);
    this.onSent?.({ ...message, name: options.name });
    return new AsyncResult(message.id, results);
  }

  /** Close this app's channel, and the connection when the app opened it (a shared one stays open). */
  async close(): Promise<void> {
    if (this.setupHook !== undefined) this.connection?.removeSetup(this.setupHook);
    this.setupHook = undefined;
    // The publish channel first, on a shared connection too: its close follows the messages sent on it, so the broker
    // has them all before the connection's close (which would otherwise overtake publishes still in the client's buffer).
    await this.channel?.close().catch(() => {});
    if (this.ownsConnection) await this.connection?.close();
    await this.resultBackend?.close();
    this.channel = undefined;
    this.ready = undefined;
  }

  private open(): Promise<void> {
    this.ready ??= (async () => {
      if (!this.connection) {
        // Like Celery's app, the environment is the fallback when no URL was given.
        const url = typeof this.brokerUrl === 'object' ? this.brokerUrl : resolveBrokerUrl(this.brokerUrl, process.env);
        const connection = createTransport(url, { reconnect: true, connectionName: `camq client ${this.origin}` });
        this.connection = connection;
        this.ownsConnection = true;
        await connection.connect();
      }
      const connection = this.connection;
      await this.resultBackend?.connect();
      this.results = new ResultConsumer(undefined, this.resultBackend);
      const setup = async () => {
        const channel = await connection.openChannel(this.confirm ? { confirm: true } : {});
        this.confirmed = this.confirm ? new ConfirmedPublish(channel) : undefined;
        this.channel = channel;
        this.declared.clear();
        await this.results!.attach(this.channel);
      };
      this.setupHook = setup;
      try {
        await connection.addSetup(setup);
      } catch (err) {
        // A refused declare: say what the broker said, and let the next call try again.
        connection.removeSetup(setup);
        this.ready = undefined;
        throw asCamqError(err);
      }
    })();
    return this.ready;
  }

  private async publishChannel(): Promise<TransportChannel> {
    if (this.channel) return this.channel;
    await this.connection!.whenOpen();
    return this.channel!;
  }
}

/** A task module's shape: a default export (or `register`) that receives the app. */
export type TaskModule = (app: CamqApp) => void | Promise<void>;
