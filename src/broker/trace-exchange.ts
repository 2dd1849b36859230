/**
 * RabbitMQ's firehose in the embedded broker (docs/tap.md): when tracing is on for a vhost (rabbitmqctl's
 * `trace_on`; here BrokerServer.traceOn or the `trace` option; off by default, as in RabbitMQ), each message published
 * in it is copied to `amq.rabbitmq.trace`, routed `publish.<exchange>`, with RabbitMQ's header table: exchange_name,
 * routing_keys, properties (AMQP's names), node, vhost, connection, channel, user, routed_queues. The copy's body is
 * the original's bytes; its only property is that header table. Deliveries are not traced (RabbitMQ's
 * `deliver.<queue>` copies): the tap binds `publish.#`.
 */
import { amqplibDefs } from '../amqp/amqplib-internals.js';
import { traceProperties, TRACE_EXCHANGE } from '../protocol/trace-message.js';
import { BASIC_CLASS } from './amqp-codec.js';
import { Message } from './message.js';
import type { VirtualHost } from './vhost.js';

const defs = amqplibDefs();

/** Who published: the connection's peer and user, and the channel number. */
export interface TraceOrigin {
  readonly connection: string;
  readonly user: string;
  readonly channel: number;
}

/** The node name the embedded broker reports in trace headers. */
export const TRACE_NODE = 'camq@localhost';

/** Copy a published `message` to the vhost's trace exchange (the caller checks that tracing is on). */
export function tracePublish(vhost: VirtualHost, message: Message, routed: readonly { readonly name: string }[], origin: TraceOrigin): void {
  const trace = vhost.exchanges.get(TRACE_EXCHANGE);
  if (trace === undefined) return;
  const headers = {
    exchange_name: message.exchange,
    routing_keys: [message.routingKey],
    properties: traceProperties(message.properties as Record<string, unknown>),
    node: TRACE_NODE,
    vhost: vhost.name,
    connection: origin.connection,
    channel: origin.channel,
    user: origin.user,
    routed_queues: routed.map((q) => q.name),
  };
  const body = message.body;
  // amqplib encodes a whole content-header frame: type, channel and size (7 bytes) first, frame-end last.
  const frame = defs.encodeProperties(BASIC_CLASS, 0, body.length, { headers });
  const header = frame.subarray(7, frame.length - 1);
  const copy = new Message(TRACE_EXCHANGE, `publish.${message.exchange}`, Buffer.concat([header, body]), header.length);
  const queues = vhost.route(trace, copy);
  for (let i = 0; i < queues.length; i++) queues[i]!.enqueue(copy, undefined);
}
