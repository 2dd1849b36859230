// The recorder's side of the CPU comparison: the real Recorder engine (its durable queue on celeryev, acks after
// writes) into a journal in a temporary directory. Prints JSON lines like bench/events/celery_state.py: ready, done, result.
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from '../../dist/transport/index.js';
import { openJournal } from '../../dist/journal/index.js';
import { Recorder, deleteRecorderQueue } from '../../dist/recorder/index.js';

const [url, expectedText, queue] = process.argv.slice(2);
const expected = Number(expectedText);
const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const dir = mkdtempSync(join(tmpdir(), 'camq-bench-journal-'));
const journal = openJournal({ dir });
const connection = createTransport(url, { connectionName: 'camq bench recorder' });
const recorder = new Recorder({ connection, journal, queue });
let start;
let done;
const originalAppend = journal.appendEvents;
journal.appendEvents = (events) => {
  if (start === undefined) start = { cpu: cpu(), wall: performance.now() };
  originalAppend(events);
};
recorder.on('consuming', () => say({ phase: 'ready' }));
const timer = setInterval(() => {
  const { events } = recorder.stats;
  if (done === undefined && events >= expected) {
    recorder.flush();
    done = { cpu: cpu(), wall: performance.now() };
    say({ phase: 'done' });
  }
  if (done !== undefined && events > expected) finish();
}, 5);

async function finish() {
  clearInterval(timer);
  const busyCpu = done.cpu - start.cpu;
  const { written, events } = recorder.stats;
  await recorder.stop();
  journal.close();
  const bytes = journal
    .reader()
    .segments()
    .reduce((n, s) => n + s.bytes, 0);
  say({
    phase: 'result',
    events: expected,
    written,
    received: events,
    cpuSeconds: busyCpu,
    wallSeconds: (done.wall - start.wall) / 1000,
    eventsPerCpuSecond: expected / busyCpu,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    bytesPerEvent: bytes / written,
  });
  await deleteRecorderQueue(connection, queue);
  await connection.close();
  rmSync(dir, { recursive: true, force: true });
}

await recorder.start();
await connection.connect();
