/**
 * One AMQP channel on a client connection: the method handlers of the exchange, queue, basic and confirm classes,
 * content assembly for basic.publish, deliveries with their tags, prefetch (per consumer and, with global=true,
 * per channel, as RabbitMQ does), acks, nacks and rejects, and publisher confirms.
 *
 * Handlers throw AmqpException; the connection decides whether it closes this channel (soft codes) or itself.
 * When a channel closes for any reason, its unacked messages go back to their queues in their original order,
 * marked redelivered, and its consumers are cancelled.
 */
import { randomBytes } from 'node:crypto';
import { BASIC_CLASS, contentFrames, encodeMethod, Method, type BasicPublishFields, type InboundMethod, type OutboundFields } from './amqp-codec.js';
import {
  accessRefused,
  commandInvalid,
  frameError,
  notAllowed,
  notFound,
  notImplemented,
  preconditionFailed,
  unexpectedFrame,
  type AmqpException,
} from './amqp-exception.js';
import { Consumer, type ConsumerChannel } from './consumer.js';
import { fieldTypes, trailingTable } from './field-types.js';
import { tracePublish } from './trace-exchange.js';
import { Message, type MessageQueue, type QueuedMessage } from './message.js';
import type { MemoryMonitor } from './memory-monitor.js';
import type { Queue } from './queue.js';
import type { VirtualHost } from './vhost.js';

/** What a channel needs from its connection. */
export interface ChannelHost {
  readonly vhost: VirtualHost;
  /** Negotiated frame-max: the largest frame the client accepts. */
  readonly frameMax: number;
  /** The client announced consumer_cancel_notify: tell it when the broker cancels its consumer. */
  readonly cancelNotify: boolean;
  /** Counts the bytes of messages being assembled from content frames. */
  readonly memory: MemoryMonitor;
  /** Output to this client is over its bound: hold deliveries until it drains (the host resumes consumers). */
  outputCongested(): boolean;
  /** The owner of exclusive queues this channel declares. */
  readonly owner: object;
  send(frames: Buffer): void;
  /** Ask for `flushConfirms()` before the next write. */
  confirmPending(channel: Channel): void;
  /** The connection's peer and user, for the firehose's trace headers. */
  traceOrigin?(): { readonly connection: string; readonly user: string };
}

const NO_TYPES: ReadonlyMap<string, string> = new Map();
/** Class id, weight, body size and property flags come before the properties. */
const CONTENT_HEADER_MIN = 14;
/** RabbitMQ 3.10's default max_message_size (128 MiB). */
const MAX_MESSAGE_SIZE = 134217728;

export class Channel implements ConsumerChannel {
  /** True after the broker closed this channel and before the client's close-ok. */
  closing = false;
  /** Set by the connection while this channel waits in its confirm list. */
  confirmQueued = false;

  private readonly consumers = new Map<string, Consumer>();
  private readonly unacked = new Map<number, QueuedMessage>();
  private nextDeliveryTag = 1;
  private consumerPrefetch = 0;
  private channelPrefetch = 0;
  /** Unsettled deliveries to ack-mode consumers, counted against the channel prefetch. */
  private consumerUnacked = 0;
  private confirming = false;
  private publishSeq = 0;
  private confirmedSeq = 0;
  /** queue.declare remembers its queue: '' stands for it in later methods (RabbitMQ's shortcut). */
  private lastQueue = '';
  private publishing: BasicPublishFields | undefined;
  /**
   * The content of the message being published: the header payload, then the body frames as they arrive. They
   * are joined when the last one is in, so a header announcing a large body reserves nothing it was not sent.
   */
  private content: Buffer[] | undefined;
  private headerSize = 0;
  private bodySize = 0;
  private bodyReceived = 0;

  constructor(
    readonly id: number,
    private readonly host: ChannelHost,
  ) {}

  handle(method: InboundMethod, payload: Buffer): void {
    if (this.publishing !== undefined) {
      // A basic.publish is waiting for its content: a method now is RabbitMQ's 505.
      throw unexpectedFrame(
        this.content === undefined
          ? `expected content header for class ${BASIC_CLASS}, got non content header frame instead`
          : 'expected content body, got non content body frame instead',
      );
    }
    const vhost = this.host.vhost;
    const owner = this.host.owner;
    switch (method.id) {
      case Method.ChannelFlow:
        if (!method.fields.active) throw notImplemented('active=false');
        return this.reply(Method.ChannelFlowOk, { active: true });
      case Method.ChannelFlowOk:
        return;

      case Method.ExchangeDeclare: {
        const f = method.fields;
        vhost.declareExchange({
          name: f.exchange,
          type: f.type,
          passive: f.passive,
          durable: f.durable,
          autoDelete: f.autoDelete,
          internal: f.internal,
          arguments: f.arguments,
          argumentTypes: argumentTypes(f.arguments, payload, 2),
        });
        if (!f.nowait) this.reply(Method.ExchangeDeclareOk, {});
        return;
      }
      case Method.ExchangeDelete:
        vhost.deleteExchange(method.fields.exchange, method.fields.ifUnused);
        if (!method.fields.nowait) this.reply(Method.ExchangeDeleteOk, {});
        return;
      case Method.ExchangeBind:
      case Method.ExchangeUnbind:
        throw notImplemented("exchange-to-exchange bindings are not supported by camq's embedded broker");

      case Method.QueueDeclare: {
        const f = method.fields;
        const queue = vhost.declareQueue(
          {
            name: f.queue,
            passive: f.passive,
            durable: f.durable,
            exclusive: f.exclusive,
            autoDelete: f.autoDelete,
            arguments: f.arguments,
            argumentTypes: argumentTypes(f.arguments, payload, 1),
          },
          owner,
        );
        this.lastQueue = queue.name;
        if (!f.nowait) this.reply(Method.QueueDeclareOk, { queue: queue.name, messageCount: queue.messageCount, consumerCount: queue.consumerCount });
        return;
      }
      case Method.QueueBind: {
        const f = method.fields;
        vhost.bind(this.queueName(f.queue), f.exchange, this.routingKey(f.queue, f.routingKey), f.arguments, owner);
        if (!f.nowait) this.reply(Method.QueueBindOk, {});
        return;
      }
      case Method.QueueUnbind: {
        const f = method.fields;
        vhost.unbind(this.queueName(f.queue), f.exchange, this.routingKey(f.queue, f.routingKey), f.arguments, owner);
        return this.reply(Method.QueueUnbindOk, {});
      }
      case Method.QueuePurge: {
        const queue = this.usableQueue(method.fields.queue);
        const messageCount = queue.purge();
        if (!method.fields.nowait) this.reply(Method.QueuePurgeOk, { messageCount });
        return;
      }
      case Method.QueueDelete: {
        const f = method.fields;
        const queue = vhost.queues.get(this.queueName(f.queue));
        let messageCount = 0;
        if (queue !== undefined) {
          vhost.checkExclusiveAccess(queue, owner);
          if (f.ifUnused && queue.consumerCount > 0) throw preconditionFailed(`${queue.resource} in use`);
          if (f.ifEmpty && queue.messageCount > 0) throw preconditionFailed(`${queue.resource} not empty`);
          messageCount = vhost.deleteQueue(queue);
        }
        if (!f.nowait) this.reply(Method.QueueDeleteOk, { messageCount });
        return;
      }

      case Method.BasicQos: {
        const f = method.fields;
        if (f.prefetchSize !== 0) throw notImplemented(`prefetch_size!=0 (${f.prefetchSize})`);
        if (f.global) {
          this.channelPrefetch = f.prefetchCount;
          this.resumeConsumers();
        } else {
          this.consumerPrefetch = f.prefetchCount;
        }
        return this.reply(Method.BasicQosOk, {});
      }
      case Method.BasicConsume:
        return this.consume(method.fields);
      case Method.BasicCancel: {
        const { consumerTag, nowait } = method.fields;
        const consumer = this.consumers.get(consumerTag);
        if (!nowait) this.reply(Method.BasicCancelOk, { consumerTag });
        if (consumer !== undefined) {
          this.consumers.delete(consumerTag);
          consumer.queue.removeConsumer(consumer);
        }
        return;
      }
      case Method.BasicPublish:
        if (method.fields.immediate) throw notImplemented('immediate=true');
        this.publishing = method.fields;
        return;
      case Method.BasicGet:
        return this.get(method.fields.queue, method.fields.noAck);
      case Method.BasicAck:
        return this.settle(method.fields.deliveryTag, method.fields.multiple, undefined);
      case Method.BasicReject:
        return this.settle(method.fields.deliveryTag, false, method.fields.requeue);
      case Method.BasicNack:
        return this.settle(method.fields.deliveryTag, method.fields.multiple, method.fields.requeue);
      case Method.BasicRecover:
      case Method.BasicRecoverAsync:
        if (!method.fields.requeue) throw notImplemented('requeue=false');
        this.requeueAll();
        if (method.id === Method.BasicRecover) this.reply(Method.BasicRecoverOk, {});
        return;

      case Method.ConfirmSelect:
        this.confirming = true;
        if (!method.fields.nowait) this.reply(Method.ConfirmSelectOk, {});
        return;
      case Method.TxSelect:
      case Method.TxCommit:
      case Method.TxRollback:
        throw notImplemented("transactions are not supported by camq's embedded broker; use publisher confirms");
      default:
        throw commandInvalid('unimplemented method');
    }
  }

  /** A content header frame: the properties of the message being published. */
  onHeader(payload: Buffer): void {
    if (this.publishing === undefined || this.content !== undefined) throw unexpectedFrame('expected method frame, got non method frame instead');
    if (payload.length < CONTENT_HEADER_MIN)
      throw frameError(`content header of ${payload.length} bytes is shorter than its fixed ${CONTENT_HEADER_MIN}`);
    if (payload.readUInt16BE(0) !== BASIC_CLASS)
      throw unexpectedFrame(`expected content header for class ${BASIC_CLASS}, got a content header for class ${payload.readUInt16BE(0)} instead`);
    const bodySize = Number(payload.readBigUInt64BE(4));
    if (bodySize > MAX_MESSAGE_SIZE) throw preconditionFailed(`message size ${bodySize} is larger than configured max size ${MAX_MESSAGE_SIZE}`);
    this.content = [payload];
    this.headerSize = payload.length;
    this.bodySize = bodySize;
    this.bodyReceived = 0;
    this.host.memory.add(payload.length);
    if (bodySize === 0) this.completePublish();
  }

  /** A content body frame. */
  onBody(payload: Buffer): void {
    const content = this.content;
    if (content === undefined) throw unexpectedFrame('expected method frame, got non method frame instead');
    if (this.bodyReceived + payload.length > this.bodySize) throw frameError('content body is larger than the size in its content header');
    content.push(payload);
    this.bodyReceived += payload.length;
    this.host.memory.add(payload.length);
    if (this.bodyReceived === this.bodySize) this.completePublish();
  }

  /** Close this channel from the broker side: send channel.close and let go of everything it holds. */
  fail(error: AmqpException, methodId: number): void {
    this.host.send(
      encodeMethod(Method.ChannelClose, this.id, {
        replyCode: error.replyCode,
        replyText: error.replyText,
        classId: methodId >>> 16,
        methodId: methodId & 0xffff,
      }),
    );
    this.closing = true;
    this.release();
  }

  /** The channel is gone (closed by either side, or its connection ended): requeue unacked, cancel consumers. */
  release(): void {
    this.closing = true;
    this.publishing = undefined;
    this.dropContent();
    this.requeueAll();
    const consumers = [...this.consumers.values()];
    this.consumers.clear();
    for (const consumer of consumers) consumer.queue.removeConsumer(consumer);
  }

  /** Send the publisher confirms owed since the last write, as one basic.ack (multiple when more than one). */
  flushConfirms(): void {
    this.confirmQueued = false;
    if (this.closing || this.publishSeq === this.confirmedSeq) return;
    const multiple = this.publishSeq - this.confirmedSeq > 1;
    this.confirmedSeq = this.publishSeq;
    this.reply(Method.BasicAck, { deliveryTag: this.publishSeq, multiple });
  }

  // ---- ConsumerChannel: what queues call -------------------------------------------------------------------

  canDeliver(consumer: Consumer): boolean {
    return (
      !this.closing &&
      !this.host.outputCongested() &&
      (consumer.noAck ||
        ((consumer.prefetch === 0 || consumer.unacked < consumer.prefetch) &&
          (this.channelPrefetch === 0 || this.consumerUnacked < this.channelPrefetch)))
    );
  }

  deliver(consumer: Consumer, entry: QueuedMessage): void {
    const deliveryTag = this.nextDeliveryTag++;
    if (!consumer.noAck) {
      entry.deliveryTag = deliveryTag;
      entry.consumer = consumer;
      consumer.unacked++;
      this.consumerUnacked++;
      entry.queue.unacked++;
      this.unacked.set(deliveryTag, entry);
    }
    const message = entry.message;
    const method = encodeMethod(Method.BasicDeliver, this.id, {
      consumerTag: consumer.tag,
      deliveryTag,
      redelivered: entry.redelivered,
      exchange: message.exchange,
      routingKey: message.routingKey,
    });
    this.sendContent(method, message);
    if (consumer.noAck) entry.queue.discard(entry);
  }

  cancelledByServer(consumer: Consumer): void {
    if (this.consumers.get(consumer.tag) !== consumer) return;
    this.consumers.delete(consumer.tag);
    if (!this.closing && this.host.cancelNotify) this.reply(Method.BasicCancel, { consumerTag: consumer.tag, nowait: true });
  }

  /** Let every consumer of this channel take messages again (prefetch room, drained socket). */
  resumeConsumers(): void {
    for (const consumer of this.consumers.values()) consumer.queue.dispatch();
  }

  // ---- handlers ---------------------------------------------------------------------------------------------

  private reply<K extends keyof OutboundFields>(id: K, fields: OutboundFields[K]): void {
    this.host.send(encodeMethod(id, this.id, fields));
  }

  private consume(f: { queue: string; consumerTag: string; noAck: boolean; exclusive: boolean; nowait: boolean }): void {
    const queue = this.usableQueue(f.queue);
    const tag = f.consumerTag === '' ? `amq.ctag-${randomBytes(16).toString('base64url')}` : f.consumerTag;
    if (this.consumers.has(tag)) throw notAllowed(`attempt to reuse consumer tag '${tag}'`);
    if (queue.exclusivelyConsumed || (f.exclusive && queue.consumerCount > 0)) throw accessRefused(`${queue.resource} in exclusive use`);
    const consumer = new Consumer(tag, this, queue, f.noAck, f.exclusive, this.consumerPrefetch);
    this.consumers.set(tag, consumer);
    if (!f.nowait) this.reply(Method.BasicConsumeOk, { consumerTag: tag });
    queue.addConsumer(consumer);
  }

  private get(queueName: string, noAck: boolean): void {
    const queue = this.usableQueue(queueName);
    const entry = queue.get();
    if (entry === undefined) return this.reply(Method.BasicGetEmpty, { clusterId: '' });
    const deliveryTag = this.nextDeliveryTag++;
    if (!noAck) {
      entry.deliveryTag = deliveryTag;
      queue.unacked++;
      this.unacked.set(deliveryTag, entry);
    }
    const message = entry.message;
    const method = encodeMethod(Method.BasicGetOk, this.id, {
      deliveryTag,
      redelivered: entry.redelivered,
      exchange: message.exchange,
      routingKey: message.routingKey,
      messageCount: queue.messageCount,
    });
    this.sendContent(method, message);
    if (noAck) queue.discard(entry);
  }

  /** A method that carries a message (deliver, get-ok, return), with the message's frames, in one write. */
  private sendContent(method: Buffer, message: Message): void {
    this.host.send(contentFrames(method, this.id, message.content, message.headerSize, this.host.frameMax));
  }

  /** Forget a message being assembled, and stop counting its bytes. */
  private dropContent(): void {
    if (this.content === undefined) return;
    this.host.memory.remove(this.headerSize + this.bodyReceived);
    this.content = undefined;
  }

  private completePublish(): void {
    const fields = this.publishing!;
    // Header and body in one buffer, which the Message keeps whole; its queues count it from here on.
    const content = this.content!.length === 1 ? Buffer.from(this.content![0]!) : Buffer.concat(this.content!, this.headerSize + this.bodySize);
    this.dropContent();
    this.publishing = undefined;
    if (this.confirming) {
      this.publishSeq++;
      this.host.confirmPending(this);
    }
    const vhost = this.host.vhost;
    const exchange = vhost.exchange(fields.exchange);
    if (exchange.internal) throw accessRefused(`cannot publish to internal ${exchange.resource}`);
    const message = new Message(fields.exchange, fields.routingKey, content, this.headerSize);
    const ttl = message.expiration();
    const queues = vhost.route(exchange, message);
    if (vhost.tracing) {
      // The routed queues are copied first: routing the trace copy reuses the vhost's array.
      const routed = [...queues];
      tracePublish(vhost, message, routed, { ...(this.host.traceOrigin?.() ?? { connection: '?', user: '?' }), channel: this.id });
      if (routed.length === 0) return this.returnUnroutable(fields, message);
      for (let i = 0; i < routed.length; i++) routed[i]!.enqueue(message, ttl);
      return;
    }
    if (queues.length === 0) return this.returnUnroutable(fields, message);
    for (let i = 0; i < queues.length; i++) queues[i]!.enqueue(message, ttl);
  }

  /** basic.return of a mandatory message no queue took. */
  private returnUnroutable(fields: BasicPublishFields, message: Message): void {
    if (!fields.mandatory) return;
    const method = encodeMethod(Method.BasicReturn, this.id, {
      replyCode: 312,
      replyText: 'NO_ROUTE',
      exchange: fields.exchange,
      routingKey: fields.routingKey,
    });
    this.sendContent(method, message);
  }

  /**
   * basic.ack (requeue undefined), basic.reject and basic.nack. `multiple` settles every unacked tag up to and
   * including `deliveryTag` (all of them for tag 0); an unknown tag is RabbitMQ's 406.
   */
  private settle(deliveryTag: number, multiple: boolean, requeue: boolean | undefined): void {
    if (!multiple) {
      const entry = this.unacked.get(deliveryTag);
      if (entry === undefined) throw unknownTag(deliveryTag);
      this.forget(entry);
      if (requeue === true) entry.queue.requeue([entry]);
      else entry.queue.discard(entry);
      return this.resumeConsumers();
    }
    if (deliveryTag !== 0 && !this.unacked.has(deliveryTag)) throw unknownTag(deliveryTag);
    const settled: QueuedMessage[] = [];
    for (const [tag, entry] of this.unacked) {
      if (deliveryTag !== 0 && tag > deliveryTag) break;
      settled.push(entry);
    }
    for (const entry of settled) this.forget(entry);
    if (requeue === true) requeueInOrder(settled);
    else for (const entry of settled) entry.queue.discard(entry);
    this.resumeConsumers();
  }

  private forget(entry: QueuedMessage): void {
    this.unacked.delete(entry.deliveryTag);
    entry.queue.unacked--;
    const consumer = entry.consumer;
    if (consumer !== null) {
      consumer.unacked--;
      this.consumerUnacked--;
    }
  }

  private requeueAll(): void {
    if (this.unacked.size === 0) return;
    const entries = [...this.unacked.values()];
    for (const entry of entries) this.forget(entry);
    requeueInOrder(entries);
  }

  /** The queue named (or, for '', the one last declared on this channel), if this connection may use it. */
  private usableQueue(name: string): Queue {
    const queue = this.host.vhost.queue(this.queueName(name));
    this.host.vhost.checkExclusiveAccess(queue, this.host.owner);
    return queue;
  }

  private queueName(name: string): string {
    if (name !== '') return name;
    if (this.lastQueue === '') throw notFound('no previously declared queue');
    return this.lastQueue;
  }

  /** queue.bind with an empty queue and key binds the last declared queue with its name as the key. */
  private routingKey(queueName: string, routingKey: string): string {
    return queueName === '' && routingKey === '' ? this.lastQueue : routingKey;
  }
}

function unknownTag(tag: number): AmqpException {
  return preconditionFailed(`unknown delivery tag ${tag}`);
}

/** Requeue settled entries (in tag order, which is delivery order) to each of their queues. */
function requeueInOrder(entries: readonly QueuedMessage[]): void {
  const byQueue = new Map<MessageQueue, QueuedMessage[]>();
  for (const entry of entries) {
    const list = byQueue.get(entry.queue);
    if (list) list.push(entry);
    else byQueue.set(entry.queue, [entry]);
  }
  for (const [queue, list] of byQueue) queue.requeue(list.sort((a, b) => a.seq - b.seq));
}

/** Wire types of a declare's arguments, read only when there are any. */
function argumentTypes(args: Record<string, unknown>, payload: Buffer, shortStrings: number): ReadonlyMap<string, string> {
  for (const _ in args) return fieldTypes(trailingTable(payload, shortStrings));
  return NO_TYPES;
}
