// bench/metrics: `camq exporter` (bin/camq, dist/) fed Celery events on the wire at a fixed rate, as a cluster of 200
// workers running 1,000 task names would send them; prints the exporter's CPU (share of one core) over a steady
// window, its RSS once every worker and task name was seen, the series count, and the scrape time. The window is
// whole scrape intervals after two (by default 30 s to 60 s: two scrapes in 30 s, as a Prometheus scraping every 15 s
// makes them), so the first scrape, which costs more than the ones after it, and the series' creation stay out of it.
//
// The events are built with src/protocol's builders (buildEvent, buildEventMessage): task lifecycles (task-sent from
// a producer; task-received, task-started, task-succeeded or 5 % task-failed from a worker) batched as task.multi
// arrays of up to 10 as Python workers send them, and a heartbeat from every worker every 2 s. Task names are routed
// to 20 queues, each served by 10 of the 200 workers, so a name runs on 10 workers (10,000 name×worker pairs), as
// in a cluster whose queues partition its work.
//
//   npm run bench:metrics     (CAMQ_BENCH_BROKER_URL or CAMQ_TEST_BROKER_URL picks the broker/vhost)
//   BENCH_SCRAPE_SECONDS=15 BENCH_RATE=10000 BENCH_SECONDS=60 BENCH_WARMUP=30 BENCH_WORKERS=200 BENCH_NAMES=1000 npm run bench:metrics
//   BENCH_CAMQ_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' node bench/metrics/run.mjs   (flags for the exporter's
//   node; NODE_OPTIONS refuses --cpu-prof)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildEvent, buildEventMessage } from '../../dist/protocol/event-message.js';
import { EVENT_EXCHANGE } from '../../dist/protocol/topology.js';
import { createTransport, publishMessage } from '../../dist/transport/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const url = process.env.CAMQ_BENCH_BROKER_URL ?? process.env.CAMQ_TEST_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672//';
const rate = Number(process.env.BENCH_RATE ?? 10_000);
const seconds = Number(process.env.BENCH_SECONDS ?? 60);
/** Seconds before the CPU window: a whole number of scrape intervals, so the window starts with a scrape. */
const warmup = Number(process.env.BENCH_WARMUP ?? 30);
const workerCount = Number(process.env.BENCH_WORKERS ?? 200);
const nameCount = Number(process.env.BENCH_NAMES ?? 1000);
const queueCount = 20;
/** Seconds between scrapes during the run, as a Prometheus with a 15 s scrape_interval would. */
const scrapeEvery = Number(process.env.BENCH_SCRAPE_SECONDS ?? 15);
const TICK_MS = 10;

const CLK_TCK = 100;
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

function startExporter(args) {
  const nodeArgs = (process.env.BENCH_CAMQ_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, `${ROOT}bin/camq`, '-b', url, 'exporter', '--listen', '127.0.0.1:0', '--no-api', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c.toString();
      const m = /serving (http:\/\/[^/]+)\/metrics/.exec(out);
      if (m) resolve({ child, base: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`camq exporter exited ${code}: ${out}`)));
  });
}

async function scrape(base) {
  const started = performance.now();
  const text = await (await fetch(`${base}/metrics`)).text();
  return { ms: performance.now() - started, text };
}

/** Sum of one metric's samples in an exposition text. */
function total(text, metric) {
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

// The cluster: 200 workers (each its own Lamport clock), 1,000 names over 20 queues, 10 workers per queue.
const workers = Array.from({ length: workerCount }, (_, i) => {
  let clock = 0;
  return { source: { hostname: `bench-${i}@host-${i}`, pid: 1000 + i, clock: () => ++clock, utcoffset: 0 }, pending: [] };
});
const producer = (() => {
  let clock = 0;
  return { hostname: 'gen1@web-1', pid: 1, clock: () => ++clock, utcoffset: 0 };
})();
const names = Array.from({ length: nameCount }, (_, i) => `app.tasks.task_${i}`);
const perQueue = Math.max(1, Math.floor(workerCount / queueCount));
let seq = 0;

/** One task's events: sent (producer), received/started/succeeded|failed (a worker of its queue): 4 events. */
function taskEvents() {
  const n = seq++;
  const nameIndex = n % nameCount;
  const name = names[nameIndex];
  const q = nameIndex % queueCount;
  const worker = workers[(q * perQueue + (Math.floor(n / nameCount) % perQueue)) % workerCount];
  const uuid = randomUUID();
  const queue = `queue-${q}`;
  const sent = buildEvent(
    'task-sent',
    {
      uuid,
      root_id: uuid,
      parent_id: null,
      name,
      args: '(1, 2)',
      kwargs: '{}',
      retries: 0,
      eta: null,
      expires: null,
      queue,
      exchange: '',
      routing_key: queue,
    },
    producer,
  );
  const s = worker.source;
  const received = buildEvent(
    'task-received',
    { uuid, name, args: '(1, 2)', kwargs: '{}', root_id: uuid, parent_id: null, retries: 0, eta: null, expires: null },
    s,
  );
  const started = buildEvent('task-started', { uuid }, s);
  const end =
    n % 20 === 0
      ? buildEvent('task-failed', { uuid, exception: "RuntimeError('kaboom')", traceback: 'Traceback ...' }, s)
      : buildEvent('task-succeeded', { uuid, result: '3', runtime: (n % 100) / 100 }, s);
  return { sent, worker, events: [received, started, end] };
}

async function runCase(label, args) {
  seq = 0;
  for (const w of workers) w.pending.length = 0;
  const { child, base } = await startExporter(args);
  const connection = await createTransport(url, { connectionName: 'bench:metrics publisher' }).connect();
  const channel = await connection.openChannel();
  await channel.assertExchange(EVENT_EXCHANGE.name, EVENT_EXCHANGE.type, { durable: EVENT_EXCHANGE.durable, autoDelete: EVENT_EXCHANGE.autoDelete });
  await new Promise((r) => setTimeout(r, 1000)); // the exporter's event queue is bound

  const heartbeats = () =>
    Promise.all(
      workers.map((w) =>
        publishMessage(
          channel,
          buildEventMessage(
            buildEvent(
              'worker-heartbeat',
              { freq: 2, active: 1, processed: seq, loadavg: [0.1, 0.1, 0.1], sw_ident: 'py-celery', sw_ver: '5.2.7', sw_sys: 'Linux' },
              w.source,
            ),
          ),
        ),
      ),
    );

  let published = 0;
  let tasksSent = 0;
  const perTick = (rate * TICK_MS) / 1000;
  const startedAt = performance.now();
  let cpuAtWarm;
  let wallAtWarm;
  let lastBeat = -Infinity;
  let lastScrape = performance.now();
  let scrapeMs = [];
  process.stderr.write(
    `bench:metrics: ${rate} events/s for ${seconds}s (${warmup}s warm-up) to ${url.replace(/:[^:@/]*@/, ':**@')}, ${workerCount} workers, ${nameCount} task names\n`,
  );
  for (let tick = 0; ; tick++) {
    const now = performance.now();
    const elapsed = (now - startedAt) / 1000;
    if (elapsed >= seconds) break;
    if (cpuAtWarm === undefined && elapsed >= warmup) {
      cpuAtWarm = cpuSeconds(child.pid);
      wallAtWarm = now;
    }
    if (now - lastBeat >= 2000) {
      lastBeat = now;
      await heartbeats();
      published += workers.length;
    }
    if (now - lastScrape >= scrapeEvery * 1000) {
      lastScrape = now;
      void scrape(base).then((r) => elapsed >= warmup && scrapeMs.push(r.ms));
    }
    // Events due by now: task lifecycles of 4 events; a worker's events go out in batches of up to 10 (task.multi).
    const due = Math.floor((tick + 1) * perTick);
    const sentMessages = [];
    while (published < due) {
      const { sent, worker, events } = taskEvents();
      tasksSent++;
      sentMessages.push(sent);
      worker.pending.push(...events);
      if (worker.pending.length >= 9) {
        await publishMessage(channel, buildEventMessage(worker.pending.splice(0)));
      }
      published += 4;
    }
    if (sentMessages.length > 0) await publishMessage(channel, buildEventMessage(sentMessages));
    const next = startedAt + (tick + 1) * TICK_MS;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  for (const w of workers) if (w.pending.length > 0) await publishMessage(channel, buildEventMessage(w.pending.splice(0)));
  const cpuEnd = cpuSeconds(child.pid);
  const wallEnd = performance.now();
  const achieved = published / ((wallEnd - startedAt) / 1000);
  await new Promise((r) => setTimeout(r, 2000));
  const final = await scrape(base);
  const rss = rssMb(child.pid);
  const series = final.text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  const received = total(final.text, 'celery_task_received_total');
  const cpuShare = (cpuEnd - cpuAtWarm) / ((wallEnd - wallAtWarm) / 1000);
  scrapeMs.sort((a, b) => a - b);
  const result = {
    case: label,
    events_per_second_target: rate,
    events_per_second_published: Math.round(achieved),
    exporter_cpu_share_of_one_core: Number(cpuShare.toFixed(3)),
    exporter_rss_mb: Number(rss.toFixed(1)),
    workers_seen: (final.text.match(/^celery_worker_up\{/gm) ?? []).length,
    task_names_seen: new Set([...final.text.matchAll(/^celery_task_received_total\{name="([^"]+)"/gm)].map((m) => m[1])).size,
    series,
    exposition_kb: Math.round(final.text.length / 1024),
    scrape_ms_median: Number((scrapeMs[Math.floor(scrapeMs.length / 2)] ?? final.ms).toFixed(1)),
    scrape_ms_final: Number(final.ms.toFixed(1)),
    tasks_published: tasksSent,
    tasks_counted_received: received,
  };
  await channel.close();
  await connection.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return result;
}

// celery-exporter's labels as they are, then with --generic-hostname-worker-task-metric (hostname 'generic' on the
// worker-side task series), its own answer to many workers.
const results = [
  await runCase('celery-exporter labels', []),
  await runCase('--generic-hostname-worker-task-metric', ['--generic-hostname-worker-task-metric']),
];
console.log(JSON.stringify(results, null, 2));
