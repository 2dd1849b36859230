#!/usr/bin/env node
// celeryctl vs Celery's own CLI: the wall time of `celeryctl ping --timeout 0.2` and of
// `python3 -m celery inspect ping --timeout 0.2` against the same cluster, interleaved, median of RUNS runs each,
// with the CPU time (user + sys) each run took. Also the targeted case (-d <node>), where both stop as soon as the
// worker answered; the early return, `ping --timeout 1` (celeryctl stops once every live worker answered, Celery
// waits the second out; `--wait-all` shows celeryctl waiting too); and the start-up floor of each runtime
// (`node -e 0`, `python3 -c pass`).
//
//   npm run bench:ctl                       (builds first)
//   RUNS=20 CAMQ_BENCH_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/some-vhost node bench/ctl-ping.mjs
//   CAMQ_BENCH_CLUSTER=path/to/cluster.mjs WORKERS=200 node bench/ctl-ping.mjs
//
// The broker is CAMQ_BENCH_BROKER_URL, else CAMQ_TEST_BROKER_URL, else amqp://guest:guest@127.0.0.1:5672//.
// The cluster is one Python Celery worker, unless CAMQ_BENCH_CLUSTER names a module whose
// `startCluster(brokerUrl, workers)` starts `workers` workers on the wire (a worker simulator, for the 200-worker
// case) and resolves with `{ nodenames, stop() }` once they consume; WORKERS (default 200 with a module) is passed
// to it. The early-return case needs the management API (found as celeryctl finds it); the bench waits until it
// lists every worker as live, since RabbitMQ samples consumer counts every 5 s.
// NODE_EXTRA_CA_CERTS makes every Node process read and parse that file before it runs any code (tens of ms for a
// full CA bundle); when it is set, celeryctl is also timed without it, since most machines do not set it.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../test/fixtures/celery_app', import.meta.url));
const PYTHON = '/usr/bin/python3';
const BROKER = process.env.CAMQ_BENCH_BROKER_URL ?? process.env.CAMQ_TEST_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672//';
const RUNS = Number(process.env.RUNS ?? 10);
const EXTRA_CA = process.env.NODE_EXTRA_CA_CERTS;

if (!existsSync(`${ROOT}dist/bundle/celeryctl.cjs`)) {
  console.error('dist/ is missing: run `npm run build` first (or `npm run bench:ctl`, which builds).');
  process.exit(1);
}

const pyEnv = { ...process.env, CAMQ_TEST_BROKER_URL: BROKER, C_FORCE_ROOT: '1', PYTHONUNBUFFERED: '1' };
const nodeEnv = { ...process.env, NO_COLOR: '1' };
const { NODE_EXTRA_CA_CERTS: _, ...nodeEnvWithoutCa } = nodeEnv;

/**
 * CPU time (ms) of this process's reaped children, from /proc/self/stat (cutime + cstime, in USER_HZ = 100 ticks
 * a second): the difference around one run is that run's CPU time, to 10 ms; means over RUNS runs are finer.
 */
function childrenCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return NaN;
  }
}

/** Run a command to completion; resolves with its wall time and CPU time (ms), exit code and output. */
function timed(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const cpuBefore = childrenCpuMs();
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - started, cpuMs: childrenCpuMs() - cpuBefore, code, out }));
  });
}

function startWorker(nodename, queue) {
  const child = spawn(
    PYTHON,
    ['-m', 'celery', '-A', 'tasks', 'worker', '-n', nodename, '-c', '1', '-Q', queue, '--without-mingle', '--without-gossip', '-l', 'info'],
    { cwd: FIXTURE, env: pyEnv, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      log += chunk;
      if (log.includes(' ready.')) resolve(child);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the Python worker exited (${code}) before it was ready:\n${log}`)));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : 'n/a');

/**
 * Time each runner RUNS times, interleaved (the order turns around every round, so load drifts hit all alike),
 * after one untimed warm-up each (file cache; celeryctl's first run also writes its V8 code cache).
 */
async function interleaved(runners, check) {
  const samples = Object.fromEntries(Object.keys(runners).map((name) => [name, { wall: [], cpu: [] }]));
  for (const run of Object.values(runners)) await run();
  const names = Object.keys(runners);
  for (let i = 0; i < RUNS; i++) {
    for (const name of i % 2 === 0 ? names : [...names].reverse()) {
      const r = await runners[name]();
      check?.(name, r);
      samples[name].wall.push(r.ms);
      samples[name].cpu.push(r.cpuMs);
    }
  }
  return samples;
}

const id = randomUUID().slice(0, 8);
const nodename = `camq-bench-${id}@${hostname()}`;
const queue = `camq-bench-${id}`;
console.log(`broker ${BROKER.replace(/:[^:@/]*@/, ':**@')}; worker ${nodename}; ${RUNS} runs each, interleaved`);

const floors = await interleaved({
  'node -e 0': () => timed(process.execPath, ['-e', '0'], { env: nodeEnv }),
  ...(EXTRA_CA ? { 'node -e 0, NODE_EXTRA_CA_CERTS unset': () => timed(process.execPath, ['-e', '0'], { env: nodeEnvWithoutCa }) } : {}),
  'python3 -c pass': () => timed(PYTHON, ['-c', 'pass'], { env: pyEnv }),
});
console.log('\nstart-up floor (a process that does nothing)       wall median   cpu mean');
for (const [name, s] of Object.entries(floors))
  console.log(`  ${name.padEnd(48)} ${ms(median(s.wall)).padStart(11)} ${ms(mean(s.cpu)).padStart(10)}`);

/** The default cluster: one Python Celery worker, its durable task queue removed again when it stops. */
async function pythonCluster(brokerUrl) {
  const worker = await startWorker(nodename, queue);
  return {
    nodenames: [nodename],
    stop: async () => {
      worker.kill('SIGTERM');
      await new Promise((resolve) => worker.once('exit', resolve));
      // The worker's task queue and its exchange of the same name (Celery's Queue(name)) are durable: remove both so
      // the bench leaves nothing behind.
      const { BrokerConnection } = await import('../dist/amqp/index.js');
      const connection = await new BrokerConnection({ url: brokerUrl }).connect();
      const channel = await connection.createChannel();
      await channel.deleteQueue(queue);
      await channel.deleteExchange(queue);
      await connection.close();
    },
  };
}

/** `{ nodenames, stop }` for the cluster the cases run against: CAMQ_BENCH_CLUSTER's, else pythonCluster. */
async function startCluster(brokerUrl) {
  const module = process.env.CAMQ_BENCH_CLUSTER;
  if (!module) return pythonCluster(brokerUrl);
  const { startCluster: start } = await import(new URL(module, `file://${process.cwd()}/`).href);
  return start(brokerUrl, Number(process.env.WORKERS ?? 200));
}

/** Resolve once the management API lists every node as live (RabbitMQ's consumer counts lag up to 5 s); false without an API. */
async function untilLive(brokerUrl, nodes) {
  const [{ discoverManagementApi }, { liveMailboxes }, { parseBrokerUrl }] = await Promise.all([
    import('../dist/queues/api-discovery.js'),
    import('../dist/queues/live-mailboxes.js'),
    import('../dist/transport/broker-url.js'),
  ]);
  const broker = parseBrokerUrl(brokerUrl);
  const { api, reason } = await discoverManagementApi({ broker, apiUrl: process.env.CAMQ_API_URL || undefined });
  if (api === null) {
    console.log(`no management API (${reason}): celeryctl waits its whole timeout, like Celery`);
    return false;
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const live = new Set(await liveMailboxes(api, broker.vhost));
    if (nodes.every((n) => live.has(n))) return true;
    if (Date.now() > deadline) throw new Error(`the management API did not list all ${nodes.length} workers as live within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const cluster = await startCluster(BROKER);
const n = cluster.nodenames.length;
const first = cluster.nodenames[0];
const hasApi = await untilLive(BROKER, cluster.nodenames);
const cases = [
  { label: 'broadcast  ping --timeout 0.2', camq: ['ping', '--timeout', '0.2'], celery: ['inspect', 'ping', '--timeout', '0.2'] },
  {
    label: 'targeted   ping -d <node> --timeout 0.2',
    camq: ['ping', '-d', first, '--timeout', '0.2'],
    celery: ['inspect', 'ping', '-d', first, '--timeout', '0.2'],
    replies: 1,
  },
  {
    label: `early return, ${n} ${n === 1 ? 'worker' : 'workers'}: ping --timeout 1`,
    camq: ['ping', '--timeout', '1'],
    celery: ['inspect', 'ping', '--timeout', '1'],
    target: 0.3,
    alt: { label: '  celeryctl --wait-all', args: ['ping', '--timeout', '1', '--wait-all'] },
  },
];
const runCamq = (args, env = nodeEnv) => timed(process.execPath, [`${ROOT}bin/celeryctl`, ...args, '-b', BROKER], { cwd: ROOT, env });
const runCelery = (args) => timed(PYTHON, ['-m', 'celery', '-A', 'tasks', ...args], { cwd: FIXTURE, env: pyEnv });
/** Both print `N nodes online.` (celeryctl's grouped lines name nobody past five identical replies). */
const online = (count) => new RegExp(`\\b${count} nodes? online`);

try {
  const rows = [];
  for (const c of cases) {
    const expected = online(c.replies ?? n);
    const samples = await interleaved(
      {
        celeryctl: () => runCamq(c.camq),
        ...(EXTRA_CA ? { 'celeryctl, NODE_EXTRA_CA_CERTS unset': () => runCamq(c.camq, nodeEnvWithoutCa) } : {}),
        ...(c.alt ? { [c.alt.label]: () => runCamq(c.alt.args) } : {}),
        celery: () => runCelery(c.celery),
      },
      (who, r) => {
        if (r.code !== 0 || !expected.test(r.out)) throw new Error(`${who} ${c.label} failed (exit ${r.code}):\n${r.out}`);
      },
    );
    rows.push({ label: c.label, samples, target: c.target, alt: c.alt?.label });
  }

  console.log(`\n${'case'.padEnd(44)} ${'celeryctl'.padStart(19)} ${'celery inspect'.padStart(19)}  ratio (wall)`);
  console.log(`${''.padEnd(44)} ${'wall'.padStart(9)} ${'cpu'.padStart(9)} ${'wall'.padStart(9)} ${'cpu'.padStart(9)}`);
  for (const { label, samples, target, alt } of rows) {
    const celery = samples.celery;
    const line = (name, s, how, value) =>
      `${name.padEnd(44)} ${ms(value(s.wall)).padStart(9)} ${ms(mean(s.cpu)).padStart(9)} ${ms(value(celery.wall)).padStart(9)} ${ms(mean(celery.cpu)).padStart(9)}  ${
        how === 'median' ? (median(s.wall) / median(celery.wall)).toFixed(2) : ''
      }`;
    console.log(line(label, samples.celeryctl, 'median', median));
    console.log(line('  (min)', samples.celeryctl, 'min', (xs) => Math.min(...xs)));
    const withoutCa = samples['celeryctl, NODE_EXTRA_CA_CERTS unset'];
    if (withoutCa) console.log(line('  celeryctl with NODE_EXTRA_CA_CERTS unset', withoutCa, 'median', median));
    if (alt) console.log(line(alt, samples[alt], 'median', median));
    if (target !== undefined) {
      const ratio = median(samples.celeryctl.wall) / median(celery.wall);
      console.log(`  early return: ${ratio.toFixed(2)} of Celery's wall time (target <= ${target}${hasApi ? '' : '; no management API, so none'})`);
    }
  }
  console.log('\nwall: median of the whole process, start to exit; cpu: mean user + sys per run; ratio = celeryctl / celery (target: <= 0.5)');
  if (EXTRA_CA) console.log(`NODE_EXTRA_CA_CERTS=${EXTRA_CA} is set: every Node process above loads it before running any code`);
} finally {
  await cluster.stop();
}
