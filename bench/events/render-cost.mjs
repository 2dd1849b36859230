// CPU per frame of the mounted live view at a given terminal size, with 10,000 tasks and 50 workers in the state:
// the cost each redraw (at most ~10/s busy, ~1/s idle) adds.   COLS=80 ROWS=24 node bench/events/render-cost.mjs
// WORKERS=200 STARTED=40 COLS=160 ROWS=50: 200 workers and the 40 newest tasks left running (as after a stream whose
// workers stopped), the idle view's tick; HEARTBEATS=1 also applies each worker's heartbeat every other tick.
import { FakeKeyboard, FakeTerminal } from './fake-terminal.mjs';

process.env.NODE_ENV ??= 'production';
const { render } = await import('ink');
const { createElement } = await import('react');
const { ClusterStore } = await import('../../dist/events/index.js');
const { App } = await import('../../dist/tui/app.js');
// As the live view renders (src/cli/commands/live-view.ts).
await (await import('../../dist/tui/ink-line-cache.js')).shareInkLineCacheAcrossFrames();
const { ManualClock } = await import('../../dist/util/manual-clock.js');
const { buildStream, idleHeartbeats, runningTasks } = await import('./event-stream.mjs');

const columns = Number(process.env.COLS ?? 120);
const rows = Number(process.env.ROWS ?? 40);
const clock = new ManualClock(Date.now());
const store = new ClusterStore({ clock });
const workers = Number(process.env.WORKERS ?? 50);
const started = Number(process.env.STARTED ?? 0);
const heartbeats = process.env.HEARTBEATS === '1';
const apply = (m) => {
  const body = JSON.parse(m.content.toString());
  const events = Array.isArray(body) ? body : [body];
  for (const e of events) e.local_received = clock.now() / 1000;
  store.dispatch(events);
};
for (const m of buildStream({ tasks: 12_000, workers }).messages) apply(m);
for (const m of runningTasks(started, workers, clock.now())) apply(m);
clock.advance(200);
let renders = 0;
const app = render(createElement(App, { store, clock, isColor: true }), {
  stdout: new FakeTerminal(columns, rows),
  stdin: new FakeKeyboard(),
  stderr: new FakeTerminal(columns, rows),
  exitOnCtrlC: false,
  patchConsole: false,
  maxFps: 1000,
  onRender: () => renders++,
});
await new Promise((r) => setTimeout(r, 100));
renders = 0;
const before = process.cpuUsage();
for (let i = 0; i < 200; i++) {
  clock.advance(1000); // one tick: ages change, the frame is redrawn
  if (heartbeats && i % 2 === 0) for (const m of idleHeartbeats(workers, i)) apply(m);
  await new Promise((r) => setImmediate(r));
}
await new Promise((r) => setTimeout(r, 100));
const used = process.cpuUsage(before);
console.log(`${columns}×${rows}: ${renders} frames, ${((used.user + used.system) / 1000 / renders).toFixed(2)} ms CPU per frame`);
app.unmount();
process.exit(0);
