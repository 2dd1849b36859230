import { asCamqError, BrokerError, ReplyCode } from '../errors/index.js';
import type { TransportChannel } from '../transport/index.js';

/** A task queue with its direct exchange and binding, as Celery's `task_create_missing_queues` makes them. */
export interface TaskQueue {
  readonly name: string;
  readonly exchange: string;
  readonly exchangeType: string;
  readonly routingKey: string;
}

export function taskQueue(name: string, exchange = name, exchangeType = 'direct', routingKey = name): TaskQueue {
  return { name, exchange, exchangeType, routingKey };
}

/** Declare the queue (durable), its exchange and the binding, like kombu before it publishes or consumes. */
export async function declareTaskQueue(channel: TransportChannel, queue: TaskQueue): Promise<void> {
  if (queue.exchange !== '') await channel.assertExchange(queue.exchange, queue.exchangeType, { durable: true, autoDelete: false });
  await channel.assertQueue(queue.name, { durable: true, autoDelete: false });
  if (queue.exchange !== '') await channel.bindQueue(queue.name, queue.exchange, queue.routingKey);
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
): Promise<void> {
  const channel = await openChannel();
  try {
    await declareTaskQueue(channel, queue);
    await channel.close();
    return;
  } catch (err) {
    const error = asCamqError(err);
    const isQueueMismatch =
      error instanceof BrokerError && error.replyCode === ReplyCode.PRECONDITION_FAILED && error.replyText.includes(`for queue '${queue.name}'`);
    if (!isQueueMismatch) {
      // A refusal closed the channel already; after anything else (a lost connection) it may still be open.
      await channel.close().catch(() => {});
      throw error;
    }
    onAdopt(
      `queue ${queue.name} exists with other settings than camq declares (${error.replyText.replace(/^PRECONDITION_FAILED - /, '')}); using it as it is`,
    );
  }
  const adopt = await openChannel();
  await adopt.checkQueue(queue.name);
  if (queue.exchange !== '') await adopt.bindQueue(queue.name, queue.exchange, queue.routingKey);
  await adopt.close();
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
