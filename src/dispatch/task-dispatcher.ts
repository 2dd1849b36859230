/**
 * Sending tasks on a user's behalf: `camq call` and retries of failed tasks. Both are actions (src/audit): refused
 * when read-only, recorded with the id of the task sent. Calls go through a CamqApp on the given connection (the
 * queue declared as kombu does, results over rpc:// to this connection's reply queue, or from the Redis result backend); a tapped retry is the original
 * message re-published on a confirm channel, a repr retry a call with the original name, arguments and queue.
 */
import { DEFAULT_ACTION_POLICY, type ActionPolicy } from '../audit/action-policy.js';
import type { TaskSendOptions } from '../protocol/task-message.js';
import { publishMessage, type Transport, type TransportChannel } from '../transport/index.js';
import { CamqApp } from '../worker/app.js';
import type { AsyncResult } from '../worker/async-result.js';
import type { GroupRetryPlan, RetryPlan } from './retry-plan.js';
import type { OutgoingMessage } from '../protocol/amqp-message.js';
import type { TaskBodyRecord } from '../journal/journal-records.js';
import { taskBodyRecord } from '../journal/task-body-conversion.js';

export interface TaskDispatcherOptions {
  /** An open connection; the dispatcher opens its channels on it and leaves it open on close. */
  readonly connection: Transport;
  /** @defaultValue allowed, not recorded */
  readonly actions?: ActionPolicy;
  /** The queue of a call that names none. @defaultValue 'celery' */
  readonly defaultQueue?: string;
  /**
   * Where the bodies it sends are recorded at the source (a journal's appendTaskBody): calls and retries then have
   * their exact arguments in the journal without a tap. @defaultValue not recorded
   */
  readonly recordBody?: (body: TaskBodyRecord) => void;
  /** Where a call's result is read from (Celery's result_backend): `rpc://` or `redis://host:port/db`. @defaultValue rpc:// */
  readonly resultBackend?: string;
}

/** What a retry sent. */
export interface RetrySent {
  readonly retryOf: string;
  readonly id: string;
  readonly name: string;
}

export class TaskDispatcher {
  private readonly connection: Transport;
  private readonly actions: ActionPolicy;
  private readonly app: CamqApp;
  private readonly recordBody: TaskDispatcherOptions['recordBody'];
  private confirmChannel: Promise<TransportChannel> | undefined;

  constructor(options: TaskDispatcherOptions) {
    this.connection = options.connection;
    this.actions = options.actions ?? DEFAULT_ACTION_POLICY;
    this.recordBody = options.recordBody;
    this.app = new CamqApp({
      ...(options.defaultQueue === undefined ? {} : { defaultQueue: options.defaultQueue }),
      ...(options.resultBackend === undefined ? {} : { resultBackend: options.resultBackend }),
      onSent: (message) => this.record(message.id, message.name, message),
    });
    this.app.useConnection(options.connection);
  }

  /** Send a task like `apply_async`; the AsyncResult waits for its result (rpc://, or the result backend given). */
  async call(options: TaskSendOptions): Promise<AsyncResult> {
    const { name, args = [], kwargs = {}, ...rest } = options;
    const sent = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined && typeof v !== 'function'));
    return this.actions.run(
      { what: 'task.call', target: name, args: { args, kwargs, ...sent } },
      () => this.app.send(options),
      (result) => ({ ok: true, result: { id: result.id } }),
    );
  }

  /** Send one planned retry (planRetry). */
  async retry(plan: RetryPlan): Promise<RetrySent> {
    const args = plan.kind === 'repr' ? { args: plan.args, kwargs: plan.kwargs, queue: plan.queue, from: 'repr' } : { from: 'tapped' };
    return this.actions.run(
      { what: 'task.retry', target: plan.retryOf, args: { name: plan.name, newId: plan.newId, ...args } },
      () => this.send(plan),
      (sent) => ({ ok: true, result: { id: sent.id } }),
    );
  }

  /** Apply a group retry's plan (planGroupRetry), one task after another; stops at the first failure. */
  async retryGroup(group: GroupRetryPlan): Promise<RetrySent[]> {
    this.actions.check('task.retry');
    const sent: RetrySent[] = [];
    for (const plan of group.plans) sent.push(await this.retry(plan));
    return sent;
  }

  async close(): Promise<void> {
    const channel = await this.confirmChannel?.catch(() => undefined);
    await channel?.close().catch(() => {});
    await this.app.close();
  }

  /** Hand a sent message's body to `recordBody`, as the journal keeps tapped ones (docs/retry.md). */
  private record(taskId: string, name: string, message: OutgoingMessage): void {
    if (this.recordBody === undefined) return;
    const { headers = {}, ...properties } = message.properties;
    this.recordBody(
      taskBodyRecord({
        taskId,
        name,
        protocol: 2,
        contentType: message.properties.contentType ?? 'application/json',
        contentEncoding: message.properties.contentEncoding ?? null,
        body: message.content,
        headers,
        properties,
        exchange: message.exchange,
        routingKey: message.routingKey,
      }),
    );
  }

  private async send(plan: RetryPlan): Promise<RetrySent> {
    if (plan.kind === 'repr') {
      const result = await this.app.send({
        name: plan.name,
        id: plan.newId,
        args: plan.args,
        kwargs: plan.kwargs,
        queue: plan.queue,
        ...(plan.exchange === undefined ? {} : { exchange: plan.exchange }),
        ...(plan.routingKey === undefined ? {} : { routingKey: plan.routingKey }),
        headers: plan.headers,
      });
      return { retryOf: plan.retryOf, id: result.id, name: plan.name };
    }
    this.confirmChannel ??= this.connection.whenOpen().then(() => this.connection.openChannel({ confirm: true }));
    const channel = await this.confirmChannel;
    await publishMessage(channel, plan.message);
    await channel.waitForConfirms();
    this.record(plan.newId, plan.name, plan.message);
    return { retryOf: plan.retryOf, id: plan.newId, name: plan.name };
  }
}
