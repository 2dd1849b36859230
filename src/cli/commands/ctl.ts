import { Command, InvalidArgumentError, Option } from 'commander';
import type { ControlClient, RECEIVERS } from '../../control/control-client.js';
import { controlActionName, isControlAction } from '../../audit/action-catalog.js';
import type { ActionPolicy } from '../../audit/action-policy.js';
import { actionJournalOf, actionPolicyFor, addActionJournalOptions, readOnlyOption } from '../read-only.js';
import { COMMAND_BUILDERS, customCommand, plainCommand, type ControlCommand } from '../../control/control-command.js';
import { INSPECT_TARGETS, inspectCommand } from '../../control/inspect-target.js';
import type { ReplyView } from '../../control/reply-text.js';
import type { ControlResult } from '../../control/reply-collector.js';
import { CamqError, ExitCode, UsageError } from '../../errors/index.js';
import { CONTROL_COMMANDS, cliName, type CliSpec, type ControlCommandSpec, type ControlMethod } from '../../protocol/control-catalog.js';
import type { QueueDepth } from '../../queues/queue-depths.js';
import { isRedisUrl, type BrokerUrl } from '../../transport/broker-url.js';
import { brokerOption, failoverOption, managementApiUrl, resolveBroker, withConnection, type ResolvedBroker } from '../broker-option.js';
import { processIO, writeLine, type CliIO } from '../cli-io.js';
import { confirmOnTerminal } from '../confirm-on-terminal.js';
import { Progress } from '../output/progress.js';
import { styleFor } from '../output/style.js';
import { CAMQ_VERSION } from '../version.js';

/** Kept here, not imported, so `--help` loads no engine: equal to DEFAULT_EXPECTED_GRACE_MS and GROUP_MIN (a unit test checks). */
export const DEFAULT_GRACE_MS = 100;
export const GROUP_MIN_TEXT = 'five';

/**
 * `celeryctl` / `camq ctl`: broadcast remote control of Celery workers (kebab-case commands on the command line,
 * Celery's method names on the wire). Every command validates its arguments before connecting, so bad input sends
 * nothing; the control engine (and amqplib) load only inside the action.
 */

/** What the commands need from a control client (the real one, or a recorder in unit tests). */
export type ControlClientLike = Pick<ControlClient, 'broadcast' | 'cast' | 'close'>;

export interface CtlDeps {
  readonly io?: CliIO;
  /** Connect a control client to the broker URL as text (a unit test records it). @defaultValue ControlClient.connect on the URL parsed once, loaded on first use */
  readonly connect?: (url: string) => Promise<ControlClientLike>;
  /** Ask a yes/no question on the terminal. @defaultValue a readline prompt on stdin/stderr */
  readonly confirm?: (question: string) => Promise<boolean>;
  /**
   * The live workers (mailboxes with a consumer), or why camq cannot know them. It must not reject.
   * @defaultValue the management API's view (findLiveWorkers)
   */
  readonly liveWorkers?: (broker: ResolvedBroker, options: LiveWorkersOptions) => Promise<LiveWorkers>;
  /** The queues' depths for `inspect active_queues`. @defaultValue the management API's (queueDepths), loaded on first use */
  readonly queueDepths?: (broker: BrokerUrl) => Promise<ReadonlyMap<string, QueueDepth> | null>;
}

export interface LiveWorkersOptions {
  /** `--api`, else $CAMQ_API_URL: the management API to ask; undefined to find it from the broker URL. */
  readonly apiUrl: string | undefined;
  readonly timeoutMs: number;
}

/** The node names of the live mailboxes, or why there are none to wait for (no management API, a refusal ...). */
export type LiveWorkers = { readonly nodes: readonly string[] } | { readonly reason: string };

interface CommonOptions {
  readonly destination?: string[];
  readonly timeout: number;
  readonly limit?: number;
  readonly json?: boolean;
  readonly broker?: string;
  readonly readOnly?: boolean;
  readonly failover?: string;
  readonly journal?: string | false;
  readonly waitAll?: boolean;
  readonly expand?: boolean;
  readonly api?: string;
}

export const TIMEOUT_HELP =
  'seconds to wait for replies, counted from sending the request; the command returns sooner once every live worker (or each one named with -d) answered';

const DETAILS = `
Options on every command: -d/--destination, -t/--timeout (default 1.0), --limit, -j/--json, -b/--broker,
--wait-all, --expand, --api.

--timeout is an overall deadline: camq stops listening that many seconds after it sent the request (Celery's
timeout instead restarts after every reply). A broadcast asks the management API which workers are live (the
mailboxes bound to celery.pidbox with a consumer) and returns once each of them answered, plus ${DEFAULT_GRACE_MS} ms for one
that is starting; it names the live ones that did not answer. Without the API it waits the whole timeout and
says why; --wait-all always does. With -d it stops as soon as each named worker answered; --limit N stops after
N replies.

Identical replies from ${GROUP_MIN_TEXT} or more workers print as one line (198 workers: OK pong); --expand prints one line per
worker as replies arrive. Scripts should read --json: {"replies": {<nodename>: <reply>}, "did_not_answer": [...]},
where replies is Celery's -j output and did_not_answer is null when camq could not know who should answer.

Exit codes: 0 at least one worker replied, 1 bad arguments (nothing was sent), 2 broker unreachable or login
refused, 3 no worker replied.`;

/** Add the remote-control commands to `parent` (the `celeryctl` program or `camq ctl`). */
export function addCtlCommands(parent: Command, deps: CtlDeps = {}): Command {
  const io = deps.io ?? processIO;
  const sub = (name: string, description: string) => {
    // Errors and output go through runCli (main.ts), which routes every command of the tree.
    const cmd = new Command(name).description(description);
    addCommonOptions(cmd);
    parent.addCommand(cmd);
    return cmd;
  };
  /** A command that broadcasts what `build` returns (built, and so validated, before connecting). */
  const broadcast = (cmd: Command, build: (args: unknown[], opts: Record<string, unknown>) => ControlCommand, view?: ReplyView) =>
    cmd.action(async (...params: unknown[]) => {
      const self = params[params.length - 1] as Command;
      const opts = self.optsWithGlobals<CommonOptions & Record<string, unknown>>();
      const command = build(self.processedArgs as unknown[], opts);
      const actions = actionPolicyFor(opts.readOnly, io, actionJournalOf(opts));
      if (isControlAction(command.method)) actions.check(controlActionName(command.method));
      await runBroadcast(deps, io, command, opts, view, actions);
    });

  broadcast(sub('ping', 'ask workers to answer: -> w1@host: OK pong'), () => plainCommand('ping'));
  broadcast(sub('status', 'list the workers that answer, and how many'), () => plainCommand('ping'), 'status');
  // One sub-command for each control command of the catalog that has a CLI, in the catalog's order.
  for (const spec of CONTROL_COMMANDS) {
    if (spec.kind !== 'control' || !spec.cli) continue;
    broadcast(catalogCommand(sub(cliName(spec.method), spec.cli.summary), spec.cli), (args, opts) => buildFromCli(spec, args, opts));
  }
  broadcast(
    sub('inspect', 'read worker state: ' + INSPECT_TARGETS.map((t) => t.name).join(', '))
      .argument('<what>', 'what to inspect (see below)')
      .argument('[args...]', 'task ids for query-task; task attributes for registered')
      .addHelpText('after', inspectHelp()),
    ([what, args]) => inspectCommand(what as string, (args as string[] | undefined) ?? []),
  );
  broadcast(
    sub('call', 'send any command by its wire name (custom commands too)')
      .argument('<method>', "Celery's method name, e.g. dump_tasks")
      .option('--args <json>', 'keyword arguments as a JSON object', '{}'),
    ([method], opts) => customCommand(method as string, parseJsonArgs(opts['args'] as string)),
  );

  sub('shutdown', 'warm-shut-down workers (asks first on a terminal)')
    .option('-y, --yes', 'do not ask (required when stdin is not a terminal)')
    .action(async (...params: unknown[]) => {
      const self = params[params.length - 1] as Command;
      const opts = self.optsWithGlobals<CommonOptions & { yes?: boolean }>();
      actionPolicyFor(opts.readOnly, io).check('shutdown');
      await runShutdown(deps, io, opts);
    });
  return parent;
}

/** `camq ctl ...`. */
export function createCtlCommand(deps: CtlDeps = {}): Command {
  const ctl = new Command('ctl')
    .description('broadcast remote control of workers, like celeryctl (ping, rate-limit, revoke, inspect ...)')
    .addHelpText('after', DETAILS);
  return addCtlCommands(ctl, deps);
}

/** The `celeryctl` program. */
export function createCeleryctlProgram(deps: CtlDeps = {}): Command {
  const program = new Command('celeryctl')
    .description('Broadcast remote control of Celery workers over RabbitMQ (kombu pidbox), compatible with Celery 5')
    .version(CAMQ_VERSION, '-V, --version')
    .addOption(brokerOption())
    .addOption(failoverOption())
    .option('--debug', 'print stack traces for unexpected errors')
    .addOption(readOnlyOption())
    .addHelpText('after', DETAILS);
  // Where its actions are recorded (docs/audit.md); `camq ctl` has these from the camq program.
  addActionJournalOptions(program);
  return addCtlCommands(program, deps);
}

function addCommonOptions(cmd: Command): void {
  cmd
    .option('-d, --destination <nodes>', 'comma-separated node names (w1@host,w2@host); only these workers act', parseDestination)
    .addOption(new Option('-t, --timeout <seconds>', TIMEOUT_HELP).argParser(parseTimeout).default(1.0, '1.0'))
    .option('--limit <n>', 'stop after n replies', parseLimit)
    .option('-j, --json', 'print {"replies": {"<nodename>": <reply>, ...}, "did_not_answer": [...]} as JSON, each reply as it came')
    .option('--wait-all', 'wait the whole timeout, even after every live worker answered')
    .option('--expand', 'one line per worker, printed as replies arrive (no grouping of identical replies)')
    .option('--api <url>', 'the management API that tells which workers are live (default: $CAMQ_API_URL, else found from the broker URL)')
    .addOption(brokerOption())
    .addOption(failoverOption())
    .addOption(new Option('--debug').hideHelp());
}

/** What every command needs once its arguments are valid: the broker, the formatter, the colours. */
async function prepare(io: CliIO, opts: CommonOptions) {
  const broker = await resolveBroker(opts.broker, io, { failover: opts.failover });
  return { broker, output: await import('../../control/reply-text.js'), style: styleFor(io) };
}

async function runBroadcast(
  deps: CtlDeps,
  io: CliIO,
  command: ControlCommand,
  opts: CommonOptions,
  view: ReplyView | undefined,
  actions: ActionPolicy,
): Promise<void> {
  const { broker, output, style } = await prepare(io, opts);
  const shown = view ?? output.viewFor(command.method);
  // active_queues: the queues' depths from the management API, asked while the workers answer (so the API's answer
  // overlaps the reply window) and left out, silently, when no API answers in time. Human output only: --json keeps
  // Celery's `{"<node>": <reply>}`.
  const depths =
    command.method === 'active_queues' && !opts.json ? lookUpDepths(deps, broker.parsed, managementApiUrl(opts.api, io, broker)) : undefined;
  const progress = Progress.on(io.stderr);
  const expand = opts.expand === true && opts.json !== true;
  let count = 0;
  let liveCount: number | undefined;
  let done = false;
  // The live count may come after the call ended (a slow API): the spinner must not come back then.
  const waiting = () => (done ? undefined : progress?.update(waitingText(opts, count, liveCount)));
  const expected = expectLiveWorkers(deps, io, broker, opts, (n) => {
    liveCount = n;
    waiting();
  });
  const result = await withClient(
    deps,
    broker,
    (client) => {
      waiting();
      return client.broadcast(command, {
        destination: opts.destination,
        timeout: opts.timeout,
        limit: opts.limit,
        expected,
        onReply: (r) => {
          count++;
          progress?.clear();
          if (expand) writeLines(io.stdout, output.formatReply(r.nodename, r.value, shown, style));
          waiting();
        },
      });
    },
    actions,
  ).finally(() => {
    done = true;
    progress?.stop();
  });
  if (result.replies.size === 0) {
    writeLines(io.stderr, waitedNote(result, opts, expected));
    throw noReplyError();
  }
  if (opts.json) {
    writeLine(io.stdout, output.formatJson(result));
  } else {
    if (!expand) writeLines(io.stdout, output.formatGrouped(result, shown, style));
    const listed = output.listingTable(result, shown);
    const found = listed && depths ? await depths : null;
    const table = listed && found ? (await import('../output/queue-depth-columns.js')).withQueueDepths(listed, found) : listed;
    if (table) writeLine(io.stdout, (await import('../output/control-table.js')).renderTable(table, style));
    writeLines(io.stdout, output.formatSilent(result, opts.timeout));
    writeLines(io.stdout, output.formatNodeCount(result, shown));
  }
  writeLines(io.stderr, [...output.formatWarnings(result, opts.timeout), ...waitedNote(result, opts, expected)]);
}

/**
 * For a broadcast: start finding the live workers now (beside connecting, so it costs no time of its own) and return
 * what the client waits for; `onCount` hears how many there are. Undefined with -d (the client stops once those
 * answered) and with --wait-all.
 */
function expectLiveWorkers(
  deps: CtlDeps,
  io: CliIO,
  broker: ResolvedBroker,
  opts: CommonOptions,
  onCount: (n: number) => void,
): (() => Promise<readonly string[]>) | typeof RECEIVERS | undefined {
  if (opts.waitAll === true || (opts.destination?.length ?? 0) > 0) return undefined;
  // On Redis there is no management API and the pidbox binding set outlives a killed worker, but the broadcast's
  // PUBLISH counts the live mailboxes' subscriptions: wait for that many replies (docs/celeryctl.md, "On Redis").
  if (isRedisUrl(broker.parsed)) return 'receivers';
  const apiUrl = managementApiUrl(opts.api, io, broker);
  const live = (deps.liveWorkers ?? findLiveWorkers)(broker, { apiUrl, timeoutMs: opts.timeout * 1000 });
  void live.then((r) => 'nodes' in r && onCount(r.nodes.length));
  return async () => {
    const r = await live;
    if ('reason' in r) throw new CamqError('control.expected-failed', r.reason);
    return r.nodes;
  };
}

/** The live mailboxes from the management API (found as `camq queues` finds it), or why not. */
export async function findLiveWorkers(broker: ResolvedBroker, options: LiveWorkersOptions): Promise<LiveWorkers> {
  try {
    const [{ discoverManagementApi }, { liveMailboxes }, { backgroundHttpGet }] = await Promise.all([
      import('../../queues/api-discovery.js'),
      import('../../queues/live-mailboxes.js'),
      import('../../queues/node-http-get.js'),
    ]);
    // node:http, not fetch: undici's first load would cost a broadcast about 30 ms of CPU. Unref'd: once the
    // broadcast is over nobody needs the answer, so an API that never answers must not keep celeryctl running.
    const fetch = backgroundHttpGet;
    const found = await discoverManagementApi({ broker: broker.parsed, apiUrl: options.apiUrl, timeoutMs: options.timeoutMs, fetch });
    if (found.api === null) return { reason: found.reason };
    return { nodes: await liveMailboxes(found.api, broker.parsed.vhost) };
  } catch (err) {
    return { reason: err instanceof Error ? err.message : String(err) };
  }
}

/** The one line saying why a broadcast waited its whole timeout although it meant to stop once everyone answered. */
function waitedNote(result: ControlResult, opts: CommonOptions, expected: ReturnType<typeof expectLiveWorkers>): string[] {
  if (expected === undefined || result.expectedError === null) return [];
  if (expected === 'receivers') return [`note: waited the whole ${opts.timeout} s: ${result.expectedError.message} (--wait-all silences this)`];
  return [
    `note: waited the whole ${opts.timeout} s, not knowing which workers are live: ${result.expectedError.message} (--api URL names the management API; --wait-all silences this)`,
  ];
}

/**
 * `shutdown`: ping first (honouring -d), ask on a terminal which workers will stop, then send `shutdown` as a cast
 * to exactly the workers that answered. Workers never reply to `shutdown` (docs/protocol.md, Remote control), so camq
 * reports `shutdown requested` itself.
 */
async function runShutdown(deps: CtlDeps, io: CliIO, opts: CommonOptions & { yes?: boolean }): Promise<void> {
  if (!opts.yes && io.stdin.isTTY !== true) {
    throw new UsageError('shutdown stops workers: add --yes to confirm when stdin is not a terminal');
  }
  const { broker, output, style } = await prepare(io, opts);
  const expected = expectLiveWorkers(deps, io, broker, opts, () => {});
  const nodes = await withClient(
    deps,
    broker,
    async (client) => {
      const pinged = await client.broadcast(plainCommand('ping'), {
        destination: opts.destination,
        timeout: opts.timeout,
        limit: opts.limit,
        expected,
      });
      const found = [...pinged.replies.keys()];
      if (found.length === 0) throw noReplyError();
      const question = `Shut down ${found.length} ${found.length === 1 ? 'worker' : 'workers'} (${found.join(', ')})? [y/N] `;
      if (!opts.yes && !(await (deps.confirm ?? confirmOnTerminal(io))(question))) {
        throw new UsageError('shutdown cancelled; nothing was sent', 'usage.cancelled');
      }
      await client.cast(plainCommand('shutdown'), { destination: found });
      return found;
    },
    actionPolicyFor(opts.readOnly, io, actionJournalOf(opts)),
  );
  const acks = Object.fromEntries(nodes.map((node) => [node, { ok: 'shutdown requested' }]));
  if (opts.json) writeLine(io.stdout, JSON.stringify(acks));
  else for (const [node, ack] of Object.entries(acks)) writeLines(io.stdout, output.formatReply(node, ack, 'generic', style));
}

/** The management API's queue depths (src/queues/queue-depths.ts, loaded only for active_queues), or null. */
function lookUpDepths(deps: CtlDeps, broker: BrokerUrl, apiUrl: string | undefined): Promise<ReadonlyMap<string, QueueDepth> | null> {
  if (deps.queueDepths) return deps.queueDepths(broker);
  return import('../../queues/queue-depths.js').then(({ queueDepths }) => queueDepths({ broker, apiUrl })).catch(() => null);
}

function withClient<T>(deps: CtlDeps, broker: ResolvedBroker, fn: (client: ControlClientLike) => Promise<T>, actions?: ActionPolicy): Promise<T> {
  return withConnection(broker, () => (deps.connect ? deps.connect(broker.url) : connectControlClient(broker.parsed, actions)), fn);
}

async function connectControlClient(url: BrokerUrl, actions: ActionPolicy | undefined): Promise<ControlClientLike> {
  const { ControlClient } = await import('../../control/control-client.js');
  return ControlClient.connect(url, { connectionName: 'celeryctl', ...(actions === undefined ? {} : { actions }) });
}

/** The spinner's text while replies come in: how many so far, of how many when the destinations are named. */
function waitingText(opts: CommonOptions, count: number, live?: number): string {
  const expected = opts.limit ?? (opts.destination?.length || live);
  const replies = expected === undefined ? `${count} so far` : `${count} of ${expected}`;
  return `waiting up to ${opts.timeout} s for replies: ${replies}`;
}

function noReplyError(): CamqError {
  return new CamqError('control.no-reply', 'No nodes replied within time constraint.', { exitCode: ExitCode.noReply });
}

function writeLines(stream: NodeJS.WritableStream, lines: readonly string[]): void {
  if (lines.length > 0) stream.write(lines.join('\n') + '\n');
}

/** Add a catalog command's CLI parameters and options to `cmd`. */
function catalogCommand(cmd: Command, cli: CliSpec): Command {
  for (const p of cli.params ?? []) {
    const name = p.variadic ? `${p.name}...` : p.name;
    cmd.argument(p.optional ? `[${name}]` : `<${name}>`, p.help, p.default);
  }
  for (const o of cli.options ?? []) {
    const option = new Option(o.flags, o.help);
    if (o.choices) option.choices(o.choices);
    cmd.addOption(o.default === undefined ? option : option.default(o.default));
  }
  return cmd;
}

/**
 * The command a catalog entry's CLI arguments stand for: each parameter read as its type says, then handed, in
 * order and followed by the options when there are any, to the command's checked builder.
 */
function buildFromCli(spec: ControlCommandSpec<ControlMethod>, args: unknown[], opts: Record<string, unknown>): ControlCommand {
  const cli = spec.cli!;
  const values: unknown[] = (cli.params ?? []).map((p, i) => {
    const value = args[i] as string | string[] | undefined;
    if (value === undefined) return null;
    const what = p.what ?? `${cliName(spec.method)} ${p.name}`;
    if (p.type === 'seconds') return seconds(value as string, what);
    if (p.type === 'count') return count(value as string, what);
    return value;
  });
  if (cli.options) values.push(Object.fromEntries(cli.options.map((o) => [o.key, opts[o.key]])));
  const builder = COMMAND_BUILDERS[spec.method as keyof typeof COMMAND_BUILDERS] as ((...a: unknown[]) => ControlCommand) | undefined;
  return builder ? builder(...values) : plainCommand(spec.method);
}

function inspectHelp(): string {
  const width = Math.max(...INSPECT_TARGETS.map((t) => t.name.length + (t.list ? t.list.label.length + 6 : 0)));
  const rows = INSPECT_TARGETS.map((t) => {
    const name = t.list ? `${t.name} ${t.list.required ? `<${t.list.label}...>` : `[${t.list.label}...]`}` : t.name;
    const aliases = t.aliases.length > 0 ? ` (alias ${t.aliases.join(', ')})` : '';
    return `  ${name.padEnd(width + 2)}${t.summary}${aliases}`;
  });
  return `\nTargets:\n${rows.join('\n')}`;
}

// Option and argument parsers: each says what was wrong in one line (commander adds the option's name).

export function parseTimeout(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected seconds as a number > 0, e.g. 1.5');
  return n;
}

export function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return n;
}

export function parseDestination(value: string): string[] {
  const nodes = value
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (nodes.length === 0) throw new InvalidArgumentError('expected node names separated by commas, e.g. w1@host,w2@host');
  return nodes;
}

export function parseJsonArgs(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--args is not valid JSON (${(err as Error).message}); give an object such as '{"n": 2}'`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`--args must be a JSON object of keyword arguments, such as '{"n": 2}'`);
  }
  return value as Record<string, unknown>;
}

function seconds(text: string, what: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`invalid ${what} '${text}': expected seconds as a number >= 0`);
  return n;
}

function count(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`invalid ${what} '${text}': expected a whole number`);
  return n;
}
