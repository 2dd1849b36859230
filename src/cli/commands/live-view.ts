import { actionPolicyFor } from '../read-only.js';
import { setFlagsFromString } from 'node:v8';
import { createElement } from 'react';
import { BeatBoard, sendBeatQuery } from '../../beat/beat-board.js';
import { UsageError } from '../../errors/index.js';
import { ControlClient } from '../../control/index.js';
import { ClusterStore, EventReceiver } from '../../events/index.js';
import { QueueLister } from '../../queues/queue-lister.js';
import { QueueWatcher } from '../../queues/queue-watcher.js';
import { workerQueueNames } from '../../queues/worker-queue-names.js';
import { ShellSession } from '../../shell/shell-session.js';
import { createTransport } from '../../transport/index.js';
import { App, type AppProps } from '../../tui/app.js';
import { shareInkLineCacheAcrossFrames } from '../../tui/ink-line-cache.js';
import { systemClock } from '../../util/clock.js';
import { managementApiUrl, resolveBroker, type ResolvedBroker } from '../broker-option.js';
import { useColor, writeLine, type CliIO } from '../cli-io.js';
import { runFullScreenView } from '../full-screen-view.js';
import { openViewJournal } from './journal-options.js';
import { controlActionsFor, failureRetryFor, queueActionsFor, shellEngineFor } from './live-view-engines.js';
import { TaskDispatcher } from '../../dispatch/task-dispatcher.js';
import { RetryLinks } from '../../failures/retry-links.js';
import { loadJournalHistory, type HistoryInfo } from '../../history/history-loader.js';
import { DEFAULT_MAX_TASKS } from '../../events/cluster-state.js';

export interface LiveViewOptions {
  /** The -b flag, or a broker resolved already (the demo's). */
  readonly broker?: string | ResolvedBroker | undefined;
  readonly maxTasks?: number | undefined;
  /** `--read-only`: the view's actions (revoke, rate limit, purge, move, mutating `:` commands) are refused. */
  readonly readOnly?: boolean | undefined;
  /** `--failover` for a URL list. */
  readonly failover?: string | undefined;
  /** Close the view when this aborts (the demo's --duration), as if `q` was pressed. */
  readonly until?: AbortSignal | undefined;
  /** Called once the receiver is consuming, before the view mounts (the demo starts its workers then). */
  readonly onReady?: (() => void) | undefined;
  /** `--journal DIR`, false for `--no-journal` (docs/journal.md). @defaultValue the broker's journal */
  readonly journal?: string | false | undefined;
}

/**
 * Snapshots (and so frames) per second at most, however fast events arrive: a frame of the 160×50 view costs ~15 ms
 * of CPU when most of its lines are new (docs/live-view.md, What a frame costs), so 5 a second keeps a 10,000
 * events/s stream under a quarter of a core with the events' own decoding; keys still answer at once (they render
 * on their own, up to Ink's 30 frames a second).
 */
export const LIVE_VIEW_FRAMES_PER_SECOND = 5;

/**
 * V8's old generation may grow to about twice what is live before it collects: the view holds ~90 MB (10,000 tasks,
 * the line cache) but a fast stream turns the task store over every few seconds, and the default growth let RSS
 * reach 400–800 MB (issue 13). Growing by 40 % at most keeps the peak near 250 MB for a few % of a core more GC;
 * read by V8 at each collection, so it applies when set at run time (a heap size limit would not).
 */
const HEAP_GROWING_PERCENT = 40;

/**
 * `camq` with no subcommand (and `camq events` without --dump): connect, start the event receiver, and mount the
 * Ink app on the alternate screen until `q` or Ctrl-C; the terminal is restored on the way out, also on SIGTERM.
 * This module is only ever imported lazily, so the other commands never load Ink or React.
 */
export async function runLiveView(options: LiveViewOptions, io: CliIO): Promise<void> {
  if (!io.stdin.isTTY || !io.stdout.isTTY) {
    throw new UsageError('the live view needs a terminal; to print events instead, run `camq events --dump` (or --json)');
  }
  const broker = await resolveBroker(options.broker, io, { management: true, failover: options.failover });
  // Until the view mounts, this line is all the terminal shows: a broker that does not answer is not a blank screen.
  writeLine(io.stderr, `-> connecting to ${broker.masked}.`);
  const connection = createTransport(broker.parsed, { reconnect: true, connectionName: 'camq live view' });
  const store = new ClusterStore({
    clock: systemClock,
    broker: broker.masked,
    maxTasks: options.maxTasks,
    maxUpdatesPerSecond: LIVE_VIEW_FRAMES_PER_SECOND,
  });
  const receiver = new EventReceiver({ connection });
  // What the view sees goes to the journal too; a journal that cannot be written is one line here, not a stop.
  const journal = await openViewJournal(options.journal, broker, io);
  // The view opens with the journal's history (its newest --max-tasks tasks), then goes live.
  const startedMs = systemClock.now();
  const reader = journal?.reader();
  let history: HistoryInfo | undefined;
  const retryLinks = new RetryLinks();
  if (reader !== undefined) {
    history = loadJournalHistory(reader, store, options.maxTasks ?? DEFAULT_MAX_TASKS, startedMs);
    retryLinks.addActions(reader.actions({ since: history.since }));
  }
  receiver.on('events', (events) => {
    journal?.appendEvents(events);
    store.dispatch(events);
  });
  // The beat screen (B): beat-schedule events from the same stream, kept apart from the cluster state.
  const beats = new BeatBoard({ clock: systemClock });
  receiver.on('events', (events) => beats.dispatch(events));
  receiver.on('status', (status) => store.setConnection(status));
  // Remote control and the shell share the view's connection; each keeps its own channel.
  const actions = actionPolicyFor(options.readOnly, io, { journal });
  const control = new ControlClient({ connection, actions });
  const dispatcher = new TaskDispatcher({ connection, actions });
  let session: ShellSession | undefined;
  try {
    await receiver.start();
    await connection.connect();
    session = await ShellSession.open({ connection, actions });
  } catch (err) {
    journal?.close();
    await connection.close();
    await broker.release();
    throw err;
  }
  // The queues pane: the queues engine's watcher lists on the brokers' sampling interval, through the management API
  // when it answers for this broker (found as `camq queues` finds it), else AMQP passive declares on this connection.
  const lister = new QueueLister({
    broker: broker.parsed,
    apiUrl: managementApiUrl(undefined, io, broker),
    transport: () => Promise.resolve(connection),
    workerQueueNames: () => workerQueueNames(control),
  });
  const watcher = new QueueWatcher(lister, { clock: systemClock });
  watcher.start();
  const engines: Pick<AppProps, 'control' | 'shell' | 'queues' | 'beats' | 'history' | 'retry' | 'retryLinks' | 'rangeSource'> = {
    control: controlActionsFor(control),
    shell: shellEngineFor(session),
    queues: queueActionsFor(watcher, connection, actions),
    beats,
    history: history === undefined ? undefined : { info: history, startedMs },
    retry: failureRetryFor(dispatcher, reader),
    retryLinks,
    // A time range (t, [ ]) older than what the view holds is read from the journal.
    rangeSource: reader,
  };
  // A running beat announces every 5 s; asked, it answers at once.
  void sendBeatQuery(connection, `camq-view@${process.pid}`).catch(() => {});
  options.onReady?.();

  await shareInkLineCacheAcrossFrames();
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  try {
    await runFullScreenView(createElement(App, { store, clock: systemClock, isColor: useColor(io), ...engines }), io, { until: options.until });
  } finally {
    watcher.stop();
    store.close();
    await session.close();
    await dispatcher.close();
    await control.close();
    await receiver.stop();
    journal?.close();
    await connection.close();
    await broker.release();
  }
}
