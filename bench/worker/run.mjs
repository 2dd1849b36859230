// bench/worker: time to drain N pre-published `tasks.noop` messages (protocol v2, JSON, ignore_result=true, so no
// peer publishes results) by (a) a bare amqplib consume-and-ack loop acking each message, (a′) the same loop acking
// the way camq does (one multiple ack per event-loop turn), (b) camq worker with events off, (c) camq worker with
// task events on (-E), (b-msgpack) and (b-gzip) camq worker with the tasks in msgpack and in gzip-compressed JSON,
// (d) celery-node, (e) Python Celery prefork -c 2. Each runs as a child process, so start-up
// time is not counted, and each is timed the same way: the task function itself (or the bare loop's message
// callback) notes when the first and the N-th task ran and prints `BENCH <first> <last>` (Python's prefork children
// share the count through shared memory, see celery_bench.py). Peak RSS is VmHWM from /proc, summed over the process
// and its children. At the end: the ratios the issue sets as targets.
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
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { amqplibUrl, BROKER, brokerUrl, hasPythonCelery, stopAndRemove } from '../bench-broker.mjs';
import { buildTaskMessage } from '../../dist/protocol/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
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
  {
    key: 'd',
    label: '(d) celery-node 0.5.9 (prefetch unlimited)',
    cmd: (q) => [process.execPath, [`${ROOT}bench/worker/celery-node-worker.mjs`, amqplibUrl, q]],
  },
  ...(hasPython ? [{ key: 'e', label: '(e) Python Celery 5.2.6 prefork -c 2 (prefetch 8)', cmd: (q) => python(q) }] : []),
].filter((c) => !ONLY || ONLY.has(c.key));

function camq(queue, extra) {
  return [
    process.execPath,
    [
      `${ROOT}bin/camq`,
      '-b',
      BROKER,
      'worker',
      '-A',
      `${ROOT}bench/worker/tasks.mjs`,
      '-n',
      `bench-${randomUUID().slice(0, 6)}@%h`,
      '-Q',
      queue,
      '-c',
      String(CONCURRENCY),
      '--prefetch-multiplier',
      String(MULTIPLIER),
      '-l',
      'warning',
      '--no-banner',
      '--without-mingle',
      ...extra,
    ],
  ];
}

function python(queue) {
  return [
    '/usr/bin/python3',
    [
      '-m',
      'celery',
      '-A',
      'celery_bench',
      'worker',
      '-P',
      'prefork',
      '-c',
      '2',
      '-Q',
      queue,
      '-n',
      `bench-py-${randomUUID().slice(0, 6)}@%h`,
      '--without-mingle',
      '--without-gossip',
      '--without-heartbeat',
      '-l',
      'warning',
    ],
    { cwd: `${ROOT}bench/worker`, env: { ...process.env, CAMQ_BENCH_BROKER_URL: BROKER, PYTHONDONTWRITEBYTECODE: '1' } },
  ];
}

function vmHwmKb(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) of a process so far, in ms (/proc/<pid>/stat fields 14 and 15, in clock ticks of 10 ms). */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** Sum `measure` over a process and its descendants (prefork children count). */
function overTree(pid, measure) {
  let total = measure(pid);
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean))
      total += overTree(Number(child), measure);
  } catch {
    // no children file
  }
  return total;
}

/** The local RabbitMQ's pid (beam.smp), to report the broker's CPU per task too; undefined for a remote broker. */
const BROKER_PID = (() => {
  if (!['127.0.0.1', 'localhost', '::1'].includes(u.hostname)) return undefined;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'beam.smp') return Number(pid);
    } catch {
      // gone
    }
  }
  return undefined;
})();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
  const [cmd, plainArgs, opts = {}] = contender.cmd(queue);
  const args = PROFILE && cmd === process.execPath ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}/${contender.key}`, ...plainArgs] : plainArgs;
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts, env: { ...(opts.env ?? process.env), BENCH_N: String(N) } });
  let stderr = '';
  let reported;
  child.stderr.on('data', (c) => {
    stderr += c.toString();
    const m = /BENCH (\d+) (\d+)/.exec(stderr);
    if (m) reported = { first: Number(m[1]), last: Number(m[2]) };
  });
  const exited = new Promise((r) => child.once('exit', r));
  let started = 0;
  let ended = 0;
  let peak = 0;
  // CPU time of the contender and of the broker, sampled every 20 ms with the wall clock, so the drain's share can
  // be read off between its first and last task (start-up and shutdown excluded).
  const samples = [];
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    samples.push({ at: Date.now(), cpu: overTree(child.pid, cpuMs), broker: BROKER_PID ? cpuMs(BROKER_PID) : 0 });
    if (reported) {
      started = reported.first;
      ended = reported.last;
      break;
    }
    peak = Math.max(peak, overTree(child.pid, vmHwmKb));
    if (child.exitCode !== null) throw new Error(`${contender.label} exited early:\n${stderr}`);
    await sleep(20);
  }
  await sleep(200); // let the in-flight tail finish before reading the peak
  peak = Math.max(peak, overTree(child.pid, vmHwmKb));
  await stopAndRemove(child, exited, ch, queue);
  if (!ended) throw new Error(`${contender.label} did not drain ${N} messages in time`);
  const before = samples.findLast((x) => x.at <= started) ?? samples[0];
  const after = samples.at(-1);
  const perTaskUs = (key) => ((after[key] - before[key]) * 1000) / N;
  const seconds = (ended - started) / 1000;
  return { seconds, rate: N / seconds, peakMb: peak / 1024, cpuUs: perTaskUs('cpu'), brokerUs: BROKER_PID ? perTaskUs('broker') : undefined };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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
console.log(
  `load average before: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (${availableParallelism()} CPUs); figures on a loaded machine are noisy`,
);
// Round-robin (a, a', b, ..., then again), so a change of load on a shared machine hits every contender alike.
const runs = new Map(contenders.map((c) => [c.key, []]));
for (let i = 0; i < RUNS; i++) for (const c of contenders) runs.get(c.key).push(await runOnce(conn, c));
const results = {};
for (const c of contenders) {
  const mine = runs.get(c.key);
  const m = median(mine.map((r) => r.seconds));
  const chosen = mine.find((r) => r.seconds === m);
  results[c.key] = chosen;
  const broker = chosen.brokerUs === undefined ? '' : `  broker CPU ${chosen.brokerUs.toFixed(0).padStart(3)} µs/task`;
  console.log(
    `${c.label.padEnd(52)} ${chosen.seconds.toFixed(2).padStart(6)} s ${Math.round(chosen.rate).toString().padStart(6)} tasks/s  CPU ${chosen.cpuUs.toFixed(0).padStart(4)} µs/task${broker}  peak RSS ${chosen.peakMb.toFixed(0).padStart(4)} MB   runs: ${mine.map((r) => r.seconds.toFixed(2)).join(', ')}`,
  );
}
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
console.log(
  `load average after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
