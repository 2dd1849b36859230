// bench/worker: time to drain N pre-published `tasks.noop` messages (protocol v2, JSON, ignore_result=true, so no
// peer publishes results) by (a) a bare amqplib consume-and-ack loop acking each message, (a′) the same loop acking
// the way camq does (one multiple ack per event-loop turn), (b) camq worker with events off, (c) camq worker with
// task events on (-E), (b-msgpack) and (b-gzip) camq worker with the tasks in msgpack and in gzip-compressed JSON,
// (d) celery-node, (e) Python Celery prefork -c 2. Each runs as a child process and is timed the same way, from its
// first to its N-th task run (drain.mjs, shared with bench/redis; the bare loop's message callback counts for it).
// Peak RSS is VmHWM from /proc, summed over the process and its children. At the end: the ratios the issue sets as
// targets.
//
// Wall-clock rates swing widely on a shared machine, so two steadier figures are printed too, both measured between
// the first and the N-th task: the contender's CPU time per task (its process and children, /proc/<pid>/stat) and,
// for a local RabbitMQ, the broker's CPU time per task (all of beam.smp: other clients' traffic counts too).
// bench/worker/engine.mjs measures the worker engine alone, without a broker.
//
//   npm run bench:worker                          # N=20000, 3 runs each, median
//   BENCH_N=5000 BENCH_RUNS=1 npm run bench:worker
//   BENCH_ONLY=a,b npm run bench:worker           # some contenders only
//   BENCH_PROFILE=/tmp/prof npm run bench:worker  # Node contenders write V8 CPU profiles to /tmp/prof/<key>/
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { amqplibUrl, BROKER, brokerUrl, hasPythonCelery, removeQueueAndExchange } from '../bench-broker.mjs';
import { buildTaskMessage } from '../../dist/protocol/index.js';
import { camqWorker, celeryNodeWorker, loadLine, localBrokerPid, printMedians, pythonWorker, ROOT, roundRobin, timeDrain } from './drain.mjs';

const N = Number(process.env.BENCH_N ?? 20_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const MULTIPLIER = Number(process.env.BENCH_PREFETCH_MULTIPLIER ?? 4);
const PREFETCH = CONCURRENCY * MULTIPLIER;
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
const PROFILE = process.env.BENCH_PROFILE;
const u = brokerUrl;
const hasPython = hasPythonCelery();

const bare = (q, mode) => [process.execPath, [`${ROOT}bench/worker/bare-consumer.mjs`, amqplibUrl, q, String(PREFETCH), mode]];
const camq = (q, extra) => camqWorker(BROKER, q, { concurrency: CONCURRENCY, multiplier: MULTIPLIER, extra });
const contenders = [
  { key: 'a', label: `(a) amqplib loop, ack each (prefetch ${PREFETCH})`, cmd: (q) => bare(q, 'each') },
  { key: "a'", label: `(a') amqplib loop, acks coalesced like camq`, cmd: (q) => bare(q, 'coalesced') },
  { key: 'b', label: `(b) camq worker, events off (-c ${CONCURRENCY}, prefetch ${PREFETCH})`, cmd: (q) => camq(q, []) },
  { key: 'c', label: `(c) camq worker, events on (-E)`, cmd: (q) => camq(q, ['-E']) },
  {
    key: 'bm',
    label: '(b-msgpack) camq worker, tasks in msgpack',
    cmd: (q) => camq(q, ['--accept-content', 'json,msgpack']),
    format: { serializer: 'msgpack' },
  },
  { key: 'bz', label: '(b-gzip) camq worker, JSON tasks gzip-compressed', cmd: (q) => camq(q, []), format: { compression: 'gzip' } },
  { key: 'd', label: '(d) celery-node 0.5.9 (prefetch unlimited)', cmd: (q) => celeryNodeWorker(amqplibUrl, q) },
  ...(hasPython ? [{ key: 'e', label: '(e) Python Celery 5.2.6 prefork -c 2 (prefetch 8)', cmd: (q) => pythonWorker(BROKER, q) }] : []),
].filter((c) => !ONLY || ONLY.has(c.key));

/** The local RabbitMQ's pid (beam.smp), to report the broker's CPU per task too; undefined for a remote broker. */
const BROKER_PID = localBrokerPid(u.hostname, 'beam.smp');

async function prefill(ch, queue, format = {}) {
  await ch.assertExchange(queue, 'direct', { durable: true });
  await ch.assertQueue(queue, { durable: true });
  await ch.bindQueue(queue, queue, queue);
  const msg = buildTaskMessage({ name: 'tasks.noop', queue, ignoreResult: true, replyTo: 'bench-no-results', ...format });
  for (let i = 0; i < N; i++) {
    const m = i === 0 ? msg : buildTaskMessage({ name: 'tasks.noop', queue, ignoreResult: true, replyTo: 'bench-no-results', ...format });
    if (!ch.publish('', queue, m.content, m.properties)) await new Promise((r) => ch.once('drain', r));
  }
  await ch.waitForConfirms();
}

async function runOnce(conn, contender) {
  const queue = `camq-bench-${randomUUID()}`;
  const ch = await conn.createConfirmChannel();
  await prefill(ch, queue, contender.format);
  try {
    return await timeDrain(contender, queue, { n: N, profile: PROFILE, brokerPid: BROKER_PID });
  } finally {
    await removeQueueAndExchange(ch, queue);
  }
}

const conn = await amqp.connect(amqplibUrl);
/** Whether an exchange exists (a passive declare on a throwaway channel: a 404 closes that channel only). */
const exchangeExists = async (name) => {
  const ch = await conn.createChannel();
  ch.on('error', () => {});
  return ch.checkExchange(name).then(
    () => ch.close().then(() => true),
    () => false,
  );
};
// celery-node declares a durable direct exchange named `default` and never removes it: remove it after the runs
// unless it was there before.
const hadDefaultExchange = await exchangeExists('default');
console.log(`bench/worker: drain ${N} pre-published tasks.noop, median of ${RUNS} run(s), broker ${u.masked}`);
console.log(`${loadLine('before')}; figures on a loaded machine are noisy`);
const runs = await roundRobin(contenders, RUNS, (c) => runOnce(conn, c));
for (const c of contenders) if (runs.get(c.key).some((r) => r.over)) console.log(`${c.label}: ran more than ${N} tasks (BENCH-OVER)`);
const results = printMedians(contenders, runs);
if (!hadDefaultExchange && (await exchangeExists('default'))) {
  const ch = await conn.createChannel();
  await ch.deleteExchange('default');
  await ch.close();
}
await conn.close();

const r = (k) => results[k]?.rate;
const ratio = (x, y) => (r(x) && r(y) ? r(x) / r(y) : undefined);
const line = (text, value, target) => {
  const verdict = value === undefined || target === undefined ? '' : value >= target ? '  met' : '  MISSED';
  console.log(
    `  ${text.padEnd(12)} ${value === undefined ? '   n/a' : value.toFixed(2).padStart(6)}   ${target === undefined ? '(no target)' : `(target >= ${target})`}${verdict}`,
  );
};
console.log('\nratios (tasks/s)');
line('(b) / (a)', ratio('b', 'a'), 0.7);
line('(c) / (a)', ratio('c', 'a'), 0.5);
line('(b) / (d)', ratio('b', 'd'), 1.3);
line('(b) / (e)', ratio('b', 'e'), 10);
line("(b) / (a')", ratio('b', "a'"));
line("(c) / (a')", ratio('c', "a'"));
line('(b-msgpack) / (b)', ratio('bm', 'b'));
line('(b-gzip) / (b)', ratio('bz', 'b'));
if (BROKER_PID) {
  // The same comparisons from CPU cost per task (contender + broker, which share this machine's cores): how many
  // times cheaper a task is. Load moves these far less than the wall-clock rates; they are not the issue's targets.
  const cost = (k) => (results[k] ? results[k].cpuUs + results[k].brokerUs : undefined);
  const cheaper = (x, y) => (cost(x) && cost(y) ? cost(y) / cost(x) : undefined);
  console.log('\nthe same pairs by CPU per task, contender + broker (cost of the second / cost of the first; not the targets)');
  for (const [x, y] of [
    ['b', 'a'],
    ['c', 'a'],
    ['b', 'd'],
    ['b', 'e'],
  ]) {
    const value = cheaper(x, y);
    console.log(`  (${x}) vs (${y})   ${value === undefined ? '   n/a' : value.toFixed(2).padStart(6)}`);
  }
}
console.log(loadLine('after'));
