#!/usr/bin/env node
/**
 * bench/broker: publish and consume-with-ack rates through amqplib, RabbitMQ and camq's embedded broker side by
 * side in one run, with each broker's CPU time and peak RSS.
 *
 * The embedded broker runs in its own process (`camq broker`, from dist/: `npm run bench:broker` builds first) so
 * its CPU and memory are measured alone; RabbitMQ's are read from its beam.smp process in /proc when it can be
 * found. The client (this process) is the same for both. Each round publishes N messages on a confirm channel
 * (rate = N / time until every confirm arrived), then consumes them with manual acks at a prefetch (rate = N /
 * time until the last delivery). Rounds alternate between brokers; the table shows medians.
 *
 *   node bench/broker/run.mjs [--messages 50000] [--size 64] [--prefetch 100] [--rounds 3] [--cpu-prof DIR]
 *   (--cpu-prof writes a V8 CPU profile of the embedded broker process to DIR)
 *   RabbitMQ URL: $CAMQ_BENCH_RABBITMQ_URL, else $CAMQ_TEST_BROKER_URL, else amqp://guest:guest@127.0.0.1:5672//
 */
import { spawn, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import amqp from 'amqplib';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '50000' },
    size: { type: 'string', default: '64' },
    prefetch: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    'cpu-prof': { type: 'string' },
  },
});
const N = Number(args.messages);
const SIZE = Number(args.size);
const PREFETCH = Number(args.prefetch);
const ROUNDS = Number(args.rounds);
const RABBITMQ_URL = process.env.CAMQ_BENCH_RABBITMQ_URL ?? process.env.CAMQ_TEST_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672//';
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

// ---- /proc readings -----------------------------------------------------------------------------------------

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

function findRabbitmqPid() {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('beam') && cmdline.includes('rabbit')) return Number(entry);
    } catch {
      // gone, or not ours to read
    }
  }
  return undefined;
}

/** Sample a process's RSS every 50 ms until stopped; resolves with the peak. */
function sampleRss(pid) {
  if (pid === undefined) return { stop: () => undefined };
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // process gone
    }
  }, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

// ---- the embedded broker in its own process ---------------------------------------------------------------

async function startEmbedded() {
  const profile = args['cpu-prof'] === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', args['cpu-prof']];
  const child = spawn(process.execPath, [...profile, `${ROOT}bin/camq`, 'broker', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`camq broker exited (${code}); run \`npm run build\` first`)));
  });
  const { port } = JSON.parse(line);
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}//`,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

// ---- one round ------------------------------------------------------------------------------------------------

async function round(url, pid) {
  const body = Buffer.alloc(SIZE, 'x');
  const queue = `camq-bench-${process.pid}-${Date.now()}`;
  const publisher = await amqp.connect(url);
  const consumerConn = await amqp.connect(url);
  const cpuBefore = pid === undefined ? undefined : cpuSeconds(pid);
  const rss = sampleRss(pid);

  const pub = await publisher.createConfirmChannel();
  await pub.assertQueue(queue, { durable: false });
  let started = performance.now();
  for (let i = 0; i < N; i++) {
    if (!pub.sendToQueue(queue, body)) await new Promise((resolve) => pub.once('drain', resolve));
  }
  await pub.waitForConfirms();
  const publishMs = performance.now() - started;

  const ch = await consumerConn.createChannel();
  await ch.prefetch(PREFETCH);
  let received = 0;
  let consumeMs = 0;
  await new Promise((resolve) => {
    started = performance.now();
    void ch.consume(queue, (message) => {
      if (message === null) return;
      ch.ack(message);
      if (++received === N) {
        consumeMs = performance.now() - started;
        resolve();
      }
    });
  });
  await ch.close();
  await pub.deleteQueue(queue);
  await publisher.close();
  await consumerConn.close();
  const cpu = cpuBefore === undefined ? undefined : cpuSeconds(pid) - cpuBefore;
  return { publish: (N / publishMs) * 1000, consume: (N / consumeMs) * 1000, cpu, rss: rss.stop() };
}

async function reachable(url) {
  try {
    const conn = await amqp.connect(url, { timeout: 2000 });
    const version = conn.connection.serverProperties?.version;
    await conn.close();
    return { ok: true, version: version ? String(version) : '' };
  } catch (err) {
    return { ok: false, reason: err.message };
  }
}

// ---- report -------------------------------------------------------------------------------------------------

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  return s.length === 0 ? undefined : s[Math.floor(s.length / 2)];
};
const fmt = (x, digits = 0) =>
  x === undefined ? 'n/a' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main() {
  const embedded = await startEmbedded();
  const rabbit = await reachable(RABBITMQ_URL);
  const rabbitPid = rabbit.ok ? findRabbitmqPid() : undefined;
  const brokers = [
    ...(rabbit.ok ? [{ name: `RabbitMQ ${rabbit.version}`.trim(), url: RABBITMQ_URL, pid: rabbitPid, runs: [] }] : []),
    { name: 'camq embedded', url: embedded.url, pid: embedded.pid, runs: [] },
  ];
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  console.log(`bench/broker: ${fmt(N)} messages of ${SIZE} bytes through amqplib, prefetch ${PREFETCH}, ${ROUNDS} rounds (medians)`);
  console.log(`machine: ${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), load average ${load} at start; Node ${process.version}`);
  if (!rabbit.ok) console.log(`RabbitMQ not measured: ${rabbit.reason}`);
  if (rabbit.ok && rabbitPid === undefined) console.log('RabbitMQ CPU and RSS not measured: no beam.smp process found in /proc');

  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const broker of r % 2 === 0 ? brokers : [...brokers].reverse()) {
        const result = await round(broker.url, broker.pid);
        broker.runs.push(result);
        process.stderr.write(`  round ${r + 1} ${broker.name}: publish ${fmt(result.publish)}/s, consume+ack ${fmt(result.consume)}/s\n`);
      }
    }
  } finally {
    await embedded.stop();
  }

  const rows = [
    ['publish, confirmed (msg/s)', (b) => median(b.runs.map((x) => x.publish)), 0],
    ['consume + ack (msg/s)', (b) => median(b.runs.map((x) => x.consume)), 0],
    ['broker CPU per round (s)', (b) => median(b.runs.map((x) => x.cpu)), 2],
    ['broker peak RSS (MB)', (b) => Math.max(...b.runs.map((x) => x.rss ?? 0)) || undefined, 0],
  ];
  const width = 30;
  const col = 20;
  const both = brokers.length === 2;
  console.log(''.padEnd(width) + [...brokers.map((b) => b.name), ...(both ? ['embedded/RabbitMQ'] : [])].map((c) => c.padStart(col)).join(''));
  for (const [label, value, digits] of rows) {
    const values = brokers.map(value);
    const ratio = both && values[0] !== undefined && values[1] !== undefined ? `${Math.round((values[1] / values[0]) * 100)}%` : '';
    console.log(label.padEnd(width) + values.map((v) => fmt(v, digits).padStart(col)).join('') + ratio.padStart(both ? col : 0));
  }
}

await main();
