import { createElement } from 'react';
import { UsageError } from '../../errors/index.js';
import { ClusterStore } from '../../events/index.js';
import { EventReplay } from '../../history/event-replay.js';
import { readReplaySource } from '../../history/replay-source.js';
import { App } from '../../tui/app.js';
import { systemClock } from '../../util/clock.js';
import { useColor, writeLine, type CliIO } from '../cli-io.js';
import { runFullScreenView } from '../full-screen-view.js';
import { LIVE_VIEW_FRAMES_PER_SECOND } from './live-view.js';

export interface ReplayViewOptions {
  readonly source: string;
  /** Infinity: all at once. */
  readonly speed: number;
  readonly maxTasks?: number | undefined;
  /** Close the view when this aborts (tests). */
  readonly until?: AbortSignal | undefined;
}

/** `camq replay`: read the events, mount the live view with no broker and feed it at the chosen pace until `q`. */
export async function runReplayView(options: ReplayViewOptions, io: CliIO): Promise<void> {
  if (!io.stdin.isTTY || !io.stdout.isTTY) {
    throw new UsageError('the replay view needs a terminal; to list the recorded tasks instead, run `camq history`');
  }
  const source = readReplaySource(options.source, (line) => writeLine(io.stderr, `camq: ${line}`));
  const label = `replay of ${options.source}`;
  const store = new ClusterStore({ clock: systemClock, broker: label, maxTasks: options.maxTasks, maxUpdatesPerSecond: LIVE_VIEW_FRAMES_PER_SECOND });
  store.setConnection({ phase: 'connected', broker: label, reconnects: 0 });
  const pace = options.speed === Infinity ? 'all at once' : options.speed === 1 ? 'real speed' : `${options.speed}× speed`;
  const title = `${label}: ${source.events.length} events, ${pace} · no broker: actions are off`;
  const replay = new EventReplay(source.events, store, { clock: systemClock, speed: options.speed });
  try {
    await runFullScreenView(
      createElement(App, {
        store,
        clock: systemClock,
        isColor: useColor(io),
        title,
        // All at once, the events keep their recorded times: a range older than the tasks kept reads the journal.
        rangeSource: options.speed === Infinity ? source.journal : undefined,
        retry: {
          plan: () => ({ plans: [], refused: [] }),
          send: () => Promise.resolve([]),
          unavailable: 'a replay has no broker: retry from the live view (camq -b …, F)',
        },
      }),
      io,
      { until: options.until, afterMount: () => replay.start() },
    );
  } finally {
    replay.stop();
    store.close();
  }
}
