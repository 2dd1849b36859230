import { Command, InvalidArgumentError, Option } from 'commander';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ExitCode, ExitRequest, UsageError } from '../../errors/index.js';
import { parseLogLevel } from '../../util/logger.js';
import type { Transport } from '../../transport/index.js';
import type { HelloCall } from '../../worker/mingle.js';
import { POOL_KINDS, type PoolKind } from '../../worker/pool.js';
import { parseQueueSpec, QUEUE_TYPES, type QueueType } from '../../worker/task-queue.js';
import { managementApiUrl, resolveBroker, type ResolvedBroker } from '../broker-option.js';
import { processIO, writeLine, type CliIO } from '../cli-io.js';
import { CAMQ_VERSION } from '../version.js';
import type { ListenAddress } from '../../http/listen-address.js';
import { listenOption } from './exporter.js';

interface WorkerCliOptions {
  app: string;
  hostname: string;
  concurrency?: number;
  queues?: string;
  taskEvents?: boolean;
  pool: PoolKind;
  prefetchMultiplier: number;
  acksLate?: boolean;
  statedb?: string;
  withoutMingle?: boolean;
  loglevel: string;
  timeLimit?: number;
  softTimeLimit?: number;
  shutdownTimeout: number;
  banner: boolean;
  metrics?: ListenAddress;
  resultSerializer: 'json' | 'msgpack' | 'yaml';
  resultBackend?: string;
  acceptContent: string;
  beat?: boolean;
  schedule: string;
  etaDelayAfter: number | null;
}

function positiveInt(name: string, allowZero = false) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < (allowZero ? 0 : 1))
      throw new InvalidArgumentError(`${name} must be a whole number${allowZero ? '' : ' above 0'}, got '${text}'`);
    return n;
  };
}

function seconds(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected seconds above 0, got '${text}'`);
  return n;
}

/**
 * The types of these queues from the management API (found as `camq queues` finds it, 2 s at most), or none when
 * it does not answer: the worker then learns them from its declares.
 */
async function queueTypesFromApi(broker: ResolvedBroker, apiUrl: string | undefined, names: readonly string[]): Promise<Map<string, QueueType>> {
  const [{ discoverManagementApi }, { parseQueueList, queueListPath }] = await Promise.all([
    import('../../queues/api-discovery.js'),
    import('../../queues/api-queue-figures.js'),
  ]);
  const found = new Map<string, QueueType>();
  const { api } = await discoverManagementApi({ broker: broker.parsed, apiUrl, timeoutMs: 2000 });
  if (!api) return found;
  const vhost = broker.parsed.vhost;
  const wanted = new Set(names);
  for (const q of parseQueueList(await api.get(queueListPath(vhost)), vhost) ?? []) {
    if (wanted.has(q.name) && q.type !== null && (QUEUE_TYPES as readonly string[]).includes(q.type)) found.set(q.name, q.type as QueueType);
  }
  return found;
}

/** `--eta-delay-after`: whole seconds (0 and up), or `off`. */
function delayAfter(text: string): number | null {
  if (text === 'off') return null;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected seconds (0 or more) or 'off', got '${text}'`);
  return n;
}

/** `camq worker`: run task handlers from a JS module as a Celery-compatible worker. */
export function createWorkerCommand(io: CliIO = processIO): Command {
  return new Command('worker')
    .description('run a Celery-compatible worker for the JS/TS task handlers of a module')
    .requiredOption(
      '-A, --app <module>',
      'task module: a .js/.mjs/.ts file whose default export registers tasks (see examples/tasks.js, examples/tasks.ts); .ts needs the typescript package',
    )
    .option('-n, --hostname <name>', 'node name; %h is the host name, %n its first part', 'camq@%h')
    .option('-c, --concurrency <n>', 'tasks run at once (default: number of CPUs)', positiveInt('--concurrency'))
    .option('-Q, --queues <list>', 'comma-separated queues to consume (default: celery); name:quorum declares a quorum queue')
    .option('-E, --task-events', 'send task events (worker events and heartbeats are always sent)')
    .addOption(new Option('-P, --pool <kind>', 'where handlers run').choices(POOL_KINDS).default('async'))
    .option('--prefetch-multiplier <n>', 'QoS = concurrency × this; 0 = unlimited', positiveInt('--prefetch-multiplier', true), 4)
    .option('--acks-late', 'ack after the task ran instead of when it starts')
    .option(
      '--eta-delay-after <s>',
      "ETAs further away than this wait in RabbitMQ's delay queues, not unacked in the worker (docs/worker.md, Long ETAs); 'off': never",
      delayAfter,
      300,
    )
    .option('-S, --statedb <file>', 'keep revoked ids across restarts in this file')
    .option('--without-mingle', 'do not ask the other workers for their revoked ids at start-up (mingling waits 1 s for replies)')
    .option('-l, --loglevel <level>', 'debug, info, warning, error, critical', 'warning')
    .option('--time-limit <s>', 'hard time limit for every task, in seconds', seconds)
    .option('--soft-time-limit <s>', 'soft time limit for every task, in seconds', seconds)
    .option('--shutdown-timeout <s>', 'how long a warm shutdown waits for running tasks', seconds, 60)
    .addOption(
      new Option('--result-serializer <name>', "what results are written in (Celery's result_serializer)")
        .choices(['json', 'msgpack', 'yaml'])
        .default('json'),
    )
    .option('--result-backend <url>', "where results go (Celery's result_backend): rpc:// (default) or redis://host:port/db")
    .option(
      '--accept-content <list>',
      "comma-separated serializers task messages may come in (Celery's accept_content: json, msgpack, yaml; pickle never)",
      'json',
    )
    .option('-B, --beat', "also run camq beat in this worker (the module's app.schedule entries; waits if another beat holds the lock)")
    .option('-s, --schedule <file>', 'with -B: where the last runs are kept', 'celerybeat-schedule.json')
    .option('--no-banner', 'do not print the start-up banner')
    .option('--metrics <addr>', "serve this worker's own metrics (camq_worker_*) on PORT, HOST:PORT or [IPv6]:PORT", listenOption)
    .action(async (options: WorkerCliOptions, command: Command) => {
      const level = parseLogLevel(options.loglevel);
      if (!level) throw new UsageError(`unknown log level '${options.loglevel}'; use debug, info, warning, error or critical`);
      const globals = command.optsWithGlobals<{ broker?: string; failover?: string }>();
      const [{ Worker, loadTaskModule }, { expandNodename }, { createLogger }, { ControlClient }] = await Promise.all([
        import('../../worker/index.js'),
        import('../../protocol/topology.js'),
        import('../../util/logger.js'),
        import('../../control/control-client.js'),
      ]);
      const broker = await resolveBroker(globals.broker, io, { failover: globals.failover });
      const { createResultBackend } = await import('../../transport/create-result-backend.js');
      const resultBackend = createResultBackend(options.resultBackend ?? 'rpc://');
      const app = await loadTaskModule(options.app);
      const logger = createLogger({ level, write: (line) => io.stderr.write(line + '\n') });
      const nodename = expandNodename(options.hostname, hostname());
      const queues = options.queues
        ? options.queues
            .split(',')
            .map((q) => q.trim())
            .filter(Boolean)
        : [app.defaultQueue];
      const worker = new Worker({
        app,
        broker: broker.parsed,
        hostname: nodename,
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
        queues,
        taskEvents: options.taskEvents ?? false,
        pool: options.pool,
        modulePath: options.app,
        prefetchMultiplier: options.prefetchMultiplier,
        acksLate: options.acksLate ?? false,
        etaDelayAfter: options.etaDelayAfter,
        queueTypes: (names) => queueTypesFromApi(broker, managementApiUrl(undefined, io, broker), names),
        ...(options.statedb ? { statedb: options.statedb } : {}),
        // Mingle's `hello` goes out with a control client on the worker's own connection, one client per mingle.
        ...(options.withoutMingle
          ? {}
          : {
              mingle:
                (transport: Transport): HelloCall =>
                async (method, args, callOptions) => {
                  const client = new ControlClient({ connection: transport });
                  try {
                    return await client.call(method, args, callOptions);
                  } finally {
                    await client.close();
                  }
                },
            }),
        timeLimit: options.timeLimit ?? null,
        softTimeLimit: options.softTimeLimit ?? null,
        shutdownTimeout: options.shutdownTimeout,
        resultSerializer: options.resultSerializer,
        ...(resultBackend ? { resultBackend } : {}),
        acceptContent: options.acceptContent
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        logger,
        logLevel: level,
        softwareVersion: CAMQ_VERSION,
      });
      if (options.banner) {
        io.stdout.write(
          banner({
            nodename,
            module: options.app,
            transport: broker.masked,
            results: resultBackend?.masked ?? 'rpc://',
            concurrency: `${worker.stats().pool['max-concurrency']} (${options.pool})`,
            events: options.taskEvents ? 'ON' : 'OFF (enable -E to monitor tasks in this worker)',
            queues,
            tasks: app.registry.names(),
          }),
        );
      }
      // Bound before the worker starts: an address that cannot be served ends the command before any task is taken.
      const metrics = options.metrics ? await serveWorkerMetrics(worker, nodename, options.metrics, io) : undefined;
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals++;
        if (signals === 1) {
          writeLine(io.stderr, `\nworker: Hitting ${signal === 'SIGINT' ? 'Ctrl+C' : signal} again will terminate all running tasks!`);
          void worker.stop('warm');
        } else {
          void worker.stop('cold');
        }
      };
      // Node exits (0) when nothing is left to wait for: a worker that still runs then has lost its connection and
      // every timer without stopping, a bug. Never let that pass silently.
      const onDrained = () => {
        writeLine(
          io.stderr,
          'worker: internal error: nothing left to wait for, but the worker never stopped (no connection, no reconnect); exiting 1',
        );
        process.exitCode = ExitCode.usage;
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      process.once('beforeExit', onDrained);
      let stopBeat: (() => Promise<void>) | undefined;
      try {
        await resultBackend?.connect();
        await worker.start();
        if (options.beat) stopBeat = await embedBeat(app, broker.parsed, nodename, options.schedule, logger);
        const { mode } = await worker.done;
        // The README's promise: a cold shutdown exits 1. Through runCli (which sets the process's exit code last),
        // not process.exitCode, which runCli would overwrite with 0.
        if (mode === 'cold') throw new ExitRequest(ExitCode.usage, 'cold shutdown');
      } finally {
        process.off('beforeExit', onDrained);
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        await stopBeat?.();
        await metrics?.();
        await resultBackend?.close();
        await broker.release();
      }
    });
}

/**
 * `-B`: camq beat inside the worker, as `celery worker -B`. Its sends go through the app, on the worker's connection;
 * its lock and announcements on a connection of its own. It waits for the lock instead of refusing it, so a second
 * `worker -B` keeps working as a worker and takes over beat when the first goes. Resolves with what stops it.
 */
async function embedBeat(
  app: import('../../worker/app.js').CamqApp,
  broker: import('../../transport/index.js').BrokerUrl,
  nodename: string,
  schedule: string,
  logger: import('../../util/logger.js').Logger,
): Promise<() => Promise<void>> {
  if (app.schedules.length === 0) {
    logger.warning('beat: -B given, but the task module defines no app.schedule entries; nothing to send');
    return async () => {};
  }
  const [{ createAppBeat }, { createTransport }] = await Promise.all([import('./beat.js'), import('../../transport/index.js')]);
  const connection = createTransport(broker, { reconnect: true, connectionName: `camq beat in ${nodename}` });
  await connection.connect();
  const beat = await createAppBeat({ app, connection, hostname: `beat.${nodename}`, schedulePath: resolve(schedule), waitForLock: true, logger });
  await beat.start();
  logger.info('beat: Starting...');
  return async () => {
    await beat.stop();
    await connection.close();
  };
}

/** `--metrics`: WorkerMetrics on an HTTP server of its own; resolves with what stops both. */
async function serveWorkerMetrics(
  worker: import('../../metrics/index.js').ObservedWorker,
  nodename: string,
  address: ListenAddress,
  io: CliIO,
): Promise<() => Promise<void>> {
  const [{ WorkerMetrics }, { MetricsServer }] = await Promise.all([import('../../metrics/index.js'), import('../../http/metrics-server.js')]);
  const metrics = new WorkerMetrics(worker);
  const server = new MetricsServer({
    source: { metrics: () => metrics.registry.metrics(), contentType: metrics.registry.contentType },
    health: () => ({ ok: true, reason: `worker ${nodename} is running` }),
    title: `camq worker ${nodename}`,
  });
  try {
    const bound = await server.listen(address);
    writeLine(
      io.stderr,
      `worker: serving its metrics on http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}/metrics`,
    );
  } catch (err) {
    metrics.stop();
    throw err;
  }
  return async () => {
    metrics.stop();
    await server.close();
  };
}

/** A short start-up banner in the shape of Celery's. */
export function banner(info: {
  nodename: string;
  module: string;
  transport: string;
  /** @defaultValue 'rpc://' */
  results?: string;
  concurrency: string;
  events: string;
  queues: readonly string[];
  tasks: readonly string[];
}): string {
  const art = [
    ' -------------- ',
    '--- ***** ----- ',
    '-- ******* ---- ',
    '- *** --- * --- ',
    '- ** ---------- ',
    '- ** ---------- ',
    '- ** ---------- ',
    '- ** ---------- ',
    '- *** --- * --- ',
    '-- ******* ---- ',
    '--- ***** ----- ',
    ' -------------- ',
  ];
  const right = [
    `${info.nodename} v${CAMQ_VERSION} (camq)`,
    '',
    `${process.platform} node ${process.versions.node}`,
    '',
    '[config]',
    `.> app:         ${info.module}`,
    `.> transport:   ${info.transport}`,
    `.> results:     ${info.results ?? 'rpc://'}`,
    `.> concurrency: ${info.concurrency}`,
    `.> task events: ${info.events}`,
    '',
    '[queues]',
  ];
  const lines = art.map((a, i) => `${a}${right[i] ?? ''}`.trimEnd());
  for (const spec of info.queues) {
    const { name: q, type } = parseQueueSpec(spec);
    lines.push(`                .> ${q.padEnd(16)} exchange=${q}(direct) key=${q}${type ? ` type=${type}` : ''}`);
  }
  lines.push('', '[tasks]', ...info.tasks.map((t) => `  . ${t}`), '');
  return lines.join('\n') + '\n';
}
