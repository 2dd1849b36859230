/**
 * A virtual host: its exchanges (the default one and the amq.* ones from the start), its queues, the bindings
 * between them, and RabbitMQ's rules for declaring, binding and deleting them, with its reply codes and texts.
 * Connections are opaque owners here: an exclusive queue belongs to the object that declared it.
 */
import { randomBytes } from 'node:crypto';
import type { FieldTable } from './amqp-codec.js';
import {
  accessRefused,
  commandInvalid,
  describeResource,
  inequivalentArg,
  notFound,
  preconditionFailed,
  resourceLocked,
  transientQueueDenied,
} from './amqp-exception.js';
import {
  assertArgumentsEquivalent,
  EXCHANGE_EQUIVALENCE_KEYS,
  QUORUM_EQUIVALENCE_KEYS,
  equivalenceKeys,
  queueLimits,
  typedArguments,
  type TypedArguments,
} from './declare-arguments.js';
import { Exchange, isExchangeType, type Binding, type ExchangeType } from './exchange.js';
import type { Message } from './message.js';
import { MemoryMonitor } from './memory-monitor.js';
import { Queue } from './queue.js';
import type { Clock } from '../util/clock.js';

const DEFAULT_EXCHANGE = 'operation not permitted on the default exchange';

/** The exchanges every RabbitMQ vhost starts with. */
const BUILTIN_EXCHANGES: readonly [string, ExchangeType, boolean][] = [
  ['', 'direct', false],
  ['amq.direct', 'direct', false],
  ['amq.fanout', 'fanout', false],
  ['amq.topic', 'topic', false],
  ['amq.headers', 'headers', false],
  ['amq.match', 'headers', false],
  ['amq.rabbitmq.trace', 'topic', true],
];

export interface ExchangeDeclaration {
  readonly name: string;
  readonly type: string;
  readonly passive: boolean;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
  /** Wire types of the arguments (field-types.ts). */
  readonly argumentTypes: ReadonlyMap<string, string>;
}

export interface QueueDeclaration {
  /** '' asks for a server-named queue. */
  readonly name: string;
  readonly passive: boolean;
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
  readonly argumentTypes: ReadonlyMap<string, string>;
}

/** What a virtual host refuses beyond AMQP's rules, as a RabbitMQ configuration would. */
export interface VhostPolicy {
  /**
   * Refuse queues that are neither durable nor exclusive, closing the connection with 541, as RabbitMQ 4.3 does by
   * default (its deprecated feature `transient_nonexcl_queues`). @defaultValue false, as RabbitMQ 3.x and 4.0-4.2
   */
  readonly denyTransientNonExclusiveQueues?: boolean;
}

export class VirtualHost {
  readonly exchanges = new Map<string, Exchange<Queue>>();
  readonly queues = new Map<string, Queue>();
  /** The firehose is on: each publish is copied to amq.rabbitmq.trace (trace-exchange.ts). Off by default, as in RabbitMQ. */
  tracing = false;
  private routeMark = 0;
  private readonly routed: Queue[] = [];

  constructor(
    readonly name: string,
    private readonly clock: Clock,
    private readonly policy: VhostPolicy = {},
    /** Counts the bytes of the messages its queues hold (the server's, shared by every vhost). */
    private readonly memory: MemoryMonitor = MemoryMonitor.unlimited(),
  ) {
    for (const [exchange, type, internal] of BUILTIN_EXCHANGES) {
      this.addExchange(exchange, type, true, false, internal, {}, new Map());
    }
  }

  resource(kind: 'queue' | 'exchange', name: string): string {
    return describeResource(kind, name, this.name);
  }

  /** The exchange named `name`, or RabbitMQ's 404. */
  exchange(name: string): Exchange<Queue> {
    const exchange = this.exchanges.get(name);
    if (!exchange) throw notFound(`no ${this.resource('exchange', name)}`);
    return exchange;
  }

  /** The queue named `name`, or RabbitMQ's 404. */
  queue(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw notFound(`no ${this.resource('queue', name)}`);
    return queue;
  }

  declareExchange(d: ExchangeDeclaration): Exchange<Queue> {
    if (d.passive) {
      if (d.name === '') throw accessRefused(DEFAULT_EXCHANGE);
      return this.exchange(d.name);
    }
    if (!isExchangeType(d.type)) throw commandInvalid(`unknown exchange type '${d.type}'`);
    if (d.name === '') throw accessRefused(DEFAULT_EXCHANGE);
    const existing = this.exchanges.get(d.name);
    const typed = typedArguments(d.arguments, d.argumentTypes, EXCHANGE_EQUIVALENCE_KEYS);
    if (existing === undefined) {
      if (d.name.startsWith('amq.')) throw accessRefused(`exchange name '${d.name}' contains reserved prefix 'amq.*'`);
      return this.addExchange(d.name, d.type, d.durable, d.autoDelete, d.internal, d.arguments, typed);
    }
    const r = existing.resource;
    if (existing.type !== d.type) throw inequivalentArg('type', r, `'${d.type}'`, `'${existing.type}'`);
    if (existing.durable !== d.durable) throw inequivalentArg('durable', r, `'${d.durable}'`, `'${existing.durable}'`);
    if (existing.autoDelete !== d.autoDelete) throw inequivalentArg('auto_delete', r, `'${d.autoDelete}'`, `'${existing.autoDelete}'`);
    if (existing.internal !== d.internal) throw inequivalentArg('internal', r, `'${d.internal}'`, `'${existing.internal}'`);
    assertArgumentsEquivalent(existing.typedArguments, typed, EXCHANGE_EQUIVALENCE_KEYS, r);
    return existing;
  }

  deleteExchange(name: string, ifUnused: boolean): void {
    if (name === '') throw accessRefused(DEFAULT_EXCHANGE);
    if (name.startsWith('amq.')) throw accessRefused(`deletion of system ${this.resource('exchange', name)} not allowed`);
    const exchange = this.exchanges.get(name);
    if (!exchange) return;
    if (ifUnused && exchange.bindings.size > 0) throw preconditionFailed(`${exchange.resource} in use`);
    this.removeExchange(exchange);
  }

  /**
   * queue.declare for `owner` (the declaring connection). Passive: the queue or 404, 405 if another connection
   * owns it. Otherwise create it, or check that the existing one is equivalent: 405 unless it has the same
   * exclusive owner, then 406 for durable, auto_delete and the compared arguments.
   */
  declareQueue(d: QueueDeclaration, owner: object): Queue {
    if (d.passive) {
      const queue = this.queue(d.name);
      this.checkExclusiveAccess(queue, owner);
      queue.touch();
      return queue;
    }
    if (this.policy.denyTransientNonExclusiveQueues && !d.durable && !d.exclusive) throw transientQueueDenied(d.name);
    const exclusiveOwner = d.exclusive ? owner : null;
    const durable = d.durable && !d.exclusive;
    let name = d.name;
    if (name === '') name = `amq.gen-${randomBytes(16).toString('base64url')}`;
    else if (name.startsWith('amq.')) throw accessRefused(`queue name '${name}' contains reserved prefix 'amq.*'`);
    const resource = this.resource('queue', name);
    const typed = typedArguments(d.arguments, d.argumentTypes, QUORUM_EQUIVALENCE_KEYS);
    const existing = this.queues.get(name);
    if (existing !== undefined) {
      if (existing.owner !== exclusiveOwner) throw resourceLocked('queue', name, this.name);
      if (existing.durable !== durable) throw inequivalentArg('durable', resource, `'${durable}'`, `'${existing.durable}'`);
      if (existing.autoDelete !== d.autoDelete) throw inequivalentArg('auto_delete', resource, `'${d.autoDelete}'`, `'${existing.autoDelete}'`);
      assertArgumentsEquivalent(existing.typedArguments, typed, equivalenceKeys(existing.typedArguments), resource);
      existing.touch();
      return existing;
    }
    const limits = queueLimits(typed, resource);
    const queue = new Queue({
      name,
      resource,
      durable,
      autoDelete: d.autoDelete,
      owner: exclusiveOwner,
      arguments: d.arguments,
      typedArguments: typed,
      messageTtl: limits.messageTtl,
      expires: limits.expires,
      maxPriority: limits.maxPriority,
      clock: this.clock,
      memory: this.memory,
      onUnused: (q) => this.deleteQueue(q),
    });
    this.queues.set(name, queue);
    return queue;
  }

  /** RabbitMQ's lax check for using a queue (consume, get, bind, purge, delete): 405 if another connection owns it. */
  checkExclusiveAccess(queue: Queue, owner: object): void {
    if (queue.owner !== null && queue.owner !== owner) throw resourceLocked('queue', queue.name, this.name);
  }

  /** Remove a queue with its bindings (auto-delete exchanges left without bindings go too); returns its ready count. */
  deleteQueue(queue: Queue): number {
    if (this.queues.get(queue.name) !== queue) return 0;
    this.queues.delete(queue.name);
    for (const binding of [...queue.bindings]) this.unbindBinding(binding);
    return queue.delete();
  }

  /** Delete the exclusive queues `owner` declared (its connection closed). */
  deleteOwnedQueues(owner: object): void {
    for (const queue of [...this.queues.values()]) if (queue.owner === owner) this.deleteQueue(queue);
  }

  bind(queueName: string, exchangeName: string, routingKey: string, args: FieldTable, owner: object): void {
    if (exchangeName === '') throw accessRefused(DEFAULT_EXCHANGE);
    const exchange = this.exchange(exchangeName);
    const queue = this.queue(queueName);
    this.checkExclusiveAccess(queue, owner);
    const binding = exchange.bind(queue, routingKey, args);
    if (binding) queue.bindings.add(binding);
  }

  /** queue.unbind; like RabbitMQ 3.10, a binding, queue or exchange that does not exist is not an error. */
  unbind(queueName: string, exchangeName: string, routingKey: string, args: FieldTable, owner: object): void {
    if (exchangeName === '') throw accessRefused(DEFAULT_EXCHANGE);
    const exchange = this.exchanges.get(exchangeName);
    const queue = this.queues.get(queueName);
    if (!exchange || !queue) return;
    this.checkExclusiveAccess(queue, owner);
    const binding = exchange.find(queue, routingKey, args);
    if (binding) this.unbindBinding(binding);
  }

  /**
   * The queues a message published to `exchange` goes to. The array is reused by the next call, so use it
   * before routing again.
   */
  route(exchange: Exchange<Queue>, message: Message): readonly Queue[] {
    const out = this.routed;
    out.length = 0;
    if (exchange.name === '') {
      const queue = this.queues.get(message.routingKey);
      if (queue) out.push(queue);
      return out;
    }
    this.routeMark = (this.routeMark + 1) | 0;
    exchange.route(message, out, this.routeMark);
    return out;
  }

  /** Everything goes: the broker is shutting down. */
  clear(): void {
    for (const queue of [...this.queues.values()]) this.deleteQueue(queue);
  }

  private addExchange(
    name: string,
    type: ExchangeType,
    durable: boolean,
    autoDelete: boolean,
    internal: boolean,
    args: FieldTable,
    typed: TypedArguments,
  ): Exchange<Queue> {
    const exchange = new Exchange<Queue>({
      name,
      type,
      durable,
      autoDelete,
      internal,
      arguments: args,
      typedArguments: typed,
      resource: this.resource('exchange', name),
    });
    this.exchanges.set(name, exchange);
    return exchange;
  }

  private removeExchange(exchange: Exchange<Queue>): void {
    for (const binding of [...exchange.bindings.values()]) {
      exchange.remove(binding);
      binding.queue.bindings.delete(binding);
    }
    this.exchanges.delete(exchange.name);
  }

  private unbindBinding(binding: Binding<Queue>): void {
    const exchange = binding.exchange;
    exchange.remove(binding);
    binding.queue.bindings.delete(binding);
    if (exchange.autoDelete && exchange.bindings.size === 0 && this.exchanges.get(exchange.name) === exchange) {
      this.removeExchange(exchange);
    }
  }
}
