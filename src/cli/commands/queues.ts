import { Command, InvalidArgumentError, Option } from 'commander';
import type { QueueGrowth, QueueLister, QueueListing, SortKey } from '../../queues/index.js';
import { parseSortKey } from '../../queues/queue-selection.js';
import type { Transport } from '../../transport/index.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { brokerOption, failoverOption, managementApiUrl, resolveBroker } from '../broker-option.js';
import { processIO, writeLine, type CliIO } from '../cli-io.js';
import { listingJson, queueTable, renderQueueTable } from '../output/queue-rows.js';
import { styleFor } from '../output/style.js';
import { reportError } from '../main.js';
import { parseSeconds } from '../seconds-option.js';
import { nextStopSignal } from '../stop-signal.js';

/** Seconds between listings with `-w` and no value: RabbitMQ's sampling interval, so every listing is new. */
const DEFAULT_WATCH_SECONDS = 5;

export interface QueuesCommandDeps {
  readonly io?: CliIO;
  /** Resolves when `--watch` should stop. @defaultValue the first SIGINT or SIGTERM */
  readonly waitForStop?: () => Promise<void>;
  readonly clock?: Clock;
}

interface QueuesOptions {
  readonly broker?: string;
  readonly failover?: string;
  /** A URL, or false for --no-api. */
  readonly api?: string | false;
  readonly apiTimeout: number;
  readonly queue: string[];
  readonly all?: boolean;
  readonly json?: boolean;
  readonly watch?: number | true;
  readonly sort?: SortKey;
}

const DETAILS = `
Figures come from RabbitMQ's management HTTP API when it answers for this broker: the broker URL's host on port
15672 (https on 15671 for amqps://), then on the AMQP port + 10000, with the URL's user and vhost; --api or
$CAMQ_API_URL names another. Without it, AMQP passive declares give the ready and consumer counts of the queues camq
can name (celery, -Q, the queues workers report), with one line saying what is missing. See docs/queues.md.

Markers: "no consumer" (messages wait, nobody consumes), "growing" (more ready than one sampling interval ago).
Housekeeping queues (celeryev.*, *.pidbox, amq.gen-*, rpc:// reply queues named by a UUID) are hidden; --all
lists them apart.

Exit codes: 0 listed, 1 bad arguments, 2 broker or management API unreachable, refusing the login, or answering
something that is not the API.`;

/**
 * `camq queues [pattern]`: the queues of the broker's vhost, with counts, rates and markers (src/queues is the
 * engine; this formats what it lists). Subcommands (peek, purge, move, publish) are added to the Command it returns.
 */
export function createQueuesCommand(deps: QueuesCommandDeps = {}): Command {
  const io = deps.io ?? processIO;
  return new Command('queues')
    .description('list the queues of the broker: ready, unacked, consumers, rates, idle since, and markers')
    .argument('[pattern]', "only queues whose name matches: '*' and '?' as wildcards, else the names containing it")
    .addOption(brokerOption())
    .addOption(failoverOption())
    .option('--api <url>', 'the management API to read (default: $CAMQ_API_URL, else found from the broker URL)')
    .option('--no-api', 'do not read the management API: list the queues camq can name with AMQP passive declares')
    .option('--api-timeout <seconds>', 'seconds to wait for each answer of the management API', parseSeconds, 5)
    .option('-Q, --queue <names>', 'without the API: declare these queues passively too (comma-separated, repeatable)', collectNames, [])
    .option('--all', 'list housekeeping queues too (celeryev.*, *.pidbox, amq.gen-*, UUID-named reply queues), apart')
    .option('-j, --json', 'print the listing as JSON (one document per listing with --watch)')
    .addOption(
      new Option('-w, --watch [seconds]', `list again every N seconds (default ${DEFAULT_WATCH_SECONDS}) until Ctrl-C`).argParser(parseSeconds),
    )
    .option('--sort <column>', 'sort by name, vhost, type, ready, unacked, consumers, publish, deliver or idle', parseSort)
    .addHelpText('after', DETAILS)
    .action(async (pattern: string | undefined, options: QueuesOptions, command: Command) => {
      const globals = command.optsWithGlobals<{ broker?: string; failover?: string }>();
      await runQueues({ ...options, broker: options.broker ?? globals.broker }, pattern, io, deps);
    });
}

async function runQueues(options: QueuesOptions, pattern: string | undefined, io: CliIO, deps: QueuesCommandDeps): Promise<void> {
  const [{ QueueLister, QueueGrowth, QueueWatcher, selectQueues, workerQueueConsumers }, { createTransport }, { ControlClient }] = await Promise.all([
    import('../../queues/index.js'),
    import('../../transport/create-transport.js'),
    import('../../control/control-client.js'),
  ]);
  const clock = deps.clock ?? systemClock;
  const broker = await resolveBroker(options.broker, io, { management: true, failover: options.failover });
  const useApi = options.api !== false;
  const apiUrl = options.api === false ? undefined : managementApiUrl(options.api, io, broker);
  let transport: Promise<Transport> | undefined;
  const lister: QueueLister = new QueueLister({
    broker: broker.parsed,
    apiUrl,
    useApi,
    timeoutMs: options.apiTimeout * 1000,
    clock,
    names: options.queue,
    transport: () => (transport ??= createTransport(broker.parsed, { connectionName: 'camq queues' }).connect()),
    workerQueueConsumers: async () => {
      const client = await ControlClient.connect(broker.url, { connectionName: 'camq queues control' });
      try {
        return await workerQueueConsumers(client);
      } finally {
        await client.close();
      }
    },
  });
  const style = styleFor(io);
  const warn = styleFor(io, 'stderr');
  let lastMissing: string | null = null;
  const show = (listing: QueueListing, growth: QueueGrowth) => {
    const selection = selectQueues(listing.queues, { pattern, sort: options.sort });
    if (listing.missing !== null && listing.missing !== lastMissing) writeLine(io.stderr, `${warn.yellow('note:')} ${listing.missing}`);
    lastMissing = listing.missing;
    if (options.json) {
      writeLine(io.stdout, JSON.stringify(listingJson(listing, selection, options.all === true, growth)));
      return;
    }
    const now = listing.takenAt;
    const lines: string[] = [];
    if (selection.queues.length === 0) lines.push(pattern === undefined ? 'no queues' : `no queues match '${pattern}'`);
    else lines.push(renderQueueTable(queueTable(selection.queues, now, growth), style));
    if (options.all === true && selection.housekeeping.length > 0) {
      lines.push('', style.dim('housekeeping queues:'), renderQueueTable(queueTable(selection.housekeeping, now, growth), style));
    } else if (selection.housekeeping.length > 0) {
      lines.push(
        style.dim(`(${selection.housekeeping.length} housekeeping queue${selection.housekeeping.length === 1 ? '' : 's'} hidden; --all shows them)`),
      );
    }
    writeLine(io.stdout, lines.join('\n'));
  };

  try {
    if (options.watch === undefined) {
      const listing = await lister.list();
      const growth = new QueueGrowth();
      growth.observe(listing);
      show(listing, growth);
      return;
    }
    // --watch: the engine's watcher lists one at a time; a failed listing prints its one line and the next goes ahead.
    const seconds = options.watch === true ? DEFAULT_WATCH_SECONDS : options.watch;
    const watcher = new QueueWatcher(lister, { intervalMs: seconds * 1000, clock });
    const redraw = io.stdout.isTTY === true && options.json !== true;
    watcher.subscribe(() => {
      const { listing, error } = watcher.getSnapshot();
      if (error !== null) return void reportError(error, io);
      if (listing === null) return;
      if (redraw) io.stdout.write('\u001b[H\u001b[2J');
      else if (options.json !== true) writeLine(io.stdout, `-- ${new Date(listing.takenAt).toISOString()}`);
      show(listing, watcher.growth);
    });
    watcher.start();
    await (deps.waitForStop ?? nextStopSignal)();
    watcher.stop();
  } finally {
    await (await transport?.catch(() => undefined))?.close().catch(() => {});
    await broker.release();
  }
}

function parseSort(text: string): SortKey {
  try {
    return parseSortKey(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function collectNames(text: string, previous: string[]): string[] {
  const names = text.split(',').map((n) => n.trim());
  if (names.some((n) => n === '')) throw new InvalidArgumentError("expected queue names separated by commas, such as 'celery,emails'.");
  return [...previous, ...names];
}
