/**
 * An exchange and its bindings to queues, with the routing of the four standard types: direct (exact key),
 * fanout (every bound queue), topic (`*`/`#` patterns, see routing.ts) and headers (`x-match`).
 * The default exchange ('') is direct and routes to the queue named by the key; VirtualHost resolves it.
 */
import type { FieldTable } from './amqp-codec.js';
import type { TypedArguments } from './declare-arguments.js';
import type { Message } from './message.js';
import { compileTopic, headersBinding, headersMatch, topicWords, type HeadersBinding, type TopicMatcher } from './routing.js';

export const EXCHANGE_TYPES = ['direct', 'fanout', 'topic', 'headers'] as const;
export type ExchangeType = (typeof EXCHANGE_TYPES)[number];

export function isExchangeType(text: string): text is ExchangeType {
  return (EXCHANGE_TYPES as readonly string[]).includes(text);
}

/** Topic routes cached per routing key until the bindings change; bounded so odd keys cannot grow it forever. */
const TOPIC_CACHE_LIMIT = 4096;

/**
 * What routing needs of a binding's destination: its name (part of the binding's identity) and a mark so one
 * publish picks it once. Queue is the one; Exchange and Binding take it as a type parameter so that exchange.ts
 * does not import queue.ts (which holds its bindings), and the broker's modules have no import cycle.
 */
export interface RouteTarget {
  readonly name: string;
  /** The publish that last picked this destination. */
  routeMark: number;
}

export class Binding<Q extends RouteTarget> {
  constructor(
    readonly exchange: Exchange<Q>,
    readonly queue: Q,
    readonly routingKey: string,
    readonly args: FieldTable,
    /** Identity of the binding: queue, key and arguments. */
    readonly id: string,
    readonly topic: TopicMatcher | undefined,
    readonly headers: HeadersBinding | undefined,
  ) {}
}

export interface ExchangeInit {
  readonly name: string;
  readonly type: ExchangeType;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
  readonly typedArguments: TypedArguments;
  /** `exchange 'x' in vhost '/'`. */
  readonly resource: string;
}

/** An Exchange carries its declaration's fields (declaration merging: the constructor assigns them all). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
export interface Exchange<Q extends RouteTarget> extends ExchangeInit {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Exchange<Q extends RouteTarget> {
  readonly bindings = new Map<string, Binding<Q>>();

  /** Direct exchanges only: bindings by routing key. */
  private readonly byKey = new Map<string, Binding<Q>[]>();
  private readonly topicCache = new Map<string, Q[]>();

  constructor(init: ExchangeInit) {
    Object.assign(this, init);
  }

  /** Add a binding; returns it, or undefined when an identical one exists. Throws 406 for a bad `x-match`. */
  bind(queue: Q, routingKey: string, args: FieldTable): Binding<Q> | undefined {
    const headers = this.type === 'headers' ? headersBinding(args) : undefined;
    const id = bindingId(queue, routingKey, args);
    if (this.bindings.has(id)) return undefined;
    const topic = this.type === 'topic' ? compileTopic(routingKey) : undefined;
    const binding = new Binding(this, queue, routingKey, args, id, topic, headers);
    this.bindings.set(id, binding);
    if (this.type === 'direct') {
      const list = this.byKey.get(routingKey);
      if (list) list.push(binding);
      else this.byKey.set(routingKey, [binding]);
    }
    this.topicCache.clear();
    return binding;
  }

  find(queue: Q, routingKey: string, args: FieldTable): Binding<Q> | undefined {
    return this.bindings.get(bindingId(queue, routingKey, args));
  }

  remove(binding: Binding<Q>): void {
    if (!this.bindings.delete(binding.id)) return;
    const list = this.byKey.get(binding.routingKey);
    if (list) {
      list.splice(list.indexOf(binding), 1);
      if (list.length === 0) this.byKey.delete(binding.routingKey);
    }
    this.topicCache.clear();
  }

  /**
   * Push onto `out` every queue this message goes to, each once: a queue whose routeMark already equals `mark`
   * was picked by another binding of the same publish.
   */
  route(message: Message, out: Q[], mark: number): void {
    const add = (queue: Q) => {
      if (queue.routeMark !== mark) {
        queue.routeMark = mark;
        out.push(queue);
      }
    };
    switch (this.type) {
      case 'direct': {
        const list = this.byKey.get(message.routingKey);
        if (list) for (const binding of list) add(binding.queue);
        return;
      }
      case 'fanout':
        for (const binding of this.bindings.values()) add(binding.queue);
        return;
      case 'topic': {
        for (const queue of this.topicRoute(message.routingKey)) add(queue);
        return;
      }
      case 'headers': {
        const headers = message.headers;
        for (const binding of this.bindings.values()) if (headersMatch(binding.headers!, headers)) add(binding.queue);
        return;
      }
    }
  }

  private topicRoute(routingKey: string): Q[] {
    const cached = this.topicCache.get(routingKey);
    if (cached) return cached;
    let words: string[] | undefined;
    const lazyWords = () => (words ??= topicWords(routingKey));
    const queues: Q[] = [];
    for (const binding of this.bindings.values()) {
      if (binding.topic!(routingKey, lazyWords) && !queues.includes(binding.queue)) queues.push(binding.queue);
    }
    if (this.topicCache.size >= TOPIC_CACHE_LIMIT) this.topicCache.clear();
    this.topicCache.set(routingKey, queues);
    return queues;
  }
}

function bindingId(queue: RouteTarget, routingKey: string, args: FieldTable): string {
  return `${queue.name}\u0000${routingKey}\u0000${canonical(args)}`;
}

/** A string that is equal for equal field values, whatever the key order of their tables. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (Buffer.isBuffer(value)) return `x${value.toString('hex')}`;
  if (value !== null && typeof value === 'object') {
    const table = value as Record<string, unknown>;
    return `{${Object.keys(table)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(table[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}
