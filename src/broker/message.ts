/**
 * A published message as the broker keeps it: one buffer holding the publisher's content header payload, passed
 * on to consumers byte for byte (the broker decodes properties only when routing needs `headers` or expiry needs
 * `expiration`), followed by the body. One Message is shared by every queue it was routed to; each queue holds
 * it in a QueuedMessage.
 */
import { MAX_EXPIRATION_MS } from '../protocol/amqp-message.js';
import { decodeProperties, propertyFlags, PropertyFlag, type BasicProperties, type FieldTable } from './amqp-codec.js';
import { frameError, preconditionFailed } from './amqp-exception.js';

export class Message {
  /** Queue entries referring to it; the memory monitor counts its bytes while there are any. */
  holders = 0;
  private decoded: BasicProperties | undefined;

  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    /** Content header payload (class id, weight, body size, property flags, properties), then the body. */
    readonly content: Buffer,
    /** Where the body starts in `content`. */
    readonly headerSize: number,
  ) {}

  get body(): Buffer {
    return this.content.subarray(this.headerSize);
  }

  /** The properties, decoded on first use; 501 FRAME_ERROR when they cannot be (cut short, nested too deep). */
  get properties(): BasicProperties {
    if (this.decoded === undefined) {
      try {
        this.decoded = decodeProperties(this.content.subarray(0, this.headerSize));
      } catch (err) {
        throw frameError(`cannot decode content header properties: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return this.decoded;
  }

  /** The `headers` property, decoded on first use. */
  get headers(): FieldTable | undefined {
    return propertyFlags(this.content) & PropertyFlag.headers ? this.properties.headers : undefined;
  }

  /** The per-message TTL in ms from the `expiration` property; undefined when it has none. Throws RabbitMQ's 406. */
  expiration(): number | undefined {
    if (!(propertyFlags(this.content) & PropertyFlag.expiration)) return undefined;
    return parseExpiration(this.properties.expiration ?? '');
  }
}

/**
 * Parse an `expiration` property as RabbitMQ does (Erlang's string:to_integer, then its range check: above
 * MAX_EXPIRATION_MS, 10 years, it is too large), with its error texts. The integer is read as a BigInt so the text
 * names it exactly, as Erlang's bignums do. (RabbitMQ wraps a term that does not fit in 80 columns, Erlang's ~p:
 * integers that long get a text without the line break here.)
 */
export function parseExpiration(text: string): number {
  const match = /^([+-]?\d+)(.*)$/s.exec(text);
  const invalid = (reason: string) => preconditionFailed(`invalid expiration '${text}': ${reason}`);
  if (!match) throw invalid('no_integer');
  const value = BigInt(match[1]!);
  if (match[2] !== '') throw invalid(`{leftover_string,"${match[2]}"}`);
  if (value < 0n) throw invalid(`{value_negative,${value}}`);
  if (value > BigInt(MAX_EXPIRATION_MS)) throw invalid(`{value_too_large,${value}}`);
  return Number(value);
}

/**
 * The queue a QueuedMessage sits in, as the channel settling the message sees it. Queue implements it; declaring it
 * here, under queue.ts, keeps the broker's modules free of import cycles.
 */
export interface MessageQueue {
  /** Messages delivered from the queue and not yet settled. */
  unacked: number;
  requeue(entries: QueuedMessage[]): void;
  discard(entry: QueuedMessage): void;
}

/** The consumer a QueuedMessage was delivered to, as the channel settling it sees it (Consumer implements it). */
export interface MessageConsumer {
  /** Messages delivered to it and not yet settled. */
  unacked: number;
}

/** A message in one queue: its place (seq), its expiry, and while delivered and unacked, who holds it. */
export class QueuedMessage {
  redelivered = false;
  /** Set while delivered to a channel and not yet settled. */
  deliveryTag = 0;
  /** The consumer it was delivered to (null for basic.get or when not delivered). */
  consumer: MessageConsumer | null = null;

  constructor(
    readonly message: Message,
    readonly queue: MessageQueue,
    /** Position in the queue: requeued messages go back in seq order, so they keep their original order. */
    readonly seq: number,
    /** Epoch ms after which it is dropped; 0 for never. */
    readonly expiresAt: number,
  ) {}
}
