/**
 * An in-memory stand-in for a BrokerConnection and its channels, for unit tests of the worker engine: it records
 * what the worker publishes, acks, rejects and asks for (QoS), and lets a test deliver messages to its consumers.
 * It implements only the calls the worker makes; anything else throws.
 *
 * Acks and rejects follow RabbitMQ's rules (rabbit_channel:collect_acks): `ack(tag, multiple=true)` settles every
 * unacked tag up to `tag`, open ones included, and acking or rejecting a tag that is not unacked (twice, or never
 * delivered) is a channel error, `406 PRECONDITION_FAILED - unknown delivery tag N`, recorded in `errors` (the
 * channel is closed and settles nothing more), so a test sees what would kill a real channel.
 */
import type { Channel, ConsumeMessage } from '../../src/amqp/index.js';
import type { OutgoingMessage } from '../../src/protocol/index.js';
import type { WorkerConnection } from '../../src/worker/index.js';

export interface Published extends OutgoingMessage {
  readonly body: unknown;
}

export class FakeChannel {
  readonly published: Published[] = [];
  /** Every tag settled by an ack, in the order the broker settled them (a multiple ack expands to its tags). */
  readonly acked: number[] = [];
  /** The basic.ack frames as sent. */
  readonly ackFrames: { tag: number; multiple: boolean }[] = [];
  readonly rejected: { tag: number; requeue: boolean }[] = [];
  /** Channel errors the broker would have raised. */
  readonly errors: string[] = [];
  /** Delivered and not yet acked or rejected. */
  readonly unacked = new Set<number>();
  readonly prefetches: { count: number; global: boolean }[] = [];
  readonly consumers = new Map<string, { queue: string; onMessage: (msg: ConsumeMessage | null) => void; noAck: boolean }>();
  readonly declared: string[] = [];
  private nextTag = 1;
  closed = false;

  publish(exchange: string, routingKey: string, content: Buffer, properties: OutgoingMessage['properties']): boolean {
    let body: unknown;
    try {
      body = JSON.parse(content.toString('utf8'));
    } catch {
      body = content.toString('utf8');
    }
    // Record the headers as a broker would hand them to a consumer: amqplib's `{'!': type, value}` tags are wire
    // encodings, not values.
    const headers = properties.headers ? (untag(properties.headers) as typeof properties.headers) : undefined;
    this.published.push({ exchange, routingKey, content, properties: headers ? { ...properties, headers } : properties, body });
    return true;
  }
  ack(msg: ConsumeMessage, multiple = false): void {
    const tag = msg.fields.deliveryTag;
    this.ackFrames.push({ tag, multiple });
    if (!this.settleable(tag)) return;
    const tags = multiple ? [...this.unacked].filter((t) => t <= tag).sort((a, b) => a - b) : [tag];
    for (const t of tags) {
      this.unacked.delete(t);
      this.acked.push(t);
    }
  }
  reject(msg: ConsumeMessage, requeue = true): void {
    const tag = msg.fields.deliveryTag;
    if (!this.settleable(tag)) return;
    this.unacked.delete(tag);
    this.rejected.push({ tag, requeue });
  }
  private settleable(tag: number): boolean {
    if (this.closed) return false;
    if (this.unacked.has(tag)) return true;
    this.errors.push(`406 PRECONDITION_FAILED - unknown delivery tag ${tag}`);
    this.closed = true;
    return false;
  }
  async prefetch(count: number, global = false): Promise<void> {
    this.prefetches.push({ count, global });
  }
  async assertExchange(name: string): Promise<{ exchange: string }> {
    this.declared.push(`exchange:${name}`);
    return { exchange: name };
  }
  /** Every exchange exists here (the Publisher checks one before its first publish to it). */
  async checkExchange(name: string): Promise<{ exchange: string }> {
    return { exchange: name };
  }
  async assertQueue(name: string): Promise<{ queue: string; messageCount: number; consumerCount: number }> {
    this.declared.push(`queue:${name}`);
    return { queue: name, messageCount: 0, consumerCount: 0 };
  }
  async bindQueue(queue: string, exchange: string, key: string): Promise<void> {
    this.declared.push(`bind:${exchange}->${queue}:${key}`);
  }
  async consume(queue: string, onMessage: (msg: ConsumeMessage | null) => void, options: { noAck?: boolean } = {}): Promise<{ consumerTag: string }> {
    const tag = `ctag-${queue}-${this.consumers.size}`;
    this.consumers.set(tag, { queue, onMessage, noAck: options.noAck ?? false });
    return { consumerTag: tag };
  }
  async cancel(tag: string): Promise<void> {
    this.consumers.delete(tag);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  on(): this {
    return this;
  }

  /** Deliver a message to the consumer of `queue`; returns its delivery tag. */
  deliver(
    queue: string,
    message: Pick<OutgoingMessage, 'content' | 'properties'> & { exchange?: string; routingKey?: string; redelivered?: boolean },
  ): number {
    const consumer = [...this.consumers.values()].find((c) => c.queue === queue);
    if (!consumer) throw new Error(`nobody consumes ${queue}`);
    const deliveryTag = this.nextTag++;
    if (!consumer.noAck) this.unacked.add(deliveryTag);
    consumer.onMessage({
      content: message.content,
      properties: { headers: {}, ...message.properties } as ConsumeMessage['properties'],
      fields: {
        exchange: message.exchange ?? '',
        routingKey: message.routingKey ?? queue,
        redelivered: message.redelivered ?? false,
        deliveryTag,
        consumerTag: 'x',
      },
    });
    return deliveryTag;
  }

  /** Published messages whose routing key or exchange matches. */
  to(target: { exchange?: string; routingKey?: string }): Published[] {
    return this.published.filter(
      (p) =>
        (target.exchange === undefined || p.exchange === target.exchange) && (target.routingKey === undefined || p.routingKey === target.routingKey),
    );
  }
}

export class FakeConnection implements WorkerConnection {
  readonly masked = 'amqp://guest:**@fake:5672//';
  readonly url = { hostname: 'fake', port: 5672, username: 'guest', vhost: '/', protocol: 'amqp' };
  readonly channels: FakeChannel[] = [];
  private hooks: ((c: unknown) => Promise<void> | void)[] = [];
  private listeners = new Map<string, ((...args: any[]) => void)[]>();
  isOpen = false;

  async connect(): Promise<this> {
    this.isOpen = true;
    return this;
  }
  async addSetup(hook: (c: unknown) => Promise<void> | void): Promise<void> {
    this.hooks.push(hook);
    if (this.isOpen) await hook(this);
  }
  removeSetup(hook: (c: unknown) => Promise<void> | void): void {
    const i = this.hooks.indexOf(hook);
    if (i >= 0) this.hooks.splice(i, 1);
  }
  async createChannel(): Promise<Channel> {
    const channel = new FakeChannel();
    this.channels.push(channel);
    return channel as unknown as Channel;
  }
  async whenOpen(): Promise<void> {}
  async close(): Promise<void> {
    this.isOpen = false;
  }
  on(event: string, listener: (...args: any[]) => void): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  /** Simulate a lost connection followed by a reconnect: new channels, hooks re-run. */
  async bounce(): Promise<void> {
    for (const l of this.listeners.get('disconnected') ?? []) l(new Error('lost'));
    for (const hook of this.hooks) await hook(this);
  }

  /** The channel that consumes `queue` (the latest one). */
  consumerOf(queue: string): FakeChannel {
    const found = [...this.channels].reverse().find((c) => [...c.consumers.values()].some((x) => x.queue === queue));
    if (!found) throw new Error(`no channel consumes ${queue}`);
    return found;
  }

  /** Every message published on any channel. */
  get published(): Published[] {
    return this.channels.flatMap((c) => c.published);
  }
}

function untag(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(untag);
  if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) {
    if (Object.hasOwn(value, '!')) return (value as { value: unknown }).value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, untag(v)]));
  }
  return value;
}
