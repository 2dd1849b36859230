import { Command } from 'commander';
import { CamqError } from '../../errors/index.js';
import { brokerOption, failoverOption, resolveBroker } from '../broker-option.js';
import { processIO, writeLine, type CliIO } from '../cli-io.js';
import { parsePositiveInteger, parsePositiveNumber } from '../number-options.js';
import { nextStopSignal } from '../stop-signal.js';
import { addJournalOptions, journalChoice } from './journal-options.js';

interface RecordOptions {
  readonly journal?: string | undefined;
  readonly queue: string;
  readonly maxLength?: number;
  readonly ttl?: number;
  readonly fsync?: boolean;
  readonly json?: boolean;
  readonly statusInterval: number;
  readonly deleteQueue?: boolean;
}

/**
 * `camq record`: a long-running recorder (docs/journal.md). Consumes its own durable, bounded queue on `celeryev`
 * and writes every event to the journal, acking only what is written; logs to stderr, `--json` status lines on
 * stdout, a clean exit on SIGTERM or Ctrl-C. `--delete-queue` removes the queue and exits.
 */
export function createRecordCommand(io: CliIO = processIO): Command {
  const command = new Command('record')
    .description("record the cluster's events into the journal, from a durable queue that keeps them while the recorder is down")
    .option('--queue <name>', "the recorder's queue on celeryev", 'camq.recorder')
    .option('--max-length <n>', 'events the queue keeps at most while nobody consumes it (x-max-length; default 1000000)', parsePositiveInteger)
    .option('--ttl <seconds>', 'events older than this are dropped from the queue (x-message-ttl; default 259200, 3 days)', parsePositiveNumber)
    .option('--fsync', 'fdatasync the journal before each ack (survives a power cut, not only a killed process)')
    .option('--json', 'print status as one JSON object per line on stdout')
    .option('--status-interval <seconds>', 'seconds between status lines', parsePositiveNumber, 10)
    .option('--delete-queue', "delete the recorder's queue (and the events waiting in it), then exit")
    .addOption(brokerOption())
    .addOption(failoverOption());
  return addJournalOptions(command, { optOut: false }).action(async (options: RecordOptions, cmd: Command) => {
    const journal = journalChoice(options.journal, cmd);
    const globals = cmd.optsWithGlobals<{ broker?: string; failover?: string }>();
    await runRecorder({ ...options, journal: journal === false ? undefined : journal }, globals.broker, globals.failover, io);
  });
}

async function runRecorder(options: RecordOptions, brokerFlag: string | undefined, failover: string | undefined, io: CliIO): Promise<void> {
  const [{ createTransport }, { Recorder, deleteRecorderQueue }, { openJournal }] = await Promise.all([
    import('../../transport/index.js'),
    import('../../recorder/index.js'),
    import('../../journal/index.js'),
  ]);
  const broker = await resolveBroker(brokerFlag, io, { failover });
  const status = (fields: Record<string, unknown>, line: string): void => {
    if (options.json) writeLine(io.stdout, JSON.stringify({ time: new Date().toISOString(), ...fields }));
    else writeLine(io.stderr, `record: ${line}`);
  };
  if (options.deleteQueue) {
    const connection = createTransport(broker.parsed, { connectionName: 'camq record --delete-queue' });
    try {
      await connection.connect();
      const { messageCount } = await deleteRecorderQueue(connection, options.queue);
      status(
        { status: 'queue-deleted', queue: options.queue, messages: messageCount },
        `deleted ${options.queue} (${messageCount} events were waiting)`,
      );
    } finally {
      await connection.close().catch(() => {});
      await broker.release();
    }
    return;
  }
  const journal = openJournal({
    broker: broker.parsed,
    dir: options.journal,
    fsync: options.fsync === true,
    warn: (line) => writeLine(io.stderr, line),
  });
  if (!journal.enabled) {
    await broker.release();
    throw new CamqError('journal.unwritable', journal.disabledReason ?? 'the journal cannot be written');
  }
  // Events written before a kill -9 but not acked come again: skip those the journal has (its last 10 minutes).
  const until = journal.reader().summary().until;
  if (until !== undefined) journal.primeDedup(until - 10 * 60_000);
  const connection = createTransport(broker.parsed, { reconnect: true, connectionName: 'camq record' });
  const recorder = new Recorder({
    connection,
    journal,
    queue: options.queue,
    ...(options.maxLength !== undefined ? { maxLength: options.maxLength } : {}),
    ...(options.ttl !== undefined ? { messageTtlMs: Math.round(options.ttl * 1000) } : {}),
  });
  let failure: CamqError | undefined;
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  recorder.on('decode-error', (reason) => writeLine(io.stderr, `record: skipped a message: ${reason}`));
  recorder.on('journal-disabled', (reason) => {
    failure = new CamqError('journal.unwritable', reason);
    stop();
  });
  recorder.on('consuming', (queue) =>
    status(
      { status: 'consuming', queue, journal: journal.dir, broker: broker.masked },
      `recording ${broker.masked} from queue ${queue} into ${journal.dir}`,
    ),
  );
  connection.on('disconnected', (err) => status({ status: 'reconnecting', error: err.message }, `connection lost (${err.message}), reconnecting`));
  const report = (state: string) => {
    const s = recorder.stats;
    status(
      { status: state, ...s },
      `${state}: ${s.events} events received, ${s.written} written, ${s.duplicates} duplicates skipped, ${s.acked} deliveries acked`,
    );
  };
  const ticker = setInterval(() => report('recording'), options.statusInterval * 1000);
  ticker.unref();
  void nextStopSignal().then(stop);
  try {
    await recorder.start();
    await connection.connect();
    await stopped;
  } finally {
    clearInterval(ticker);
    await recorder.stop();
    journal.close();
    report('stopped');
    await connection.close().catch(() => {});
    await broker.release();
  }
  if (failure !== undefined) throw failure;
}
