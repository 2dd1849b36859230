import { Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../../errors/index.js';
import { DEFAULT_METRICS_LISTEN, parseListenAddress, type ListenAddress } from '../../http/listen-address.js';
import { managementApiUrl, resolveBroker } from '../broker-option.js';
import { processIO, writeLine, type CliIO } from '../cli-io.js';

interface ExporterCliOptions {
  listen: ListenAddress;
  basicAuth?: string;
  api?: string | false;
  workerTimeout: number;
  purgeOfflineWorkerMetrics: number;
  defaultQueueName: string;
  queueInterval: number;
  genericHostnameTaskSentMetric?: boolean;
  genericHostnameWorkerTaskMetric?: boolean;
}

/** Seconds, 0 allowed (0 turns the timeout or the purge off, as in celery-exporter). */
function nonNegativeSeconds(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected seconds (0 or more), got '${text}'`);
  return n;
}

function positiveSeconds(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected seconds above 0, got '${text}'`);
  return n;
}

/** Commander's parser for --listen / --metrics: a UsageError's message, as commander's one line. */
export function listenOption(text: string): ListenAddress {
  try {
    return parseListenAddress(text);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof UsageError ? err.message : String(err));
  }
}

/**
 * `camq exporter`: celery-exporter's metrics (docs/metrics.md) on `/metrics`, `/health` beside it. Events from the
 * broker's `celeryev` exchange, queue figures from the management API (or AMQP passive declares without it).
 */
export function createExporterCommand(io: CliIO = processIO): Command {
  return new Command('exporter')
    .description("serve Prometheus metrics of the cluster under celery-exporter's names (/metrics, /health)")
    .option(
      '--listen <addr>',
      `address to serve on: PORT, HOST:PORT or [IPv6]:PORT (default ${DEFAULT_METRICS_LISTEN}, celery-exporter's)`,
      listenOption,
    )
    .option('--basic-auth <user:password>', 'require HTTP basic auth (default: $CAMQ_METRICS_BASIC_AUTH; TLS is left to a proxy)')
    .option('--api <url>', 'the management API to read queue figures from (default: $CAMQ_API_URL, else found from the broker URL)')
    .option('--no-api', 'read queue figures with AMQP passive declares only')
    .option('--worker-timeout <s>', 'seconds without a heartbeat before celery_worker_up turns 0 (0: never)', nonNegativeSeconds, 300)
    .option(
      '--purge-offline-worker-metrics <s>',
      "seconds after a worker went down before its series are dropped (0: never); above the mixin's 15 min worker-down alert",
      nonNegativeSeconds,
      1800,
    )
    .option('--default-queue-name <name>', 'queue_name of tasks whose queue no task-sent event told', 'celery')
    .option('--generic-hostname-task-sent-metric', "hostname 'generic' on celery_task_sent_total (producers' hostnames vary)")
    .option('--generic-hostname-worker-task-metric', "hostname 'generic' on the worker-side task series: far fewer series with many workers")
    .option('--queue-interval <s>', 'seconds between queue listings', positiveSeconds, 5)
    .action(async (options: ExporterCliOptions, command: Command) => {
      const globals = command.optsWithGlobals<{ broker?: string; failover?: string }>();
      await runExporter(
        { ...options, listen: options.listen ?? parseListenAddress(DEFAULT_METRICS_LISTEN), broker: globals.broker, failover: globals.failover },
        io,
      );
    });
}

async function runExporter(options: ExporterCliOptions & { broker: string | undefined; failover: string | undefined }, io: CliIO): Promise<void> {
  const auth = options.basicAuth ?? io.env['CAMQ_METRICS_BASIC_AUTH'];
  if (auth !== undefined && !auth.includes(':')) throw new UsageError("--basic-auth expects 'user:password'");
  const [{ Exporter }, { QueueLister, workerQueueConsumers }, { createTransport }, { MetricsServer }, { ControlClient }] = await Promise.all([
    import('../../metrics/index.js'),
    import('../../queues/index.js'),
    import('../../transport/index.js'),
    import('../../http/metrics-server.js'),
    import('../../control/control-client.js'),
  ]);
  const broker = await resolveBroker(options.broker, io, { management: true, failover: options.failover });
  const connection = createTransport(broker.parsed, { reconnect: true, connectionName: 'camq exporter' });
  const useApi = options.api !== false;
  // The fallback's queue names (no management API: Redis, or RabbitMQ without the plugin): the ones the events told
  // (task-sent's queue, sent only by producers with task_send_sent_event) and the ones the workers consume from
  // (`inspect active_queues`, as celery-exporter asks them), so a worker's queue is measured though no task-sent names it.
  // Where the broker cannot count consumers (Redis), the same replies give celery_active_consumer_count: how many
  // workers consume each queue (0 for a queue only the events named).
  const knownQueues: { names: () => string[] } = { names: () => [] };
  const control = new ControlClient({ connection });
  const lister = new QueueLister({
    broker: broker.parsed,
    apiUrl: useApi ? managementApiUrl(options.api as string | undefined, io, broker) : undefined,
    useApi,
    transport: () => Promise.resolve(connection),
    workerQueueConsumers: async () => {
      const consumers = new Map(await workerQueueConsumers(control).catch(() => new Map<string, number>()));
      for (const name of knownQueues.names()) if (!consumers.has(name)) consumers.set(name, 0);
      return consumers;
    },
  });
  const running = new Exporter({
    connection,
    lister,
    workerTimeoutSeconds: options.workerTimeout,
    purgeOfflineSeconds: options.purgeOfflineWorkerMetrics,
    defaultQueue: options.defaultQueueName,
    queueIntervalMs: options.queueInterval * 1000,
    genericHostnameTaskSent: options.genericHostnameTaskSentMetric === true,
    genericHostnameWorkerTask: options.genericHostnameWorkerTaskMetric === true,
  });
  knownQueues.names = () => running.metrics.queueNames();
  const server = new MetricsServer({
    source: { metrics: () => running.render(), contentType: running.contentType },
    health: () => running.health(),
    basicAuth: auth,
  });
  let stopping: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (stopping = resolve));
  const onSignal = () => stopping?.();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let lastPhase = '';
  running.receiver.on('status', (status) => {
    if (status.phase === lastPhase) return;
    lastPhase = status.phase;
    if (status.phase === 'reconnecting')
      writeLine(io.stderr, `exporter: connection lost (${status.error ?? 'closed'}), reconnecting; serving the last figures`);
    if (status.phase === 'connected' && status.reconnects > 0) writeLine(io.stderr, `exporter: reconnected to ${status.broker}`);
  });
  try {
    const bound = await server.listen(options.listen);
    await running.start();
    // A broker down at start is not fatal: /health says so and the exporter keeps trying.
    running.connect();
    const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    writeLine(io.stdout, `camq exporter: serving http://${host}:${bound.port}/metrics and /health for ${broker.masked}`);
    await stopped;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await server.close();
    await running.stop();
    await control.close().catch(() => {});
    await connection.close().catch(() => {});
    await broker.release();
  }
}
