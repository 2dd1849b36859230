/**
 * Celery's broker topology (docs/protocol.md, Topology): the names and declare flags of every exchange and queue camq
 * shares with Python Celery. Declare exactly like this, or RabbitMQ answers 406 PRECONDITION_FAILED.
 */

export interface ExchangeSpec {
  readonly name: string;
  readonly type: 'direct' | 'fanout' | 'topic' | 'headers';
  readonly durable: boolean;
  readonly autoDelete: boolean;
}

/** The default task queue (`task_default_queue`); its exchange is the direct, durable `celery` of the same name. */
export const DEFAULT_QUEUE = 'celery';

/** Remote-control requests: fanout, non-durable. Every worker gets every request and filters by destination. */
export const PIDBOX_EXCHANGE: ExchangeSpec = { name: 'celery.pidbox', type: 'fanout', durable: false, autoDelete: false };
/** Remote-control replies: direct, non-durable; routing key = the client's oid. */
export const REPLY_EXCHANGE: ExchangeSpec = { name: 'reply.celery.pidbox', type: 'direct', durable: false, autoDelete: false };
/** Monitoring events: topic, durable. */
export const EVENT_EXCHANGE: ExchangeSpec = { name: 'celeryev', type: 'topic', durable: true, autoDelete: false };

/** `x-message-ttl` and `x-expires` Celery puts on mailbox queues (control_queue_ttl 300 s, control_queue_expires 10 s). */
export const PIDBOX_QUEUE_ARGUMENTS = { 'x-message-ttl': 300_000, 'x-expires': 10_000 } as const;
/** Event receiver queues: `event_queue_ttl` 5 s, `event_queue_expires` 60 s. */
export const EVENT_QUEUE_ARGUMENTS = { 'x-message-ttl': 5_000, 'x-expires': 60_000 } as const;
/** rpc:// result queues: `result_expires` of one day. */
export const RESULT_QUEUE_ARGUMENTS = { 'x-expires': 86_400_000 } as const;

/** A worker's mailbox queue: `w1@host.celery.pidbox`. */
export function pidboxQueueName(nodename: string, exchange = PIDBOX_EXCHANGE.name): string {
  return `${nodename}.${exchange}`;
}

/** A control client's reply queue: `<oid>.reply.celery.pidbox`. */
export function replyQueueName(oid: string, exchange = REPLY_EXCHANGE.name): string {
  return `${oid}.${exchange}`;
}

/** Event routing key: the type with every `-` replaced by `.` (`worker-heartbeat` → `worker.heartbeat`). */
export function eventRoutingKey(type: string): string {
  return type.replace(/-/g, '.');
}

/** The routing key Python workers use for batched task events (a JSON array body). */
export const TASK_MULTI_ROUTING_KEY = 'task.multi';

/** The `<name>@<host>` node name Celery uses; `%h`, `%n` and `%d` expand like Celery's `-n` option. */
export function expandNodename(template: string, hostname: string): string {
  const short = hostname.split('.')[0] ?? hostname;
  const domain = hostname.includes('.') ? hostname.slice(hostname.indexOf('.') + 1) : '';
  const expanded = template.replace(/%h/g, hostname).replace(/%n/g, short).replace(/%d/g, domain).replace(/%%/g, '%');
  return expanded.includes('@') ? expanded : `${expanded}@${hostname}`;
}
