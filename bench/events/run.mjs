// bench/events: the same stream of Celery events through RabbitMQ, in one run, to camq's mounted live view (real
// receiver, store and Ink app rendering into a fake terminal) and to Celery's own events.State driven by
// app.events.Receiver. Prints events per CPU-second, renders/s, peak RSS and idle CPU for each; median of rounds.
//
//   npm run bench:events            (CAMQ_BENCH_BROKER_URL or CAMQ_TEST_BROKER_URL picks the broker/vhost)
//   BENCH_TASKS=30000 BENCH_WORKERS=50 BENCH_ROUNDS=3 npm run bench:events
//
// Then the sustained case (bench/events/sustained.mjs): the real `camq` in tmux at 160×50 watching 200 simulated
// workers send 10,000 task events/s, then idle: CPU % of a core and peak RSS. BENCH_SUSTAINED_SECONDS (30; the
// issue's figure is 300), BENCH_SIM_WORKERS, BENCH_SIM_RATE, BENCH_NODE_OPTIONS (--max-old-space-size=256).
// BENCH_ONLY=compare or BENCH_ONLY=sustained runs one of the two.
import { fileURLToPath } from 'node:url';
import { createTransport, publishMessage } from '../../dist/transport/index.js';
import { EVENT_EXCHANGE } from '../../dist/protocol/topology.js';
import { startConsumer as startConsumerProcess } from '../consumer-process.mjs';
import { buildStream, idleHeartbeats, stopMessage } from './event-stream.mjs';
import { runSustained, sustainedOptionsFromEnv, sustainedRow } from './sustained.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const url = process.env.CAMQ_BENCH_BROKER_URL ?? process.env.CAMQ_TEST_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672//';
const tasks = Number(process.env.BENCH_TASKS ?? 30_000);
const workers = Number(process.env.BENCH_WORKERS ?? 50);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 10);

const startConsumer = (label, command, args) => startConsumerProcess(label, command, args, here);

async function publishAll(channel, messages) {
  for (const m of messages) await publishMessage(channel, m);
}

async function round(n, stream, connection) {
  const consumers = [
    startConsumer('camq', process.execPath, [
      ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
      `${here}camq-consumer.mjs`,
      url,
      String(stream.events),
    ]),
    startConsumer('celery', '/usr/bin/python3', [`${here}celery_state.py`, url, String(stream.events)]),
  ];
  await Promise.all(consumers.map((c) => c.phase('ready', 60_000)));
  const channel = await connection.openChannel();
  await channel.assertExchange(EVENT_EXCHANGE.name, EVENT_EXCHANGE.type, { durable: EVENT_EXCHANGE.durable, autoDelete: false });
  process.stderr.write(`round ${n}: publishing ${stream.messages.length} messages (${stream.events} events)...\n`);
  await publishAll(channel, stream.messages);
  await Promise.all(consumers.map((c) => c.phase('done')));
  process.stderr.write(`round ${n}: both consumers applied every event; ${idleSeconds}s of an idle cluster (heartbeats only)...\n`);
  // Each worker heartbeats every 2 s on its own timer, so an idle cluster's heartbeats arrive spread out.
  for (let s = 0; s < idleSeconds; s += 2) {
    const beats = idleHeartbeats(10, s);
    for (const beat of beats) {
      await publishAll(channel, [beat]);
      await new Promise((r) => setTimeout(r, 2000 / beats.length));
    }
  }
  await publishAll(channel, [stopMessage()]);
  const results = await Promise.all(consumers.map((c) => c.phase('result', 120_000)));
  if (process.env.BENCH_VERBOSE) process.stderr.write(JSON.stringify(results) + '\n');
  await Promise.all(consumers.map((c) => c.exited));
  await channel.close();
  return { camq: results[0], celery: results[1] };
}

const median = (values) => {
  const v = values.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return v.length === 0 ? NaN : v[Math.floor((v.length - 1) / 2)];
};

const only = process.env.BENCH_ONLY ?? '';
if (only === 'sustained') {
  await sustained();
  process.exit(0);
}

const stream = buildStream({ workers, tasks });
const connection = await createTransport(url, { connectionName: 'camq bench publisher' }).connect();
const all = [];
for (let i = 1; i <= rounds; i++) all.push(await round(i, stream, connection));
await connection.close();

const pick = (side, key) => median(all.map((r) => r[side][key]));
const fmt = (n, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-';
const camqRate = pick('camq', 'eventsPerCpuSecond');
const celeryRate = pick('celery', 'eventsPerCpuSecond');
const rows = [
  ['', 'camq (live view mounted)', 'Celery events.State'],
  ['events per CPU-second', fmt(camqRate), fmt(celeryRate)],
  ['CPU seconds for the stream', fmt(pick('camq', 'cpuSeconds'), 2), fmt(pick('celery', 'cpuSeconds'), 2)],
  ['wall seconds for the stream', fmt(pick('camq', 'wallSeconds'), 2), fmt(pick('celery', 'wallSeconds'), 2)],
  ['renders per second (busy)', fmt(pick('camq', 'rendersPerSecond'), 1), 'n/a (no view)'],
  ['peak RSS, MB', fmt(pick('camq', 'peakRssMb'), 0), fmt(pick('celery', 'peakRssMb'), 0)],
  ['tasks kept (cap 10,000)', fmt(pick('camq', 'tasksKept')), fmt(pick('celery', 'tasksKept'))],
  [
    `idle CPU % (${workers > 10 ? 10 : workers} workers heartbeating)`,
    fmt(pick('camq', 'idleCpuPercent'), 2),
    fmt(pick('celery', 'idleCpuPercent'), 2),
  ],
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
console.log(
  `\nbench/events: ${stream.tasks.toLocaleString('en-US')} task lifecycles on ${workers} workers, ${stream.events.toLocaleString('en-US')} events in ${stream.messages.length.toLocaleString('en-US')} messages (task events batched on task.multi), median of ${rounds} round(s)`,
);
for (const r of rows) console.log(r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('   '));
console.log(`camq / Celery events per CPU-second: ${fmt(camqRate / celeryRate, 2)}×`);

if (only !== 'compare') await sustained();

async function sustained() {
  const r = await runSustained(sustainedOptionsFromEnv(url));
  if (process.env.BENCH_VERBOSE) console.error(JSON.stringify(r, null, 2));
  console.log(`\nbench/events, sustained (the camq binary in tmux, simulated workers):\n${sustainedRow(r)}`);
}
