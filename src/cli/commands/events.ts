import { Command, InvalidArgumentError } from 'commander';
import type { ResolvedBroker } from '../broker-option.js';
import { processIO, writeLine, type CliIO } from '../cli-io.js';
import { addJournalOptions, journalChoice, openViewJournal } from './journal-options.js';

export interface EventsCommandOptions {
  readonly dump?: boolean;
  readonly json?: boolean;
  readonly maxTasks?: number;
  /** `--journal DIR`, or false for `--no-journal`. */
  readonly journal?: string | false;
}

/** `--max-tasks N`: a positive integer. */
export function parseMaxTasks(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive whole number of tasks to keep, got '${value}'`);
  return n;
}

/**
 * `camq events`: `--dump` prints one line per event like `celery events --dump`, `--json` one JSON object per line;
 * without either it opens the live view (the same as `camq`). The engines load inside the action.
 */
export function createEventsCommand(io: CliIO = processIO): Command {
  const command = new Command('events')
    .description("watch the cluster's events: the live view, or --dump/--json lines like `celery events --dump`")
    .option('--dump', 'print one human-readable line per event')
    .option('--json', 'print one JSON object per event (with local_received)')
    .option('--max-tasks <n>', 'tasks the live view keeps in memory (default 10000)', parseMaxTasks);
  return addJournalOptions(command, { optOut: true }).action(async (options: EventsCommandOptions, cmd: Command) => {
    const { broker, failover, readOnly } = cmd.optsWithGlobals<{ broker?: string; failover?: string; readOnly?: boolean }>();
    const journal = journalChoice(options.journal, cmd);
    if (options.dump || options.json) {
      await dumpEvents({ broker, failover, json: options.json === true, journal }, io);
      return;
    }
    const runLiveView = await loadLiveView();
    await runLiveView({ broker, failover, maxTasks: options.maxTasks, readOnly, journal }, io);
  });
}

/**
 * Import the live view (Ink and React) on demand. React runs in production mode unless NODE_ENV says otherwise:
 * its development build is several times slower and keeps far more memory per render.
 *
 * Ink decides once, when it is first imported, whether it runs "in CI" (CI or CONTINUOUS_INTEGRATION set), and
 * there it holds every frame until the app exits: a live view would stay blank. The view only ever starts on a
 * TTY, so Ink is imported with those variables reading 'false', and they are put back right after.
 */
export async function loadLiveView(): Promise<typeof import('./live-view.js').runLiveView> {
  return loadInkModule(async () => (await import('./live-view.js')).runLiveView);
}

/** Import a module that renders with Ink (the live view, the replay view) as loadLiveView explains. */
export async function loadInkModule<T>(load: () => Promise<T>): Promise<T> {
  process.env['NODE_ENV'] ??= 'production';
  const saved = CI_VARIABLES.map((key) => [key, process.env[key]] as const);
  for (const [key, value] of saved) if (value !== undefined) process.env[key] = 'false';
  try {
    return await load();
  } finally {
    for (const [key, value] of saved) if (value !== undefined) process.env[key] = value;
  }
}

const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION'] as const;

/**
 * Print events until Ctrl-C, SIGTERM, a closed pipe, or `until` aborts: one `celery events --dump` line each, or
 * one JSON object with `json`.
 */
export async function dumpEvents(
  options: {
    broker: string | ResolvedBroker | undefined;
    failover?: string | undefined;
    json: boolean;
    until?: AbortSignal;
    onReady?: () => void;
    /** `--journal DIR`, false for `--no-journal`. @defaultValue the broker's journal */
    journal?: string | false | undefined;
  },
  io: CliIO,
): Promise<void> {
  const [{ createTransport }, { EventReceiver, EventDumper }, { resolveBroker }] = await Promise.all([
    import('../../transport/index.js'),
    import('../../events/index.js'),
    import('../broker-option.js'),
  ]);
  const broker = await resolveBroker(options.broker, io, { failover: options.failover });
  const connection = createTransport(broker.parsed, { reconnect: true, connectionName: 'camq events --dump' });
  const receiver = new EventReceiver({ connection });
  const journal = await openViewJournal(options.journal, broker, io);
  const dumper = new EventDumper();
  let stopping: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (stopping = resolve));

  receiver.on('events', (events) => {
    journal?.appendEvents(events);
    for (const event of events) writeLine(io.stdout, options.json ? JSON.stringify(event) : dumper.format(event));
  });
  receiver.on('decode-error', (reason) => writeLine(io.stderr, `-> skipped a message: ${reason}`));
  let lastPhase = '';
  receiver.on('status', (status) => {
    if (status.phase === lastPhase) return;
    lastPhase = status.phase;
    if (status.phase === 'reconnecting') writeLine(io.stderr, `-> Connection lost (${status.error ?? 'closed'}), attempting reconnect`);
    if (status.phase === 'connected' && status.reconnects > 0) writeLine(io.stderr, `-> reconnected to ${status.broker}`);
    if (status.phase === 'failed') stopping?.();
  });
  // A closed pipe (`camq events --dump | head`) ends the capture instead of crashing.
  io.stdout.on('error', () => stopping?.());
  const onSignal = () => stopping?.();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  options.until?.addEventListener('abort', onSignal, { once: true });
  try {
    await receiver.start();
    await connection.connect();
    if (!options.json) writeLine(io.stdout, `-> evdump: starting capture on ${broker.masked}...`);
    options.onReady?.();
    await stopped;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await receiver.stop();
    journal?.close();
    await connection.close();
    await broker.release();
  }
}
