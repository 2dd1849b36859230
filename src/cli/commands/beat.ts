import { Command } from 'commander';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Beat, EntryView } from '../../beat/index.js';
import { UsageError } from '../../errors/index.js';
import type { Transport } from '../../transport/index.js';
import { parseLogLevel, type Logger } from '../../util/logger.js';
import type { CamqApp } from '../../worker/app.js';
import { brokerOption, failoverOption, resolveBroker, type ResolvedBroker } from '../broker-option.js';
import { processIO, writeLine, type CliIO } from '../cli-io.js';
import { renderAlignedTable } from '../output/aligned-table.js';
import { styleFor } from '../output/style.js';
import { parseSeconds } from '../seconds-option.js';
import { nextStopSignal } from '../stop-signal.js';
import { CAMQ_VERSION } from '../version.js';

/** Celery's `beat_schedule_filename` default, with `.json`: camq's state is JSON, and a Python beat's shelve may sit beside it. */
export const DEFAULT_SCHEDULE_FILE = 'celerybeat-schedule.json';

interface BeatCliOptions {
  app: string;
  schedule: string;
  maxInterval: number;
  waitLock?: boolean;
  lock: string;
  hostname: string;
  loglevel: string;
  list?: boolean;
  json?: boolean;
  timeout: number;
}

/** What a beat inside a process needs: the app's entries and publishing path, where to keep state, how to log. */
export interface AppBeatOptions {
  readonly app: CamqApp;
  readonly connection: Transport;
  readonly hostname: string;
  readonly schedulePath: string;
  readonly maxIntervalSeconds?: number | undefined;
  readonly lockName?: string | undefined;
  readonly waitForLock: boolean;
  readonly logger: Logger;
}

/**
 * The app's schedule as a Beat on a connection: due entries go out through the app's own publishing path
 * (`app.taskOf(task).applyAsync`, as Celery's beat calls `task.apply_async` or `send_task`); used by `camq beat` and
 * `camq worker -B`.
 */
export async function createAppBeat(options: AppBeatOptions): Promise<Beat> {
  const { Beat, BeatScheduler, BeatStateFile, resolveZone } = await import('../../beat/index.js');
  const { app, logger } = options;
  const zone = resolveZone(app.conf);
  const scheduler = new BeatScheduler({
    entries: app.schedules,
    send: (entry) => app.taskOf(entry.task).applyAsync({ args: [...entry.args], kwargs: entry.kwargs, ...entry.options }),
    state: new BeatStateFile({ path: options.schedulePath, timezone: app.conf.timezone ?? null, enableUtc: app.conf.enableUtc, logger }),
    zone,
    ...(options.maxIntervalSeconds ? { maxIntervalMs: options.maxIntervalSeconds * 1000 } : {}),
    logger,
  });
  return new Beat({
    connection: options.connection,
    scheduler,
    hostname: options.hostname,
    ...(options.lockName ? { lockName: options.lockName } : {}),
    waitForLock: options.waitForLock,
    logger,
  });
}

/** `camq beat`: send the task module's periodic entries when due, like `celery beat`; `--list` prints them. */
export function createBeatCommand(io: CliIO = processIO): Command {
  return new Command('beat')
    .description(
      "send the task module's periodic tasks when they are due, like celery beat (one beat per broker: a lock on the broker refuses a second)",
    )
    .requiredOption('-A, --app <module>', 'task module whose app.schedule(...) entries to send (see docs/beat.md)')
    .option('-s, --schedule <file>', 'where the last runs are kept across restarts (JSON)', DEFAULT_SCHEDULE_FILE)
    .option('--max-interval <s>', 'longest sleep between looks at the schedule, in seconds (default 300)', parseSeconds)
    .option('--wait-lock', 'when another beat holds the lock, wait and take over when it stops, instead of exiting')
    .option(
      '--lock <name>',
      'the lock (an exclusive queue on the broker); beats of separate schedules on one broker need separate names',
      'camq.beat.lock',
    )
    .option('-n, --hostname <name>', 'the name it announces itself by', `beat@${hostname()}`)
    .option('-l, --loglevel <level>', 'debug, info, warning, error, critical', 'info')
    .option('--list', 'print the schedule (from the module and its state file, and from the running beat if one answers), then exit')
    .option('--json', 'with --list: print JSON')
    .option('--timeout <s>', 'with --list: how long to wait for the running beat to answer', parseSeconds, 2)
    .addOption(brokerOption())
    .addOption(failoverOption())
    .action(async (options: BeatCliOptions, command: Command) => {
      const level = parseLogLevel(options.loglevel);
      if (!level) throw new UsageError(`unknown log level '${options.loglevel}'; use debug, info, warning, error or critical`);
      const globals = command.optsWithGlobals<{ broker?: string; failover?: string }>();
      const [{ loadTaskModule }, { createLogger }, { createTransport }, { beatLockKind }] = await Promise.all([
        import('../../worker/task-module.js'),
        import('../../util/logger.js'),
        import('../../transport/index.js'),
        import('../../beat/beat-lock.js'),
      ]);
      const app = await loadTaskModule(options.app);
      if (app.schedules.length === 0) {
        throw new UsageError(
          `the task module ${options.app} defines no periodic entries; add one with app.schedule('name', { task: 'tasks.add', every: '30s' })`,
          'usage.bad-schedule',
        );
      }
      const broker = await resolveBroker(globals.broker, io, { failover: globals.failover });
      const logger = createLogger({ level, write: (line) => io.stderr.write(line + '\n') });
      const schedulePath = resolve(options.schedule);
      if (options.list) return printList(app, schedulePath, broker, options, io);
      const connection = createTransport(broker.parsed, { reconnect: true, connectionName: `camq beat ${options.hostname}` });
      io.stderr.write(
        beatBanner({
          broker: broker.masked,
          db: schedulePath,
          maxInterval: options.maxInterval ?? 300,
          level,
          lock: options.lock,
          lockKind: beatLockKind(connection),
          zone: app.conf.timezone ?? 'UTC',
        }),
      );
      try {
        await connection.connect();
        app.useConnection(connection);
        const beat = await createAppBeat({
          app,
          connection,
          hostname: options.hostname,
          schedulePath,
          maxIntervalSeconds: options.maxInterval,
          lockName: options.lock,
          waitForLock: options.waitLock ?? false,
          logger,
        });
        const failed = new Promise<never>((_, reject) => connection.once('failed', reject));
        failed.catch(() => {});
        await beat.start();
        logger.info('beat: Starting...');
        try {
          await Promise.race([nextStopSignal(), failed]);
        } finally {
          logger.info('beat: Shutting down...');
          await beat.stop();
        }
      } finally {
        await app.close();
        await connection.close();
        await broker.release();
      }
    });
}

async function printList(app: CamqApp, schedulePath: string, broker: ResolvedBroker, options: BeatCliOptions, io: CliIO): Promise<void> {
  const { BeatScheduler, BeatStateFile, queryRunningBeat, resolveZone } = await import('../../beat/index.js');
  const { createTransport } = await import('../../transport/index.js');
  // Read-only: the state file is read for the last runs, never written by a listing.
  const file = new BeatStateFile({ path: schedulePath, timezone: app.conf.timezone ?? null, enableUtc: app.conf.enableUtc });
  const scheduler = new BeatScheduler({
    entries: app.schedules,
    send: () => Promise.reject(new Error('listing only')),
    state: { load: () => file.load(), save: () => {} },
    zone: resolveZone(app.conf),
  });
  const local = scheduler.view();
  const connection = createTransport(broker.parsed, { reconnect: false, connectionName: 'camq beat --list' });
  let running;
  // A broker that cannot be reached still leaves the module's schedule and its state file to show: they are printed,
  // then the broker's error ends the command (its exit code says the running beat was not asked).
  let brokerError: Error | undefined;
  try {
    await connection.connect();
    running = await queryRunningBeat(connection, { timeoutMs: options.timeout * 1000, hostname: `list@${hostname()}` });
  } catch (err) {
    brokerError = err instanceof Error ? err : new Error(String(err));
  } finally {
    await connection.close();
    await broker.release();
  }
  if (options.json) {
    io.stdout.write(
      JSON.stringify({ module: options.app, state: schedulePath, entries: local.map(jsonEntry), running: running ?? null }, null, 2) + '\n',
    );
    if (brokerError !== undefined) throw brokerError;
    return;
  }
  const style = styleFor(io);
  writeLine(io.stdout, `${options.app} (${schedulePath}):`);
  io.stdout.write(renderAlignedTable(entryTable(local), style) + '\n');
  if (running) {
    const entries: EntryView[] = running.entries.map((e) => ({
      name: e.name,
      task: e.task,
      kind: e.kind,
      schedule: e.schedule,
      lastRunAt: e.last_run_at === null ? null : e.last_run_at * 1000,
      nextRunAt: e.next_run_at * 1000,
      totalRunCount: e.total_run_count,
    }));
    writeLine(io.stdout, `\nrunning beat ${running.hostname} (lock ${running.lock}, zone ${running.timezone}):`);
    io.stdout.write(renderAlignedTable(entryTable(entries), style) + '\n');
  } else if (brokerError === undefined) {
    writeLine(io.stdout, `\nno running beat answered within ${options.timeout} s`);
  } else {
    throw brokerError;
  }
}

function jsonEntry(v: EntryView) {
  return {
    name: v.name,
    task: v.task,
    schedule: v.schedule,
    last_run_at: v.lastRunAt === null ? null : new Date(v.lastRunAt).toISOString(),
    next_run_at: new Date(v.nextRunAt).toISOString(),
    total_run_count: v.totalRunCount,
  };
}

function entryTable(entries: readonly EntryView[]) {
  const time = (ms: number | null) =>
    ms === null
      ? '-'
      : new Date(ms)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, 'Z');
  return {
    head: ['NAME', 'TASK', 'SCHEDULE', 'NEXT RUN', 'LAST RUN', 'RUNS'],
    rows: entries.map((e) => [e.name, e.task, e.schedule, time(e.nextRunAt), time(e.lastRunAt), String(e.totalRunCount)]),
  };
}

/** Celery beat's start-up lines, to stderr. */
function beatBanner(info: { broker: string; db: string; maxInterval: number; level: string; lock: string; lockKind: string; zone: string }): string {
  return [
    `camq beat v${CAMQ_VERSION} is starting.`,
    `LocalTime -> ${new Date().toISOString().replace('T', ' ').slice(0, 19)}Z`,
    'Configuration ->',
    `    . broker -> ${info.broker}`,
    `    . scheduler -> camq BeatScheduler (zone ${info.zone})`,
    `    . db -> ${info.db}`,
    `    . lock -> ${info.lock} (${info.lockKind})`,
    `    . logfile -> [stderr]@%${info.level.toUpperCase()}`,
    `    . maxinterval -> ${info.maxInterval} s`,
    '',
  ].join('\n');
}
