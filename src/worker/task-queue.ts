import type { Channel } from '../amqp/index.js';

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
export async function declareTaskQueue(channel: Channel, queue: TaskQueue): Promise<void> {
  if (queue.exchange !== '') await channel.assertExchange(queue.exchange, queue.exchangeType, { durable: true, autoDelete: false });
  await channel.assertQueue(queue.name, { durable: true, autoDelete: false });
  if (queue.exchange !== '') await channel.bindQueue(queue.name, queue.exchange, queue.routingKey);
}
