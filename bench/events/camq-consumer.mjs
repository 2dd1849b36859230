// camq's side of the benchmark: the real EventReceiver feeding the real ClusterStore, with the real Ink app
// mounted and rendering into a fake 120×40 terminal. Prints JSON lines: ready, done (all events applied), result.
import { FakeKeyboard, FakeTerminal } from './fake-terminal.mjs';

// As `camq` runs it: React in production mode (set before React loads, as the CLI does).
process.env.NODE_ENV ??= 'production';
const { render } = await import('ink');
const { createElement } = await import('react');
const { BrokerConnection } = await import('../../dist/amqp/index.js');
const { ClusterStore, EventReceiver } = await import('../../dist/events/index.js');
const { App } = await import('../../dist/tui/app.js');
// As the live view renders (src/cli/commands/live-view.ts).
await (await import('../../dist/tui/ink-line-cache.js')).shareInkLineCacheAcrossFrames();
const { systemClock } = await import('../../dist/util/clock.js');

const [url, expectedText] = process.argv.slice(2);
const expected = Number(expectedText);

const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const connection = new BrokerConnection({ url, connectionName: 'camq bench' });
const store = new ClusterStore({ clock: systemClock, broker: 'bench' });
// No TTL for the benchmark: a consumer that falls behind must still see every event to count them.
const receiver = new EventReceiver({ connection, messageTtlMs: 600_000, wakeupWorkers: false });
let renders = 0;
const terminal = new FakeTerminal();
const app = render(createElement(App, { store, clock: systemClock, isColor: true }), {
  stdout: terminal,
  stdin: new FakeKeyboard(),
  stderr: new FakeTerminal(),
  exitOnCtrlC: false,
  patchConsole: false,
  onRender: () => renders++,
});

let seen = 0;
let start;
let done;
let idleStart;
receiver.on('events', (events) => {
  for (const e of events) {
    if (e.type === 'bench-stop') return finish();
  }
  if (seen === 0) start = { cpu: cpu(), wall: performance.now(), renders };
  store.dispatch(events);
  seen += events.length;
  if (seen >= expected && !done) {
    done = { cpu: cpu(), wall: performance.now(), renders };
    say({ phase: 'done' });
    // Idle is measured from a second after the burst: heartbeats only, the 1 s tick, nothing else.
    setTimeout(() => (idleStart = { cpu: cpu(), wall: performance.now() }), 1000);
  }
});

function finish() {
  const end = { cpu: cpu(), wall: performance.now() };
  const busyCpu = done.cpu - start.cpu;
  const busyWall = (done.wall - start.wall) / 1000;
  say({
    phase: 'result',
    events: seen,
    cpuSeconds: busyCpu,
    wallSeconds: busyWall,
    eventsPerCpuSecond: seen / busyCpu,
    renders: done.renders - start.renders,
    rendersPerSecond: (done.renders - start.renders) / busyWall,
    snapshots: store.getSnapshot().sequence,
    tasksKept: store.state.tasks.size,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    idleCpuPercent: idleStart ? ((end.cpu - idleStart.cpu) / ((end.wall - idleStart.wall) / 1000)) * 100 : null,
  });
  app.unmount();
  store.close();
  receiver
    .stop()
    .then(() => connection.close())
    .then(() => process.exit(0));
}

await receiver.start();
await connection.connect();
say({ phase: 'ready' });
