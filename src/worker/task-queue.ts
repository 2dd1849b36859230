import { asCamqError, BrokerError, inequivalentArg, ReplyCode } from '../errors/index.js';
import type { TransportChannel } from '../transport/index.js';

/** RabbitMQ's queue types (`x-queue-type`); a queue declared without one is classic. */
export const QUEUE_TYPES = ['classic', 'quorum', 'stream'] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];

/** A task queue with its direct exchange and binding, as Celery's `task_create_missing_queues` makes them. */
export interface TaskQueue {
  readonly name: string;
  readonly exchange: string;
  readonly exchangeType: string;
  readonly routingKey: string;
  /** The type asked for (`-Q name:quorum`, a task module's queue): declared with `x-queue-type`. Unset: as Celery 5.2. */
  readonly type?: QueueType | undefined;
}

export function taskQueue(name: string, exchange = name, exchangeType = 'direct', routingKey = name, type?: QueueType): TaskQueue {
  return type === undefined ? { name, exchange, exchangeType, routingKey } : { name, exchange, exchangeType, routingKey, type };
}

/**
 * A queue as `-Q` names it: `name` or `name:quorum` / `name:classic` (Celery 5.5's `task_default_queue_type`, per
 * queue). Only those suffixes are read, so a queue whose name holds another colon keeps its whole name.
 */
export function parseQueueSpec(spec: string): { name: string; type?: QueueType } {
  const m = /^(.+):(classic|quorum)$/.exec(spec);
  return m ? { name: m[1]!, type: m[2] as QueueType } : { name: spec };
}

/** The declare arguments for a queue of this type: none for an unset type, so a Celery 5.2 declare still matches. */
export function queueTypeArguments(type: QueueType | undefined): Record<string, unknown> | undefined {
  return type === undefined ? undefined : { 'x-queue-type': type };
}

/** Declare the queue (durable), its exchange and the binding, like kombu before it publishes or consumes. */
export async function declareTaskQueue(channel: TransportChannel, queue: TaskQueue): Promise<void> {
  if (queue.exchange !== '') await channel.assertExchange(queue.exchange, queue.exchangeType, { durable: true, autoDelete: false });
  const args = queueTypeArguments(queue.type);
  await channel.assertQueue(queue.name, args ? { durable: true, autoDelete: false, arguments: args } : { durable: true, autoDelete: false });
  if (queue.exchange !== '') await channel.bindQueue(queue.name, queue.exchange, queue.routingKey);
}

/**
 * The type RabbitMQ names in its refusal of a declare with another `x-queue-type` ("inequivalent arg 'x-queue-type'
 * for queue 'q' in vhost 'v': received none but current is the value 'quorum' of type 'longstr'"), or undefined when
 * the refusal is about another argument.
 */
export function queueTypeFromRefusal(replyText: string): QueueType | undefined {
  const refused = inequivalentArg(replyText);
  if (refused?.arg !== 'x-queue-type') return undefined;
  if (refused.current === undefined) return 'classic';
  return (QUEUE_TYPES as readonly string[]).includes(refused.current) ? (refused.current as QueueType) : undefined;
}

/**
 * Declare a task queue as Celery does by default, on a channel of its own (a refused declare closes its channel).
 * When the queue exists with other arguments (a priority queue, a dead-letter setting, a queue another client
 * declared), use it as it is, with a warning: a consumer needs only its name, and Celery would refuse to start.
 */
export async function prepareTaskQueue(
  openChannel: () => Promise<TransportChannel>,
  queue: TaskQueue,
  onAdopt: (warning: string) => void = () => {},
): Promise<QueueType | undefined> {
  const channel = await openChannel();
  let found: QueueType | undefined;
  try {
    await declareTaskQueue(channel, queue);
    await channel.close();
    // A declare without a type succeeds only on a classic queue (RabbitMQ refuses it for a quorum queue).
    return queue.type ?? 'classic';
  } catch (err) {
    const error = asCamqError(err);
    const isQueueMismatch =
      error instanceof BrokerError && error.replyCode === ReplyCode.PRECONDITION_FAILED && error.replyText.includes(`for queue '${queue.name}'`);
    if (!isQueueMismatch) {
      // A refusal closed the channel already; after anything else (a lost connection) it may still be open.
      await channel.close().catch(() => {});
      throw error;
    }
    found = queueTypeFromRefusal(error.replyText);
    onAdopt(
      `queue ${queue.name} exists with other settings than camq declares (${error.replyText.replace(/^PRECONDITION_FAILED - /, '')}); using it as it is`,
    );
  }
  const adopt = await openChannel();
  await adopt.checkQueue(queue.name);
  if (queue.exchange !== '') await adopt.bindQueue(queue.name, queue.exchange, queue.routingKey);
  await adopt.close();
  return found;
}

/**
 * Delete a task queue with whatever it still holds, and its exchange: what `prepareTaskQueue` made, taken back by
 * whoever owns the queue (the demo, when it stops). A queue or exchange that is gone already is not an error.
 */
export async function removeTaskQueue(openChannel: () => Promise<TransportChannel>, queue: TaskQueue): Promise<void> {
  const channel = await openChannel();
  try {
    await channel.deleteQueue(queue.name);
    if (queue.exchange !== '') await channel.deleteExchange(queue.exchange);
    await channel.close();
  } catch (err) {
    await channel.close().catch(() => {});
    throw asCamqError(err);
  }
}
