/**
 * The camqadm commands: Celery's names and argument order (the old `camqadm`/`celery amqp` shell, docs/protocol.md, The
 * AMQP shell), with typed arguments, defaults, one-line help and usage. Pure data: the parser, the completer and `help`
 * read it; command-handlers.ts runs the AMQP ones.
 */

export type ArgType = 'string' | 'bool' | 'int';
export type ArgValue = string | boolean | number;

/** What a positional argument names, for completion. */
export type NameKind = 'queue' | 'exchange' | 'exchange-type' | 'command';

export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  /** Optional arguments have a default; required ones do not. */
  readonly default?: ArgValue;
  readonly completes?: NameKind;
  /** Sent as an AMQP shortstr (a name or routing key): at most 255 bytes of UTF-8, checked before sending. */
  readonly shortstr?: true;
  readonly help: string;
}

export const AMQP_COMMAND_NAMES = [
  'exchange.declare',
  'exchange.delete',
  'queue.declare',
  'queue.bind',
  'queue.unbind',
  'queue.delete',
  'queue.purge',
  'basic.publish',
  'basic.get',
  'basic.ack',
  'basic.reject',
  'basic.nack',
  'basic.recover',
] as const;
export type AmqpCommandName = (typeof AMQP_COMMAND_NAMES)[number];
export type BuiltinCommandName = 'help' | 'exit';
export type CommandName = AmqpCommandName | BuiltinCommandName;

export interface CommandSpec {
  readonly name: CommandName;
  readonly args: readonly ArgSpec[];
  readonly summary: string;
  /** More lines for `help <command>`. */
  readonly details?: readonly string[];
  /** `basic.publish` also takes `name=value` message properties (publish-properties.ts). */
  readonly takesProperties?: boolean;
  readonly examples?: readonly string[];
}

const queue = (help = 'the queue'): ArgSpec => ({ name: 'queue', type: 'string', completes: 'queue', shortstr: true, help });
const exchange = (help = 'the exchange'): ArgSpec => ({ name: 'exchange', type: 'string', completes: 'exchange', shortstr: true, help });
const routingKey = (help: string, value?: string): ArgSpec => ({
  name: 'routing_key',
  type: 'string',
  ...(value === undefined ? {} : { default: value }),
  shortstr: true,
  help,
});
const flag = (name: string, help: string, value = false): ArgSpec => ({ name, type: 'bool', default: value, help });
const deliveryTag: ArgSpec = { name: 'delivery_tag', type: 'int', help: 'the delivery tag basic.get printed (1, 2, ... per channel)' };

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'exchange.declare',
    summary: 'declare an exchange (direct, fanout, topic or headers)',
    args: [
      exchange(),
      { name: 'type', type: 'string', default: 'direct', completes: 'exchange-type', shortstr: true, help: 'direct, fanout, topic or headers' },
      flag('passive', 'only check that it exists (404 if not)'),
      flag('durable', 'survive a broker restart'),
      flag('auto_delete', 'delete it when its last binding goes'),
      flag('internal', 'only other exchanges may publish to it'),
    ],
    details: ['Declaring an existing exchange with other flags fails with 406 PRECONDITION_FAILED.'],
    examples: ['exchange.declare testexchange direct', 'exchange.declare events topic no yes'],
  },
  {
    name: 'exchange.delete',
    summary: 'delete an exchange',
    args: [exchange(), flag('if_unused', 'only if no queue is bound to it')],
  },
  {
    name: 'queue.declare',
    summary: 'declare a queue and show its message and consumer counts',
    args: [
      queue("the queue ('' lets the broker name it)"),
      flag('passive', 'only check that it exists (404 if not)'),
      flag('durable', 'survive a broker restart'),
      flag('exclusive', 'only this connection may use it; deleted when it closes'),
      flag('auto_delete', 'delete it when its last consumer goes'),
    ],
    details: ['Declaring an existing queue with other flags fails with 406 PRECONDITION_FAILED.'],
    examples: ['queue.declare testqueue', 'queue.declare celery yes'],
  },
  {
    name: 'queue.bind',
    summary: 'bind a queue to an exchange with a routing key',
    args: [queue(), exchange(), routingKey("the binding key ('#' and '*' match in topic exchanges)", '')],
    examples: ['queue.bind testqueue testexchange testkey'],
  },
  {
    name: 'queue.unbind',
    summary: 'remove a binding',
    args: [queue(), exchange(), routingKey('the binding key to remove', '')],
  },
  {
    name: 'queue.delete',
    summary: 'delete a queue and say how many messages went with it',
    args: [queue(), flag('if_unused', 'only if it has no consumers'), flag('if_empty', 'only if it has no messages')],
    examples: ['queue.delete myqueue yes no'],
  },
  {
    name: 'queue.purge',
    summary: 'remove every ready message from a queue',
    args: [queue()],
    details: ['Messages delivered but not yet acknowledged are not purged.'],
  },
  {
    name: 'basic.publish',
    summary: 'publish a message to an exchange',
    args: [
      { name: 'msg', type: 'string', help: 'the message body, sent as UTF-8 text' },
      exchange("the exchange ('' is the default exchange: routing_key is then a queue name)"),
      routingKey('the routing key'),
      flag('mandatory', 'have the broker return the message if no queue gets it; reported as an error'),
      flag('immediate', 'not supported by RabbitMQ 3.0 and later; refused'),
    ],
    takesProperties: true,
    details: ['Properties are name=value words after the message, in any order (quote values with spaces or JSON):'],
    examples: [
      'basic.publish "This is a message" testexchange testkey',
      "basic.publish '{\"id\": 1}' '' celery content_type=application/json priority=5 delivery_mode=persistent",
      'basic.publish hello testexchange testkey yes header.x-retry=3 expiration=60000',
    ],
  },
  {
    name: 'basic.get',
    summary: 'take one message from a queue (it stays unacked until basic.ack)',
    args: [queue(), flag('no_ack', 'acknowledge at once (the message is gone)')],
    details: ['Unacked messages go back to their queue when the session ends or the channel closes.'],
  },
  {
    name: 'basic.ack',
    summary: 'acknowledge a message taken with basic.get',
    args: [deliveryTag, flag('multiple', 'also every earlier unacked tag')],
  },
  {
    name: 'basic.reject',
    summary: 'reject a message taken with basic.get',
    args: [deliveryTag, flag('requeue', 'put it back in its queue (no: drop or dead-letter it)', true)],
  },
  {
    name: 'basic.nack',
    summary: 'negatively acknowledge messages taken with basic.get',
    args: [
      deliveryTag,
      flag('requeue', 'put them back in their queue (no: drop or dead-letter them)', true),
      flag('multiple', 'also every earlier unacked tag'),
    ],
  },
  {
    name: 'basic.recover',
    summary: 'put every unacked message of this session back in its queue',
    args: [],
    details: ['RabbitMQ only implements requeue=true, so that is what is sent.'],
  },
  {
    name: 'help',
    summary: 'list the commands, or explain one',
    args: [{ name: 'command', type: 'string', default: '', completes: 'command', help: 'a command name' }],
  },
  { name: 'exit', summary: 'leave the shell (Ctrl-D too)', args: [] },
];

const BY_NAME = new Map<string, CommandSpec>(COMMANDS.map((c) => [c.name, c]));

export const COMMAND_NAMES: readonly CommandName[] = COMMANDS.map((c) => c.name);

export function findCommand(name: string): CommandSpec | undefined {
  return BY_NAME.get(name);
}

export function isAmqpCommand(name: CommandName): name is AmqpCommandName {
  return (AMQP_COMMAND_NAMES as readonly string[]).includes(name);
}

/** A default as help prints it: `no`, `yes`, `direct`, `''`. */
export function formatDefault(value: ArgValue): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (value === '') return "''";
  return String(value);
}

/** Celery's signature style: required names, then `name:default` for optional ones. */
export function signature(spec: CommandSpec): string {
  const words = spec.args.map((a) => (a.default === undefined ? a.name : `${a.name}:${formatDefault(a.default)}`));
  if (spec.takesProperties) words.push('[property=value ...]');
  return words.join(' ');
}

export function usageLine(spec: CommandSpec): string {
  const sig = signature(spec);
  return sig ? `${spec.name} ${sig}` : spec.name;
}

export function requiredCount(spec: CommandSpec): number {
  return spec.args.filter((a) => a.default === undefined).length;
}
