// bench/quorum: tasks/s draining N pre-published `tasks.noop` messages (protocol v2, JSON, ignore_result) from
//   (q) a quorum queue by a camq worker (per-consumer prefetch),
//   (c) a classic queue by the same camq worker (global prefetch), and
//   (p) the quorum queue by Python Celery 5.2.6 prefork -c 2 with the bootstep that turns global QoS off.
// Timed as bench/worker does: the task itself notes when the first and the N-th ran (`BENCH <first> <last>` on
// stderr; bench/worker/tasks.mjs and celery_bench.py), so start-up is not counted. Messages are published with
// confirms before the worker starts. On a shared machine the figures swing: compare within one run.
//
//   npm run build && node bench/quorum/run.mjs              # N=10000, 1 run each
//   BENCH_N=5000 BENCH_RUNS=3 node bench/quorum/run.mjs
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { amqplibUrl, BROKER, brokerUrl, hasPythonCelery, stopAndRemove } from '../bench-broker.mjs';
import { buildTaskMessage } from '../../dist/protocol/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const N = Number(process.env.BENCH_N ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const u = brokerUrl;
const hasPython = hasPythonCelery();

const camq = (spec) => [
  process.execPath,
  [
    `${ROOT}bin/camq`,
    ...['-b', BROKER, 'worker', '-A', `${ROOT}bench/worker/tasks.mjs`, '-n', `bench-${randomUUID().slice(0, 6)}@%h`, '-Q', spec],
    ...['-c', String(CONCURRENCY), '-l', 'warning', '--no-banner', '--without-mingle'],
  ],
];
const python = (queue) => [
  '/usr/bin/python3',
  [
    ...['-m', 'celery', '-A', 'celery_quorum_bench', 'worker', '-P', 'prefork', '-c', '2', '-Q', queue],
    ...['-n', `bench-py-${randomUUID().slice(0, 6)}@%h`, '--without-mingle', '--without-gossip', '--without-heartbeat', '-l', 'warning'],
  ],
  {
    cwd: `${ROOT}bench/quorum`,
    env: { ...process.env, CAMQ_BENCH_BROKER_URL: BROKER, CAMQ_BENCH_QUORUM_QUEUES: queue, PYTHONDONTWRITEBYTECODE: '1' },
  },
];

const contenders = [
  { key: 'q', label: `(q) camq worker, quorum queue (-c ${CONCURRENCY})`, type: 'quorum', cmd: (q) => camq(`${q}:quorum`) },
  { key: 'c', label: `(c) camq worker, classic queue (-c ${CONCURRENCY})`, type: 'classic', cmd: (q) => camq(q) },
  ...(hasPython ? [{ key: 'p', label: '(p) Python Celery 5.2.6 prefork -c 2, quorum queue', type: 'quorum', cmd: python }] : []),
];

async function prefill(ch, queue, type) {
  await ch.assertExchange(queue, 'direct', { durable: true });
  await ch.assertQueue(queue, { durable: true, arguments: type === 'quorum' ? { 'x-queue-type': 'quorum' } : {} });
  await ch.bindQueue(queue, queue, queue);
  for (let i = 0; i < N; i++) {
    const m = buildTaskMessage({ name: 'tasks.noop', queue, ignoreResult: true, replyTo: 'bench-no-results' });
    if (!ch.publish('', queue, m.content, m.properties)) await new Promise((r) => ch.once('drain', r));
  }
  await ch.waitForConfirms();
}

async function runOnce(conn, contender) {
  const queue = `camq-bench-${contender.type}-${randomUUID().slice(0, 8)}`;
  const ch = await conn.createConfirmChannel();
  await prefill(ch, queue, contender.type);
  const [cmd, args, opts = {}] = contender.cmd(queue);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts, env: { ...(opts.env ?? process.env), BENCH_N: String(N) } });
  let stderr = '';
  const reported = new Promise((resolve, reject) => {
    child.stderr.on('data', (c) => {
      stderr += c.toString();
      const m = /BENCH (\d+) (\d+)/.exec(stderr);
      if (m) resolve({ first: Number(m[1]), last: Number(m[2]) });
    });
    child.once('exit', () => reject(new Error(`${contender.label} exited early:\n${stderr}`)));
    setTimeout(() => reject(new Error(`${contender.label} did not drain ${N} messages in 5 min:\n${stderr}`)), 300_000).unref();
  });
  try {
    const { first, last } = await reported;
    const seconds = (last - first) / 1000;
    return { seconds, rate: N / seconds };
  } finally {
    await stopAndRemove(child, new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r))), ch, queue);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const conn = await amqp.connect(amqplibUrl);
console.log(`bench/quorum: drain ${N} pre-published tasks.noop, median of ${RUNS} run(s), broker ${u.masked}`);
console.log(
  `load average before: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const runs = new Map(contenders.map((c) => [c.key, []]));
for (let i = 0; i < RUNS; i++) for (const c of contenders) runs.get(c.key).push(await runOnce(conn, c));
const rate = {};
for (const c of contenders) {
  const mine = runs.get(c.key);
  const m = median(mine.map((r) => r.seconds));
  rate[c.key] = N / m;
  console.log(
    `${c.label.padEnd(52)} ${m.toFixed(2).padStart(6)} s ${Math.round(N / m)
      .toString()
      .padStart(6)} tasks/s   runs: ${mine.map((r) => r.seconds.toFixed(2)).join(', ')}`,
  );
}
await conn.close();
const ratio = (x, y) => (rate[x] && rate[y] ? (rate[x] / rate[y]).toFixed(2) : 'n/a');
console.log(`\nquorum / classic (camq): ${ratio('q', 'c')}    camq / Python on the quorum queue: ${ratio('q', 'p')}`);
console.log(
  `load average after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
