import type { Delivery } from '../transport/index.js';
import type { AmqpCommandName } from './command-table.js';
import { fromWireProperties, toWireProperties } from './message-properties.js';
import { MessageReturnedError } from './message-returned-error.js';
import type { ParsedCommand } from './parse-command.js';
import type { SessionChannel } from './session-channel.js';
import { ShellInputError } from './shell-input-error.js';
import type { CommandResult, FetchedMessage } from './shell-result.js';

/**
 * The AMQP commands over the session channel. Each one is a single AMQP method (two for passive/ack round trips)
 * with the arguments exactly as typed; errors are left to the session, which reads the channel's close reason.
 */
export type CommandHandler = (channel: SessionChannel, command: ParsedCommand) => Promise<CommandResult>;

const OK: CommandResult = { kind: 'ok' };

export const COMMAND_HANDLERS: Readonly<Record<AmqpCommandName, CommandHandler>> = {
  'exchange.declare': async ({ channel }, { args }) => {
    const name = args.string('exchange');
    if (args.bool('passive')) {
      await channel.checkExchange(name);
    } else {
      await channel.assertExchange(name, args.string('type'), {
        durable: args.bool('durable'),
        autoDelete: args.bool('auto_delete'),
        internal: args.bool('internal'),
      });
    }
    return OK;
  },

  'exchange.delete': async ({ channel }, { args }) => {
    await channel.deleteExchange(args.string('exchange'), { ifUnused: args.bool('if_unused') });
    return OK;
  },

  'queue.declare': async ({ channel }, { args }) => {
    const name = args.string('queue');
    const ok = args.bool('passive')
      ? await channel.checkQueue(name)
      : await channel.assertQueue(name, {
          durable: args.bool('durable'),
          exclusive: args.bool('exclusive'),
          autoDelete: args.bool('auto_delete'),
        });
    return { kind: 'queue-declared', queue: ok.queue, message_count: ok.messageCount, consumer_count: ok.consumerCount };
  },

  'queue.bind': async ({ channel }, { args }) => {
    await channel.bindQueue(args.string('queue'), args.string('exchange'), args.string('routing_key'));
    return OK;
  },

  'queue.unbind': async ({ channel }, { args }) => {
    await channel.unbindQueue(args.string('queue'), args.string('exchange'), args.string('routing_key'));
    return OK;
  },

  'queue.delete': async ({ channel }, { args }) => {
    const ok = await channel.deleteQueue(args.string('queue'), { ifUnused: args.bool('if_unused'), ifEmpty: args.bool('if_empty') });
    return { kind: 'messages-deleted', message_count: ok.messageCount };
  },

  'queue.purge': async ({ channel }, { args }) => {
    const ok = await channel.purgeQueue(args.string('queue'));
    return { kind: 'messages-deleted', message_count: ok.messageCount };
  },

  'basic.publish': async (session, { args, properties }) => {
    if (args.bool('immediate')) {
      throw new ShellInputError(
        'shell.immediate-unsupported',
        'immediate=yes is not supported by RabbitMQ 3.0 and later (it closes the connection with 540 NOT_IMPLEMENTED), so it was not sent; ' +
          'use mandatory=yes to hear about unroutable messages, or expiration=0 to drop what no consumer takes at once',
      );
    }
    const returned = await session.publish(
      args.string('exchange'),
      args.string('routing_key'),
      Buffer.from(args.string('msg'), 'utf8'),
      toWireProperties(properties ?? {}),
      args.bool('mandatory'),
    );
    if (returned) throw new MessageReturnedError(returned);
    return OK;
  },

  'basic.get': async (session, { args }) => {
    const queue = args.string('queue');
    const noAck = args.bool('no_ack');
    const message = await session.channel.get(queue, { noAck });
    if (message === false) return { kind: 'no-message', queue };
    const fetched = toFetchedMessage(message);
    if (!noAck) session.unacked.set(fetched.delivery_info.delivery_tag, { delivery_tag: fetched.delivery_info.delivery_tag, queue });
    return { kind: 'message', message: fetched };
  },

  'basic.ack': async (session, { args }) => {
    const tag = requireUnacked(session, args.int('delivery_tag'));
    const multiple = args.bool('multiple');
    session.channel.ack(byTag(tag), multiple);
    await session.sync();
    session.settle(tag, multiple);
    return OK;
  },

  'basic.reject': async (session, { args }) => {
    const tag = requireUnacked(session, args.int('delivery_tag'));
    session.channel.reject(byTag(tag), args.bool('requeue'));
    await session.sync();
    session.settle(tag, false);
    return OK;
  },

  'basic.nack': async (session, { args }) => {
    const tag = requireUnacked(session, args.int('delivery_tag'));
    const multiple = args.bool('multiple');
    session.channel.nack(byTag(tag), multiple, args.bool('requeue'));
    await session.sync();
    session.settle(tag, multiple);
    return OK;
  },

  'basic.recover': async (session) => {
    await session.channel.recover();
    session.unacked.clear();
    return OK;
  },
};

/** A channel's ack/nack/reject read only the delivery tag of the message they are given. */
function byTag(deliveryTag: number): Delivery {
  return { fields: { deliveryTag } } as unknown as Delivery;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function toFetchedMessage(message: Delivery): FetchedMessage {
  let body: string;
  let encoding: FetchedMessage['body_encoding'] = 'utf-8';
  try {
    body = UTF8.decode(message.content);
  } catch {
    body = message.content.toString('base64');
    encoding = 'base64';
  }
  return {
    body,
    body_encoding: encoding,
    delivery_info: {
      delivery_tag: message.fields.deliveryTag,
      exchange: message.fields.exchange,
      routing_key: message.fields.routingKey,
      redelivered: message.fields.redelivered,
      message_count: message.fields.messageCount ?? 0,
    },
    properties: fromWireProperties(message.properties),
  };
}

/**
 * The session holds every delivery its channel can settle (the shell never consumes, so they all came from
 * `basic.get`). Settling any other tag would only earn a 406 that closes the channel and sends the messages the
 * session does hold back to their queues, so it is refused here, with nothing sent.
 */
function requireUnacked(session: SessionChannel, tag: number): number {
  if (session.unacked.has(tag)) return tag;
  const held = session.unackedList().map((d) => d.delivery_tag);
  throw new ShellInputError(
    'shell.unknown-delivery-tag',
    `unknown delivery tag ${tag}: this session holds ${held.length === 0 ? 'no unacked message' : `unacked tags ${held.join(', ')}`}. ` +
      'A tag belongs to the channel that took the message; one taken by basic.get in another camqadm process went back to its queue when that process ended, so run basic.get and basic.ack in one session.',
  );
}
