// bench/journal: the journal's figures (docs/journal.md).
//   1. appends per second: 1,000,000 Celery task events through Journal.appendEvents (JSON, CRC, batched writes),
//      and bytes per event on disk;
//   2. opening that journal as the live view does, in a fresh process: open for writing, the newest 10,000 tasks'
//      events into a ClusterStore, the actions since; then the history summary from the segment indexes;
//   3. `camq record`'s engine against Celery's own events.State consumer (bench/events/celery_state.py, run as
//      /usr/bin/python3), fed the same stream through RabbitMQ in the same run: CPU per event.
//
//   npm run bench:journal          (CAMQ_BENCH_BROKER_URL or CAMQ_TEST_BROKER_URL picks the broker/vhost)
//   BENCH_EVENTS=1000000 BENCH_RECORDER_TASKS=30000 BENCH_ONLY=append|recorder npm run bench:journal
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openJournal } from '../../dist/journal/index.js';
import { createTransport, publishMessage } from '../../dist/transport/index.js';
import { EVENT_EXCHANGE } from '../../dist/protocol/topology.js';
import { startConsumer } from '../consumer-process.mjs';
import { buildStream, stopMessage } from '../events/event-stream.mjs';
import { journalEvents } from './journal-events.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const url = process.env.CAMQ_BENCH_BROKER_URL ?? process.env.CAMQ_TEST_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672//';
const total = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const recorderTasks = Number(process.env.BENCH_RECORDER_TASKS ?? 30_000);
const only = process.env.BENCH_ONLY ?? '';
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const fmt = (n, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-';

async function appendAndOpen() {
  const dir = mkdtempSync(join(tmpdir(), 'camq-bench-journal-'));
  try {
    const journal = openJournal({ dir });
    const source = journalEvents(total);
    let appendMs = 0;
    let appendCpuMs = 0;
    let written = 0;
    let jsonBytes = 0;
    for (;;) {
      const batch = [];
      for (let i = 0; i < 10_000; i++) {
        const next = source.next();
        if (next.done) break;
        batch.push(next.value);
      }
      if (batch.length === 0) break;
      if (written === 0) jsonBytes = JSON.stringify(batch[0]).length + JSON.stringify(batch[1]).length + JSON.stringify(batch[2]).length;
      const t = performance.now();
      const c = cpuMs();
      journal.appendEvents(batch);
      appendMs += performance.now() - t;
      appendCpuMs += cpuMs() - c;
      written += batch.length;
    }
    const t = performance.now();
    const c = cpuMs();
    journal.close();
    appendMs += performance.now() - t;
    appendCpuMs += cpuMs() - c;
    const segments = journal.reader().segments();
    const bytes = segments.reduce((n, s) => n + s.bytes, 0);
    const evBytes = segments.filter((s) => s.kind === 'ev').reduce((n, s) => n + s.bytes, 0);
    const du = Number(execFileSync('du', ['-sb', dir]).toString().split('\t')[0]);
    const opened = JSON.parse(execFileSync(process.execPath, [join(here, 'open-journal.mjs'), dir]).toString());
    const openCpuMs = opened.cpuMs;
    console.log(
      `\nbench/journal: ${fmt(written)} Celery task events (received, started, succeeded/failed, heartbeats; 50 workers); load average ${loadavg()
        .map((l) => fmt(l, 1))
        .join(' ')} on ${fmt(availableParallelism())} cores`,
    );
    console.log(
      `appends per second (JSON, key hash, batch CRC, 4 MB writes, segment rotation): ${fmt(written / (appendMs / 1000))} wall, ${fmt(written / (appendCpuMs / 1000))} per CPU-second  (target >= 100,000)`,
    );
    console.log(
      `bytes per event on disk: ${fmt(bytes / written, 1)} in segments (${fmt(evBytes / written, 1)} in \`ev\` segments, the rest failure copies; ${fmt(du / written, 1)} with indexes), ${segments.length} segments; mean event JSON ${fmt(jsonBytes / 3)} bytes`,
    );
    console.log(
      `open into the live view (fresh process, as live-view.ts does): ${fmt(opened.totalMs)} ms wall, ${fmt(openCpuMs)} ms CPU  (target < 3,000): import ${fmt(opened.importMs)}, open for writing (seal, prune) ${fmt(opened.openMs)}, newest ${fmt(opened.eventsLoaded)} events into a ClusterStore ${fmt(opened.historyMs)} (${fmt(opened.tasksKept)} tasks kept), actions since then ${fmt(opened.actionsMs)}`,
    );
    console.log(
      `history summary from the segment indexes: ${fmt(opened.summaryMs)} ms (${fmt(opened.summary.tasks)} tasks, ${fmt(opened.summary.events)} events)`,
    );
    const t2 = performance.now();
    const c2 = cpuMs();
    const history = journal.reader().tasks({ name: 'proj.tasks.fail', state: 'FAILURE' });
    console.log(
      `full scan (camq history --task proj.tasks.fail --state FAILURE over all of it): ${fmt(performance.now() - t2)} ms wall, ${fmt(cpuMs() - c2)} ms CPU, ${fmt(history.length)} tasks`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function recorderAgainstCelery() {
  const stream = buildStream({ workers: 50, tasks: recorderTasks });
  const queue = `camq.recorder.bench-${process.pid}`;
  const consumers = [
    startConsumer('recorder', process.execPath, [join(here, 'recorder-consumer.mjs'), url, String(stream.events), queue], here),
    startConsumer('celery', '/usr/bin/python3', [join(here, '..', 'events', 'celery_state.py'), url, String(stream.events)], here),
  ];
  await Promise.all(consumers.map((c) => c.phase('ready', 60_000)));
  const connection = await createTransport(url, { connectionName: 'camq bench publisher' }).connect();
  const channel = await connection.openChannel();
  await channel.assertExchange(EVENT_EXCHANGE.name, EVENT_EXCHANGE.type, { durable: EVENT_EXCHANGE.durable, autoDelete: false });
  for (const m of stream.messages) await publishMessage(channel, m);
  await Promise.all(consumers.map((c) => c.phase('done')));
  await publishMessage(channel, stopMessage());
  const [recorder, celery] = await Promise.all(consumers.map((c) => c.phase('result', 120_000)));
  await Promise.all(consumers.map((c) => c.exited));
  await channel.close();
  await connection.close();
  const perEvent = (r) => (r.cpuSeconds / r.events) * 1e6;
  console.log(
    `\nrecorder vs Celery's events.State, the same ${fmt(stream.events)} events in ${fmt(stream.messages.length)} messages through ${new URL(url).host}:`,
  );
  console.log(
    `  camq record (Recorder engine, journal writes, acks): ${fmt(perEvent(recorder), 2)} µs CPU per event, ${fmt(recorder.eventsPerCpuSecond)} events per CPU-second, peak RSS ${fmt(recorder.peakRssMb)} MB, ${fmt(recorder.bytesPerEvent, 1)} bytes per event on disk`,
  );
  console.log(
    `  Celery events.State (app.events.Receiver, no-ack):    ${fmt(perEvent(celery), 2)} µs CPU per event, ${fmt(celery.eventsPerCpuSecond)} events per CPU-second, peak RSS ${fmt(celery.peakRssMb)} MB`,
  );
  console.log(`  recorder CPU per event / Celery's: ${fmt(perEvent(recorder) / perEvent(celery), 2)}×`);
}

if (only !== 'recorder') await appendAndOpen();
if (only !== 'append') await recorderAgainstCelery();
