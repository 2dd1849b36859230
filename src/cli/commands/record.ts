import { Command, Option } from 'commander';
import { CamqError, UsageError } from '../../errors/index.js';
import type { ListenAddress } from '../../http/listen-address.js';
import { listenOption } from './exporter.js';
import { brokerOption, failoverOption, managementApiUrl, resolveBroker, type ResolvedBroker } from '../broker-option.js';
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
  readonly queueType: 'auto' | 'classic' | 'quorum';
  readonly metrics?: ListenAddress;
  readonly tap?: boolean;
}

/**
 * `camq record`: a long-running recorder (docs/journal.md). Consumes its own durable, bounded queue on `celeryev`
 * and writes every event to the journal, acking only what is written; logs to stderr, `--json` status lines on
 * stdout, a clean exit on SIGTERM or Ctrl-C. `--delete-queue` removes the queue and exits.
 */
export function createRecordCommand(io: CliIO = processIO): Command {
  const command = new Command('record')
    .description(
      "record the cluster's events into the journal, from a durable queue that keeps them while the recorder is down (on RabbitMQ; Redis events are pub/sub: none are kept while it is down)",
    )
    .option('--queue <name>', "the recorder's queue on celeryev", 'camq.recorder')
    .option('--max-length <n>', 'events the queue keeps at most while nobody consumes it (x-max-length; default 1000000)', parsePositiveInteger)
    .option('--ttl <seconds>', 'events older than this are dropped from the queue (x-message-ttl; default 259200, 3 days)', parsePositiveNumber)
    .option('--fsync', 'fdatasync the journal before each ack (survives a power cut, not only a killed process)')
    .option('--json', 'print status as one JSON object per line on stdout')
    .option('--status-interval <seconds>', 'seconds between status lines', parsePositiveNumber, 10)
    .option('--delete-queue', "delete the recorder's queue (and the events waiting in it), then exit")
    .addOption(
      new Option('--queue-type <type>', "the queue's type: auto is quorum when -b is a URL list (a cluster), else classic")
        .choices(['auto', 'classic', 'quorum'])
        .default('auto'),
    )
    .option('--tap', "also record each task message's original body (exact arguments, for retry) from RabbitMQ's firehose (docs/tap.md)")
    .option(
      '--metrics <addr>',
      "also serve camq exporter's /metrics and /health on PORT, HOST:PORT or [IPv6]:PORT, from the recorded events (docs/metrics.md)",
      listenOption,
    )
    .addOption(brokerOption())
    .addOption(failoverOption());
  return addJournalOptions(command, { optOut: false }).action(async (options: RecordOptions, cmd: Command) => {
    const journal = journalChoice(options.journal, cmd);
    const globals = cmd.optsWithGlobals<{ broker?: string; failover?: string }>();
    await runRecorder({ ...options, journal: journal === false ? undefined : journal }, globals.broker, globals.failover, io);
  });
}

async function runRecorder(options: RecordOptions, brokerFlag: string | undefined, failover: string | undefined, io: CliIO): Promise<void> {
  const [{ createTransport }, { Recorder, deleteRecorderQueue }, { openJournal, rememberCluster }] = await Promise.all([
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
      // The tap's queue (`--tap`) goes with it; deleting one that is not there is no error.
      await deleteRecorderQueue(connection, tapQueueName(options.queue)).catch(() => {});
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
  const connection = createTransport(broker.parsed, { reconnect: true, connectionName: 'camq record' });
  connection.on('disconnected', (err) => status({ status: 'reconnecting', error: err.message }, `connection lost (${err.message}), reconnecting`));
  try {
    await connection.connect();
  } catch (err) {
    await broker.release();
    throw err;
  }
  // Named by the cluster once connected (a URL list: its cluster_name, remembered for `camq history`; docs/journal.md).
  const journal = openJournal({
    dir: options.journal ?? rememberCluster(broker.parsed, connection.serverProperties, io.env),
    fsync: options.fsync === true,
    warn: (line) => writeLine(io.stderr, line),
  });
  if (!journal.enabled) {
    await connection.close().catch(() => {});
    await broker.release();
    throw new CamqError('journal.unwritable', journal.disabledReason ?? 'the journal cannot be written');
  }
  // Events written before a kill -9 but not acked come again: skip those the journal has (its last 10 minutes).
  const until = journal.reader().summary().until;
  if (until !== undefined) journal.primeDedup(until - 10 * 60_000);
  const queueType = options.queueType === 'auto' ? (broker.parsed.alternates.length > 0 ? 'quorum' : 'classic') : options.queueType;
  const recorder = new Recorder({
    connection,
    journal,
    queue: options.queue,
    queueType,
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
  recorder.on('queue-type-kept', (line) => writeLine(io.stderr, `record: ${line}`));
  recorder.on('consuming', (queue, type) => {
    status(
      { status: 'consuming', queue, queueType: type, journal: journal.dir, broker: broker.masked, node: connection.masked },
      `recording ${connection.masked} from ${type} queue ${queue} into ${journal.dir}`,
    );
    // The queue's promise (events kept while the recorder is down) does not hold on every broker: say so.
    if (connection.fanoutUnbuffered !== undefined)
      writeLine(io.stderr, `record: ${connection.fanoutUnbuffered}: events sent while the recorder is down are not kept`);
  });
  const report = (state: string) => {
    const s = recorder.stats;
    status(
      { status: state, ...s, ...(tap === undefined ? {} : { tapped: tap.tapped }) },
      `${state}: ${s.events} events received, ${s.written} written, ${s.duplicates} duplicates skipped, ${s.acked} deliveries acked` +
        (tap === undefined ? '' : `, ${tap.tapped} task bodies tapped`),
    );
  };
  const metrics =
    options.metrics === undefined
      ? undefined
      : await startRecorderMetrics(options.metrics, broker, connection, io).catch(async (err: unknown) => {
          // A port in use or a bad address: one line, after letting go of what is open.
          journal.close();
          await connection.close().catch(() => {});
          await broker.release();
          throw err;
        });
  if (metrics !== undefined) {
    recorder.on('events', (events) => metrics.exporter.apply(events));
    status({ status: 'metrics', url: metrics.url }, `serving ${metrics.url}/metrics and /health`);
  }
  const tap = options.tap === true ? await startRecorderTap(options, broker, connection, journal, queueType, status) : undefined;
  const ticker = setInterval(() => report('recording'), options.statusInterval * 1000);
  ticker.unref();
  void nextStopSignal().then(stop);
  try {
    await recorder.start();
    await stopped;
  } finally {
    clearInterval(ticker);
    await metrics?.stop();
    await tap?.stop();
    await recorder.stop();
    journal.close();
    report('stopped');
    await connection.close().catch(() => {});
    await broker.release();
  }
  if (failure !== undefined) throw failure;
}

/**
 * `camq record --metrics ADDR`: camq exporter's engine (src/metrics Exporter, the same metric names) fed by the
 * recorder's own event stream rather than a second consumer on celeryev, served by the same MetricsServer. Queue
 * figures come from the management API found from the broker URL ($CAMQ_API_URL overrides), as `camq exporter`'s do.
 */
async function startRecorderMetrics(
  listen: ListenAddress,
  broker: ResolvedBroker,
  connection: import('../../transport/index.js').Transport,
  io: CliIO,
): Promise<{ readonly exporter: import('../../metrics/index.js').Exporter; readonly url: string; stop(): Promise<void> }> {
  const auth = io.env['CAMQ_METRICS_BASIC_AUTH'];
  if (auth !== undefined && !auth.includes(':')) throw new UsageError("CAMQ_METRICS_BASIC_AUTH expects 'user:password'");
  const [{ Exporter }, { QueueLister }, { MetricsServer }] = await Promise.all([
    import('../../metrics/index.js'),
    import('../../queues/index.js'),
    import('../../http/metrics-server.js'),
  ]);
  const known: { names: () => string[] } = { names: () => [] };
  const lister = new QueueLister({
    broker: broker.parsed,
    apiUrl: managementApiUrl(undefined, io, broker),
    transport: () => Promise.resolve(connection),
    workerQueueNames: () => Promise.resolve(known.names()),
  });
  const exporter = new Exporter({ connection, lister, events: 'fed' });
  known.names = () => exporter.metrics.queueNames();
  const server = new MetricsServer({
    source: { metrics: () => exporter.render(), contentType: exporter.contentType },
    health: () => exporter.health(),
    basicAuth: auth,
  });
  const bound = await server.listen(listen);
  await exporter.start();
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    exporter,
    url: `http://${host}:${bound.port}`,
    stop: async () => {
      await server.close();
      await exporter.stop();
    },
  };
}

/** The tap's queue beside the recorder's: `camq.recorder.tap`. */
export function tapQueueName(recorderQueue: string): string {
  return `${recorderQueue}.tap`;
}

/**
 * `camq record --tap`: a TaskTap on RabbitMQ's firehose writing each task message's body into the journal (a
 * task-body record, what an exact retry re-publishes). Its queue is durable and bounded like the recorder's, so
 * tasks published while the recorder is down are tapped when it is back. Whether tracing is on cannot be asked over
 * AMQP: the first line says what to run when no task body arrives.
 */
async function startRecorderTap(
  options: RecordOptions,
  broker: ResolvedBroker,
  connection: import('../../transport/index.js').Transport,
  journal: import('../../journal/index.js').Journal,
  queueType: 'classic' | 'quorum',
  status: (fields: Record<string, unknown>, line: string) => void,
): Promise<{ readonly tapped: number; stop(): Promise<void> }> {
  const [{ TaskTap }, { taskBodyRecord }, { recorderQueueArguments }] = await Promise.all([
    import('../../tap/index.js'),
    import('../../journal/index.js'),
    import('../../recorder/index.js'),
  ]);
  const queue = tapQueueName(options.queue);
  const tap = new TaskTap({
    connection,
    queue,
    queueOptions: {
      durable: true,
      exclusive: false,
      autoDelete: false,
      arguments: recorderQueueArguments({
        queueType,
        ...(options.maxLength !== undefined ? { maxLength: options.maxLength } : {}),
        ...(options.ttl !== undefined ? { messageTtlMs: Math.round(options.ttl * 1000) } : {}),
      }),
    },
    onTask: (task) => {
      journal.appendTaskBody(taskBodyRecord(task));
      // Written before the tap acks it: a killed recorder loses no body it was handed.
      journal.flush();
    },
  });
  await tap.start();
  const vhost = broker.parsed.vhost;
  const hint = broker.isEmbedded
    ? `the embedded broker traces when started with --trace ${vhost}`
    : `if no task body is recorded, tracing is off: run rabbitmqctl trace_on -p ${vhost} on every node (each publish is then copied once more: docs/tap.md)`;
  status({ status: 'tapping', queue, vhost, hint }, `tapping task messages into ${queue}; ${hint}`);
  return {
    get tapped() {
      return tap.tapped;
    },
    stop: () => tap.stop(),
  };
}
