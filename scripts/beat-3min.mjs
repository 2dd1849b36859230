#!/usr/bin/env node
// camq beat on the real clock for 3 minutes (issue 17): a crontab minute='*' entry and an every-5s entry, sent through
// CamqApp to a real broker, with a consumer on their queue. Prints each firing's offset from its due time (when it was
// sent, and when the message reached the consumer), then a summary. Needs `npm run build` first.
//
//   node scripts/beat-3min.mjs [--broker URL] [--seconds 180]
// The broker defaults to $CAMQ_BROKER_URL, else amqp://guest:guest@127.0.0.1:5672//. The queue it uses is deleted at the end.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { broker: { type: 'string' }, seconds: { type: 'string', default: '180' } } });
const url = values.broker ?? process.env.CAMQ_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672//';
const seconds = Number(values.seconds);
const { Beat, BeatScheduler, MemoryBeatState, defineScheduleEntry } = await import('../dist/beat/index.js');
const { createTransport, parseBrokerUrl } = await import('../dist/transport/index.js');
const { CamqApp } = await import('../dist/worker/index.js');

const queue = `camq-beat-3min-${randomUUID().slice(0, 8)}`;
const connection = createTransport(parseBrokerUrl(url), { reconnect: true, connectionName: 'beat-3min' });
await connection.connect();
const app = new CamqApp({ broker: parseBrokerUrl(url), defaultQueue: queue });
app.useConnection(connection);
const entries = [
  defineScheduleEntry('every-minute', { task: 'tasks.add', crontab: { minute: '*' }, args: [2, 3] }),
  defineScheduleEntry('every-5s', { task: 'tasks.add', every: '5s', args: [1, 1] }),
];
const scheduler = new BeatScheduler({
  entries,
  state: new MemoryBeatState(),
  send: (e) => app.taskOf(e.task).applyAsync({ args: [...e.args], kwargs: e.kwargs, ...e.options }),
});
const beat = new Beat({ connection, scheduler, hostname: 'beat-3min@bench', lockName: `camq.beat.3min.${randomUUID().slice(0, 8)}` });
const firings = new Map();
beat.on('sent', (run) => firings.set(run.id, { name: run.entry.name, due: run.dueAt, sent: run.sentAt, arrived: undefined }));

// The consumer: a channel of its own on a second connection, noting when each message arrives.
const consumerConnection = createTransport(parseBrokerUrl(url), { reconnect: false, connectionName: 'beat-3min consumer' });
await consumerConnection.connect();
const channel = await consumerConnection.openChannel();
await app.send({ name: 'tasks.noop', queue, countdown: 0 }).then(async () => {
  // The first send declared the queue; take the warm-up message off it.
  await channel.purgeQueue(queue);
});
await channel.consume(
  queue,
  (msg) => {
    if (!msg) return;
    const id = msg.properties.headers?.id ?? msg.properties.correlationId;
    const f = firings.get(id);
    if (f) f.arrived = Date.now();
  },
  { noAck: true },
);

const started = Date.now();
process.stdout.write(`beat-3min: ${seconds} s on ${connection.masked}, queue ${queue}, started ${new Date(started).toISOString()}\n`);
await beat.start();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
await beat.stop();
await new Promise((resolve) => setTimeout(resolve, 500));

const rows = [...firings.values()].sort((a, b) => a.sent - b.sent);
const fmt = (ms) => `${ms >= 0 ? '+' : ''}${ms.toFixed(0)} ms`;
for (const r of rows) {
  process.stdout.write(
    `${r.name.padEnd(13)} due ${new Date(r.due).toISOString().slice(11, 23)}  sent ${fmt(r.sent - r.due).padStart(8)}  arrived ${r.arrived ? fmt(r.arrived - r.due).padStart(8) : 'never'}\n`,
  );
}
for (const name of ['every-minute', 'every-5s']) {
  const mine = rows.filter((r) => r.name === name);
  const sent = mine.map((r) => r.sent - r.due);
  const arrived = mine.filter((r) => r.arrived).map((r) => r.arrived - r.due);
  const gaps = mine.slice(1).map((r, i) => r.sent - mine[i].sent);
  const summary = (xs) =>
    xs.length ? `min ${Math.min(...xs)} ms, max ${Math.max(...xs)} ms, mean ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1)} ms` : '-';
  process.stdout.write(
    `${name}: ${mine.length} firings; sent after due: ${summary(sent)}; arrived after due: ${summary(arrived)}${gaps.length ? `; gaps ${Math.min(...gaps)}-${Math.max(...gaps)} ms` : ''}\n`,
  );
}
const late = rows.filter((r) => r.sent - r.due > 1000 || r.sent < r.due);
process.stdout.write(
  late.length === 0 ? 'all firings within 1 s of their due time\n' : `${late.length} firing(s) outside 0..1 s of their due time\n`,
);
await channel.deleteQueue(queue);
await channel.deleteExchange(queue).catch(() => {});
await consumerConnection.close();
await app.close();
await connection.close();
process.exitCode = late.length === 0 ? 0 : 1;
