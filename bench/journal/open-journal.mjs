// Opens a journal as the live view would: the history summary from the segment indexes, then the newest 10,000
// tasks' events into a ClusterState. Prints one JSON line of timings (ms), run in a fresh process by run.mjs.
const t0 = performance.now();
const { readJournal } = await import('../../dist/journal/index.js');
const { ClusterState } = await import('../../dist/events/index.js');
const t1 = performance.now();
const reader = readJournal(process.argv[2]);
const summary = reader.summary();
const t2 = performance.now();
const events = reader.recentEvents(10_000);
const t3 = performance.now();
const state = new ClusterState({ maxTasks: 10_000 });
state.applyAll(events, Date.now());
const t4 = performance.now();
process.stdout.write(
  JSON.stringify({
    importMs: t1 - t0,
    summaryMs: t2 - t1,
    readMs: t3 - t2,
    applyMs: t4 - t3,
    totalMs: t4 - t0,
    cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    summary,
    eventsLoaded: events.length,
    tasksKept: state.tasks.size,
  }) + '\n',
);
