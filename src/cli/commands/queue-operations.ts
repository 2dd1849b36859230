import { Command, InvalidArgumentError, Option } from 'commander';
import { CamqError, UsageError } from '../../errors/index.js';
import type { Transport } from '../../transport/index.js';
import { parseDuration } from '../../queues/duration.js';
import { brokerOption, failoverOption, resolveBroker, withConnection } from '../broker-option.js';
import { processIO, writeLine, type CliIO } from '../cli-io.js';
import { confirmOnTerminal } from '../confirm-on-terminal.js';
import { actionJournalOf, actionPolicyFor } from '../read-only.js';
import { styleFor } from '../output/style.js';

/**
 * The queue operations under `camq queues`: peek, purge (all or selective), publish (put saved messages back) and
 * move. Each validates its arguments before connecting; the engines (src/queues) load inside the actions. What each
 * does on the broker: docs/queues-operations.md.
 */

export interface QueueOperationsDeps {
  readonly io?: CliIO;
  /** Ask a yes/no question on the terminal. @defaultValue a readline prompt on stdin/stderr */
  readonly confirm?: (question: string) => Promise<boolean>;
}

interface BrokerOptions {
  readonly broker?: string;
  readonly readOnly?: boolean;
  readonly failover?: string;
  readonly journal?: string | false;
}

interface PeekOptions extends BrokerOptions {
  readonly count: number;
  readonly force?: boolean;
  readonly json?: boolean;
}

interface PurgeOptions extends BrokerOptions {
  readonly task?: string[];
  readonly id?: string[];
  readonly olderThan?: number;
  readonly dryRun?: boolean;
  /** A file name, or false for --no-save. */
  readonly save?: string | false;
  readonly yes?: boolean;
  readonly json?: boolean;
}

interface MoveCliOptions extends BrokerOptions {
  readonly task?: string[];
  readonly limit?: number;
  readonly declare?: boolean;
  readonly window?: number;
}

/** Add peek, purge, publish and move to `queues`. */
export function addQueueOperations(queues: Command, deps: QueueOperationsDeps = {}): Command {
  const io = deps.io ?? processIO;
  const sub = (name: string, description: string) => {
    const cmd = new Command(name)
      .description(description)
      .addOption(brokerOption())
      .addOption(failoverOption())
      .addOption(new Option('--debug').hideHelp());
    queues.addCommand(cmd);
    return cmd;
  };

  sub('peek', 'show the first messages of a queue, decoded as Celery tasks, and leave them in place')
    .argument('<queue>', 'queue name')
    .addOption(new Option('-n, --count <n>', 'how many messages from the head').argParser(parseCount).default(20))
    .option('--force', 'peek a quorum queue even though it raises each peeked message’s delivery count')
    .option('--json', 'one JSON object per message')
    .addHelpText(
      'after',
      '\nA peek takes the messages unacked (basic.get) and returns them at their positions (basic.nack, requeue):\n' +
        'they come back marked redelivered. On a quorum queue each peek adds 1 to their delivery count, so it is\n' +
        'refused there unless --force (a delivery-limit could dead-letter them).',
    )
    .action(async (queue: string, _o: unknown, self: Command) => {
      await runPeek(io, queue, self.optsWithGlobals<PeekOptions>());
    });

  sub('purge', 'remove messages from a queue: all of them, or those of a task, an id or an age (saved to a file first)')
    .argument('<queue>', 'queue name')
    .option('--task <name...>', 'only messages of these task names')
    .option('--id <id...>', 'only these task ids')
    .addOption(new Option('--older-than <duration>', 'only messages published longer ago (90s, 15m, 1h, 2d); needs a timestamp').argParser(parseAge))
    .option('--dry-run', 'list what would be removed; take nothing')
    .option('--save <file>', 'write the removed messages to FILE (JSON lines; default for selective purges: camq-purged-<queue>-<time>.jsonl)')
    .option('--no-save', 'do not keep the removed messages of a selective purge')
    .option('-y, --yes', 'do not ask (required when stdin is not a terminal)')
    .option('--json', 'print the outcome as JSON')
    .action(async (queue: string, _o: unknown, self: Command) => {
      await runPurge(io, deps, queue, self.optsWithGlobals<PurgeOptions>());
    });

  sub('publish', 'publish messages saved by a purge (a JSON-lines file) to a queue, body and properties as saved')
    .argument('<file>', 'a file written by camq queues purge --save')
    .argument('<queue>', 'the queue to publish to (through the default exchange)')
    .action(async (file: string, queue: string, _o: unknown, self: Command) => {
      await runPublish(io, file, queue, self.optsWithGlobals<BrokerOptions>());
    });

  sub('move', 'move messages from one queue to another (publish with confirms, then ack): re-drive a dead-letter queue')
    .argument('<from>', 'source queue')
    .argument('<to>', 'target queue (must exist unless --declare)')
    .option('--task <name...>', 'only messages of these task names (the others stay, in order)')
    .addOption(new Option('--limit <n>', 'move at most n messages').argParser(parseCount))
    .option('--declare', 'declare the target as a durable classic queue when it does not exist')
    .addOption(new Option('--window <n>', 'messages outstanding at most (unconfirmed or unacked)').argParser(parseCount).hideHelp())
    .addHelpText(
      'after',
      '\nEach message is acked on the source only after the broker confirmed its copy in the target: a kill -9 at any\n' +
        'instant loses nothing; a message may then exist in both queues (run the move again to finish it).',
    )
    .action(async (from: string, to: string, _o: unknown, self: Command) => {
      await runMove(io, from, to, self.optsWithGlobals<MoveCliOptions>());
    });
  return queues;
}

/** Connect to the resolved broker, run `fn`, close. */
async function withTransport<T>(io: CliIO, opts: BrokerOptions, fn: (transport: Transport) => Promise<T>): Promise<T> {
  const broker = await resolveBroker(opts.broker, io, { failover: opts.failover });
  return withConnection(
    broker,
    async () => {
      const { createTransport } = await import('../../transport/create-transport.js');
      return createTransport(broker.parsed, { connectionName: 'camq queues', reconnect: false }).connect();
    },
    fn,
  );
}

async function runPeek(io: CliIO, queue: string, opts: PeekOptions): Promise<void> {
  const { peekQueue } = await import('../../queues/peek.js');
  const result = await withTransport(io, opts, (t) => peekQueue(t, queue, { count: opts.count, force: opts.force === true }));
  if (opts.json) {
    for (const message of result.messages) writeLine(io.stdout, JSON.stringify(message));
  } else {
    const { formatPeeked, peekTitle } = await import('../output/peeked-text.js');
    const style = styleFor(io);
    writeLine(io.stdout, peekTitle(result));
    for (const message of result.messages) for (const line of formatPeeked(message, style)) writeLine(io.stdout, line);
  }
  writeLine(io.stderr, `note: ${result.effects}`);
  if (result.kind.type === 'unknown') {
    writeLine(
      io.stderr,
      `note: camq could not tell the type of '${queue}' (its redeclare was refused: no configure permission?); on a quorum queue with a delivery-limit a peek can dead-letter messages`,
    );
  }
}

async function runPurge(io: CliIO, deps: QueueOperationsDeps, queue: string, opts: PurgeOptions): Promise<void> {
  const { isSelective } = await import('../../queues/message-selector.js');
  const selector = { tasks: opts.task, ids: opts.id, olderThanMs: opts.olderThan };
  const selective = isSelective(selector);
  if (!selective && opts.save !== undefined && opts.save !== false && !opts.dryRun) {
    throw new UsageError('--save keeps the messages of a selective purge (--task, --id, --older-than); a full purge drops them in one step');
  }
  if (!selective && opts.dryRun) throw new UsageError('--dry-run lists what a selective purge (--task, --id, --older-than) would remove');
  const actions = actionPolicyFor(opts.readOnly, io, actionJournalOf(opts));
  if (!opts.dryRun) actions.check('queue.purge');
  if (!opts.dryRun && !opts.yes && io.stdin.isTTY !== true) {
    throw new UsageError(`purge removes messages from '${queue}': add --yes to confirm when stdin is not a terminal`);
  }
  const ask = async (question: string) => {
    if (opts.yes || opts.dryRun) return;
    if (!(await (deps.confirm ?? confirmOnTerminal(io))(question))) throw new UsageError('purge cancelled; nothing was removed', 'usage.cancelled');
  };
  if (!selective) {
    const { purgeAll } = await import('../../queues/purge.js');
    await ask(`Remove every ready message from '${queue}'? [y/N] `);
    const { messageCount } = await withTransport(io, opts, (t) => purgeAll(t, queue, { actions }));
    if (opts.json) writeLine(io.stdout, JSON.stringify({ queue, removed: messageCount }));
    else writeLine(io.stdout, `${messageCount} ${messageCount === 1 ? 'message' : 'messages'} removed from '${queue}'`);
    return;
  }
  const { purgeSelected } = await import('../../queues/purge.js');
  const { SavedMessageWriter } = await import('../../queues/saved-messages.js');
  const file = opts.save === false || opts.dryRun ? undefined : (opts.save ?? defaultSaveFile(queue));
  await ask(`Remove the matching messages from '${queue}'${file ? ` (saved to ${file})` : ' without saving them'}? [y/N] `);
  const writer = file === undefined ? undefined : await SavedMessageWriter.open(file);
  try {
    const result = await withTransport(io, opts, (t) => purgeSelected(t, queue, { selector, dryRun: opts.dryRun === true, writer, actions }));
    if (opts.json) {
      writeLine(io.stdout, JSON.stringify({ ...result, ...(file ? { file } : {}) }));
      return;
    }
    if (opts.dryRun) {
      const { formatPeeked } = await import('../output/peeked-text.js');
      const style = styleFor(io);
      for (const message of result.selected) for (const line of formatPeeked(message, style)) writeLine(io.stdout, line);
      writeLine(io.stdout, `dry run: ${result.removed} of ${result.scanned} messages in '${queue}' would be removed; nothing was taken`);
    } else {
      writeLine(
        io.stdout,
        `${result.removed} of ${result.scanned} messages removed from '${queue}'` +
          (file ? `, saved to ${file} (put them back with: camq queues publish ${file} ${queue})` : ''),
      );
    }
    if (result.undated > 0) {
      writeLine(io.stderr, `note: ${result.undated} messages carry no publish timestamp, so --older-than could not judge them; they were kept`);
    }
  } finally {
    await writer?.close();
  }
}

async function runPublish(io: CliIO, file: string, queue: string, opts: BrokerOptions): Promise<void> {
  const actions = actionPolicyFor(opts.readOnly, io, actionJournalOf(opts));
  actions.check('queue.publish');
  const { readSavedMessages } = await import('../../queues/saved-messages.js');
  const { publishSaved } = await import('../../queues/publish-saved.js');
  const { messages, bad } = await readSavedMessages(file);
  for (const line of bad) writeLine(io.stderr, `${file}:${line.line}: ${line.problem}; this line was not published`);
  const { published } =
    messages.length === 0 ? { published: 0 } : await withTransport(io, opts, (t) => publishSaved(t, queue, messages, undefined, actions));
  writeLine(io.stdout, `${published} ${published === 1 ? 'message' : 'messages'} published to '${queue}' from ${file}`);
  if (bad.length > 0) {
    throw new CamqError(
      'queues.bad-saved-lines',
      `${bad.length} ${bad.length === 1 ? 'line' : 'lines'} of ${file} could not be read (listed above) and were not published; the file is unchanged`,
    );
  }
}

async function runMove(io: CliIO, from: string, to: string, opts: MoveCliOptions): Promise<void> {
  const actions = actionPolicyFor(opts.readOnly, io, actionJournalOf(opts));
  actions.check('queue.move');
  const { moveMessages } = await import('../../queues/move.js');
  const { Progress } = await import('../output/progress.js');
  const progress = Progress.on(io.stderr);
  const started = performance.now();
  try {
    const result = await withTransport(io, opts, (t) =>
      moveMessages(t, from, to, {
        selector: { tasks: opts.task },
        limit: opts.limit,
        declare: opts.declare,
        window: opts.window,
        onProgress: (moved) => progress?.update(`${moved} moved`),
        actions,
      }),
    );
    progress?.clear();
    const seconds = (performance.now() - started) / 1000;
    writeLine(
      io.stdout,
      `${result.moved} ${result.moved === 1 ? 'message' : 'messages'} moved from '${from}' to '${to}'` +
        `${result.kept > 0 ? `, ${result.kept} left in '${from}'` : ''}${result.declared ? ` ('${to}' declared)` : ''} in ${seconds.toFixed(1)} s`,
    );
  } finally {
    progress?.stop();
  }
}

function defaultSaveFile(queue: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return `camq-purged-${queue.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp}.jsonl`;
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return Number(value);
}

function parseAge(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 90s, 15m, 1h or 2d');
  return ms;
}
