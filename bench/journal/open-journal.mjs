// Opens a journal as the live view does (src/cli/commands/live-view.ts): the journal opened for writing (which seals
// dead writers' segments and prunes), its newest 10,000 tasks' events loaded into a ClusterStore by
// loadJournalHistory, and the actions since then read for the retry links; then, apart, the history summary from the
// segment indexes. Prints one JSON line of timings (ms), run in a fresh process by run.mjs.
const t0 = performance.now();
const { openJournal } = await import('../../dist/journal/index.js');
const { ClusterStore } = await import('../../dist/events/index.js');
const { loadJournalHistory } = await import('../../dist/history/history-loader.js');
const { systemClock } = await import('../../dist/util/clock.js');
const t1 = performance.now();
const journal = openJournal({ dir: process.argv[2] });
const t2 = performance.now();
const reader = journal.reader();
const store = new ClusterStore({ clock: systemClock, maxTasks: 10_000 });
const history = loadJournalHistory(reader, store, 10_000, Date.now());
const t3 = performance.now();
const actions = reader.actions({ since: history.since });
const t4 = performance.now();
const cpuMs = (process.cpuUsage().user + process.cpuUsage().system) / 1000;
const summary = reader.summary();
const t5 = performance.now();
store.close();
journal.close();
process.stdout.write(
  JSON.stringify({
    importMs: t1 - t0,
    openMs: t2 - t1,
    historyMs: t3 - t2,
    actionsMs: t4 - t3,
    totalMs: t4 - t0,
    cpuMs,
    summaryMs: t5 - t4,
    summary,
    eventsLoaded: history.events,
    actions: actions.length,
    tasksKept: store.state.tasks.size,
  }) + '\n',
);
