import type { ActiveQueueInfo, ClockReply, OkReply, QueryTaskReply, ScheduledEntry, StatsReply, StatusReply, TaskInfo } from './control-replies.js';

/**
 * The one list of Celery's remote-control commands (docs/protocol.md, Remote control). Everything else derives from it: the
 * worker's panel (arguments, defaults, aliases), the client's reply types, `inspect` targets, the CLI's
 * sub-commands and the way replies are shown. A new command is one entry here, plus its handler in the worker
 * and, when it takes arguments a user types, its checked builder in control/control-command.ts.
 */

/** inspect: read-only, answered by every worker; control: changes the worker; cast: sent without waiting for replies. */
export type ControlKind = 'inspect' | 'control' | 'cast';

/** The value a keyword argument carries on the wire (as the Python handler reads it). */
export type ControlArgType = 'string' | 'number' | 'boolean' | 'strings' | 'task-ids' | 'rate' | 'signal' | 'object';

/** A keyword argument on the wire: its name, its type and, when it is optional, its default. */
export interface ControlArg {
  readonly name: string;
  /** Optional for commands registered at run time, which may not say. */
  readonly type?: ControlArgType;
  readonly default?: unknown;
}

/**
 * What a reply carries, for showing it: `ok` and `status` (`{ok}` or `{error}`) print as text; `tasks`,
 * `scheduled`, `query` and `queues` are listings shown as one table over all workers; `names` a list of strings;
 * `mapping` a nested object; `null` an empty reply; `none` no reply at all.
 */
export type ReplyShape = 'ok' | 'status' | 'tasks' | 'scheduled' | 'query' | 'queues' | 'names' | 'mapping' | 'null' | 'none';

/** A reply's runtime shape, carrying its TypeScript type `T` for typed client calls. */
export interface ReplySpec<T> {
  readonly shape: ReplyShape;
  /** Never set: only carries `T`. */
  readonly value?: T;
}

const reply = <T>(shape: ReplyShape): ReplySpec<T> => ({ shape });

/** A positional argument of the command on the command line (camq's `celeryctl`). */
export interface CliParam {
  readonly name: string;
  readonly help: string;
  /** How the text is read: as is, seconds (a number >= 0) or a whole number. @defaultValue 'text' */
  readonly type?: 'text' | 'seconds' | 'count';
  readonly variadic?: boolean;
  /** Not required; `default` is the text used when it is left out. */
  readonly optional?: boolean;
  readonly default?: string;
  /** The wire argument a list goes under (inspect targets' `ids`, `taskinfoitems`). */
  readonly wire?: string;
  /** What an error message calls it. @defaultValue '<command> <name>' */
  readonly what?: string;
}

/** An option of the command on the command line; its value goes to the builder's options under `key`. */
export interface CliOption {
  readonly flags: string;
  readonly key: string;
  readonly help: string;
  readonly default?: string;
  readonly choices?: readonly string[];
}

/**
 * How the command appears on the command line. Its name is the wire name in kebab-case (`active_queues` is
 * `active-queues`), its aliases the wire aliases the same way (`dump-reserved`).
 */
export interface CliSpec {
  readonly summary: string;
  readonly params?: readonly CliParam[];
  readonly options?: readonly CliOption[];
}

export interface ControlCommandSpec<M extends string = string> {
  /** The wire name (Celery's method name). */
  readonly method: M;
  readonly kind: ControlKind;
  /** Other wire names for the same command. */
  readonly aliases: readonly string[];
  /** The keyword arguments; a missing one without a default is a TypeError reply, as in Python. */
  readonly args: readonly ControlArg[];
  /** Refuse argument keys that are not declared (Python handlers without `**kwargs`). @defaultValue false */
  readonly strict?: boolean;
  readonly reply: ReplySpec<unknown>;
  /** Absent: the command has no sub-command of its own (`hello` is for workers; `call` sends any command). */
  readonly cli?: CliSpec;
}

/** The exchange types `add_consumer` offers on the command line. */
export const EXCHANGE_TYPES = ['direct', 'topic', 'fanout', 'headers'] as const;

const noArgs = [] as const;
const tasks = reply<TaskInfo[]>('tasks');
const status = reply<StatusReply>('status');
const poolN = [{ name: 'n', type: 'number', default: 1 }] as const;
const count = (help: string) => [{ name: 'n', help, type: 'count', optional: true, default: '1' }] as const;

/**
 * Control commands first, then inspect targets, each in the order the CLI lists them. Argument defaults are
 * those of Celery 5's handlers (celery/worker/control.py), which the worker applies to what a request leaves out.
 */
export const CONTROL_CATALOG = [
  {
    method: 'rate_limit',
    kind: 'control',
    aliases: [],
    args: [
      { name: 'task_name', type: 'string' },
      { name: 'rate_limit', type: 'rate' },
    ],
    reply: status,
    cli: {
      summary: 'set the rate limit of a task type on the workers',
      params: [
        { name: 'task', help: 'task name, e.g. tasks.add' },
        { name: 'rate', help: 'N (per second), N/s, N/m or N/h; 0 removes the limit' },
      ],
    },
  },
  {
    method: 'revoke',
    kind: 'control',
    aliases: [],
    args: [
      { name: 'task_id', type: 'task-ids' },
      { name: 'terminate', type: 'boolean', default: false },
      { name: 'signal', type: 'signal', default: null },
    ],
    reply: status,
    cli: {
      summary: 'revoke tasks: workers discard them when they arrive or come due',
      params: [{ name: 'id', help: 'task ids', variadic: true }],
      options: [
        { flags: '--terminate', key: 'terminate', help: 'also kill the task if it is running' },
        { flags: '--signal <signal>', key: 'signal', help: 'signal for --terminate (SIGTERM, SIGKILL, ...)', default: 'SIGTERM' },
      ],
    },
  },
  {
    method: 'terminate',
    kind: 'control',
    aliases: [],
    args: [
      { name: 'signal', type: 'signal' },
      { name: 'task_id', type: 'task-ids' },
    ],
    reply: status,
    cli: {
      summary: 'revoke tasks and kill them with <signal> if they are running',
      params: [
        { name: 'signal', help: 'SIGTERM, SIGKILL, ... or a number' },
        { name: 'id', help: 'task ids', variadic: true },
      ],
    },
  },
  {
    method: 'time_limit',
    kind: 'control',
    aliases: [],
    args: [
      { name: 'task_name', type: 'string', default: null },
      { name: 'hard', type: 'number', default: null },
      { name: 'soft', type: 'number', default: null },
    ],
    reply: status,
    cli: {
      summary: 'set the soft and hard time limits of a task type, in seconds',
      params: [
        { name: 'task', help: 'task name' },
        { name: 'soft', help: 'soft time limit in seconds', type: 'seconds', what: 'soft time limit' },
        { name: 'hard', help: 'hard time limit in seconds', type: 'seconds', what: 'hard time limit', optional: true },
      ],
    },
  },
  {
    method: 'enable_events',
    kind: 'control',
    aliases: [],
    args: noArgs,
    strict: true,
    reply: reply<OkReply>('ok'),
    cli: { summary: 'make workers send task events' },
  },
  {
    method: 'disable_events',
    kind: 'control',
    aliases: [],
    args: noArgs,
    strict: true,
    reply: reply<OkReply>('ok'),
    cli: { summary: 'make workers stop sending task events' },
  },
  {
    method: 'heartbeat',
    kind: 'control',
    aliases: [],
    args: noArgs,
    strict: true,
    reply: reply<null>('null'),
    cli: { summary: 'make workers send a worker-heartbeat event now' },
  },
  {
    method: 'add_consumer',
    kind: 'control',
    aliases: [],
    args: [
      { name: 'queue', type: 'string' },
      { name: 'exchange', type: 'string', default: null },
      { name: 'exchange_type', type: 'string', default: null },
      { name: 'routing_key', type: 'string', default: null },
    ],
    reply: status,
    cli: {
      summary: 'make workers consume from a queue',
      params: [{ name: 'queue', help: 'queue name' }],
      options: [
        { flags: '--exchange <name>', key: 'exchange', help: 'exchange to bind the queue to (default: the queue name)' },
        { flags: '--exchange-type <type>', key: 'exchangeType', help: 'exchange type', choices: EXCHANGE_TYPES, default: 'direct' },
        { flags: '--routing-key <key>', key: 'routingKey', help: 'binding key (default: the queue name)' },
      ],
    },
  },
  {
    method: 'cancel_consumer',
    kind: 'control',
    aliases: [],
    args: [{ name: 'queue', type: 'string' }],
    reply: status,
    cli: { summary: 'make workers stop consuming from a queue', params: [{ name: 'queue', help: 'queue name' }] },
  },
  {
    method: 'pool_grow',
    kind: 'control',
    aliases: [],
    args: poolN,
    reply: status,
    cli: { summary: 'add processes to the worker pool', params: count('how many') },
  },
  {
    method: 'pool_shrink',
    kind: 'control',
    aliases: [],
    args: poolN,
    reply: status,
    cli: { summary: 'remove processes from the worker pool', params: count('how many') },
  },
  {
    method: 'autoscale',
    kind: 'control',
    aliases: [],
    args: [
      { name: 'max', type: 'number', default: null },
      { name: 'min', type: 'number', default: null },
    ],
    strict: true,
    reply: status,
    cli: {
      summary: 'set the autoscaler range of the pool',
      params: [
        { name: 'max', help: 'most processes', type: 'count' },
        { name: 'min', help: 'fewest processes', type: 'count' },
      ],
    },
  },
  {
    method: 'pool_restart',
    kind: 'control',
    aliases: [],
    args: [
      { name: 'modules', type: 'strings', default: null },
      { name: 'reload', type: 'boolean', default: false },
      { name: 'reloader', type: 'string', default: null },
    ],
    reply: status,
  },
  // Workers never reply to a warm shutdown (docs/protocol.md, Remote control); celeryctl's `shutdown` pings first, then casts.
  {
    method: 'shutdown',
    kind: 'cast',
    aliases: [],
    args: [{ name: 'msg', type: 'string', default: 'Got shutdown from remote' }],
    reply: reply<never>('none'),
  },

  {
    method: 'active',
    kind: 'inspect',
    aliases: ['dump_active'],
    args: [{ name: 'safe', type: 'boolean', default: false }],
    reply: tasks,
    cli: { summary: 'tasks being executed' },
  },
  {
    method: 'reserved',
    kind: 'inspect',
    aliases: ['dump_reserved'],
    args: noArgs,
    reply: tasks,
    cli: { summary: 'tasks prefetched and waiting for a pool slot' },
  },
  {
    method: 'scheduled',
    kind: 'inspect',
    aliases: ['dump_schedule'],
    args: noArgs,
    reply: reply<ScheduledEntry[]>('scheduled'),
    cli: { summary: 'tasks held until their ETA or countdown' },
  },
  {
    method: 'revoked',
    kind: 'inspect',
    aliases: ['dump_revoked'],
    args: noArgs,
    reply: reply<string[]>('names'),
    cli: { summary: 'ids of revoked tasks' },
  },
  {
    method: 'registered',
    kind: 'inspect',
    aliases: ['dump_tasks'],
    args: [
      { name: 'taskinfoitems', type: 'strings', default: null },
      { name: 'builtins', type: 'boolean', default: false },
    ],
    reply: reply<string[]>('names'),
    cli: {
      summary: 'registered tasks, with the given task attributes (default: rate_limit and routing)',
      params: [{ name: 'attr', help: 'task attributes', variadic: true, optional: true, wire: 'taskinfoitems' }],
    },
  },
  {
    method: 'stats',
    kind: 'inspect',
    aliases: [],
    args: noArgs,
    reply: reply<StatsReply>('mapping'),
    cli: { summary: 'worker statistics: pool, broker, prefetch, totals, rusage' },
  },
  {
    method: 'active_queues',
    kind: 'inspect',
    aliases: [],
    args: noArgs,
    strict: true,
    reply: reply<ActiveQueueInfo[]>('queues'),
    cli: { summary: 'queues each worker consumes from' },
  },
  {
    method: 'query_task',
    kind: 'inspect',
    aliases: [],
    args: [{ name: 'ids', type: 'task-ids' }],
    reply: reply<QueryTaskReply>('query'),
    cli: {
      summary: 'state of the given task ids (active or reserved; ETA tasks are not found)',
      params: [{ name: 'id', help: 'task ids', variadic: true, wire: 'ids' }],
    },
  },
  {
    method: 'conf',
    kind: 'inspect',
    aliases: ['dump_conf'],
    args: [{ name: 'with_defaults', type: 'boolean', default: false }],
    reply: reply<Record<string, unknown>>('mapping'),
    cli: { summary: "each worker's configuration (secrets masked)" },
  },
  { method: 'report', kind: 'inspect', aliases: [], args: noArgs, reply: reply<OkReply>('ok'), cli: { summary: 'bug-report information' } },
  {
    method: 'clock',
    kind: 'inspect',
    aliases: [],
    args: noArgs,
    reply: reply<ClockReply>('mapping'),
    cli: { summary: "each worker's logical clock" },
  },
  { method: 'ping', kind: 'inspect', aliases: [], args: noArgs, reply: reply<OkReply>('ok'), cli: { summary: 'which workers answer' } },
  // Sent by a starting worker (mingle), never typed by a user.
  {
    method: 'hello',
    kind: 'inspect',
    aliases: [],
    args: [
      { name: 'from_node', type: 'string' },
      { name: 'revoked', type: 'object', default: null },
    ],
    reply: reply<{ revoked: Record<string, unknown>; clock: number } | null>('mapping'),
  },
] as const satisfies readonly ControlCommandSpec[];

type CatalogEntry = (typeof CONTROL_CATALOG)[number];

/** A built-in command's wire name (aliases not included). */
export type ControlMethod = CatalogEntry['method'];

/** Reply value types by wire name, aliases included, for typed client calls and worker handlers. */
export type ControlReplies = {
  [E in CatalogEntry as E['method'] | E['aliases'][number]]: E['reply'] extends ReplySpec<infer T> ? T : never;
};

/** Every command, as the common (wider) spec type. */
export const CONTROL_COMMANDS: readonly ControlCommandSpec<ControlMethod>[] = CONTROL_CATALOG;

/** The command a wire name or alias stands for. */
export function findControlCommand(method: string): ControlCommandSpec<ControlMethod> | undefined {
  return CONTROL_COMMANDS.find((c) => c.method === method || c.aliases.includes(method));
}

/** Wire name to CLI name: `active_queues` is `active-queues`. */
export function cliName(wireName: string): string {
  return wireName.replace(/_/g, '-');
}
