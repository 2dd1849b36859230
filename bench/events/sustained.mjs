// bench/events, sustained case: the real `camq` live view in a real terminal (tmux, 160×50 by default) watching
// simulated Celery workers (bench/worker-sim) send task events at a steady rate for a while, then the same workers
// idle (heartbeats only). Reads the camq process's CPU time and resident memory from /proc: CPU % of one core while
// busy and while idle, peak RSS (VmHWM), and whether it was still alive at the end.
//
//   node bench/events/sustained.mjs            (or as part of npm run bench:events)
//   BENCH_SUSTAINED_SECONDS=300 BENCH_SIM_WORKERS=200 BENCH_SIM_RATE=10000 node bench/events/sustained.mjs
//   BENCH_NODE_OPTIONS=--max-old-space-size=256 node bench/events/sustained.mjs
//   BENCH_CAMQ_BIN=/path/to/other/checkout/bin/camq node bench/events/sustained.mjs   (before/after figures)
//   BENCH_IDLE_SETTLE_SECONDS=65 BENCH_IDLE_SECONDS=60 node bench/events/sustained.mjs   (idle once the 60 s rates settled)
//   BENCH_SIM_RATE=0 BENCH_IDLE_SETTLE_SECONDS=20 BENCH_IDLE_SECONDS=60 node bench/events/sustained.mjs   (a view started on
//   idle workers: no stream before)
//   BENCH_CAMQ_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' node bench/events/sustained.mjs   (node flags NODE_OPTIONS
//   refuses; the view is quit with `q` at the end, so the profile is written)
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SIM = join(ROOT, 'bench/worker-sim/run.mjs');
const CLK_TCK = 100;

function startSim(url, workers, rate, tag) {
  const child = spawn(process.execPath, [SIM, '-b', url, '--workers', String(workers), '--events-per-second', String(rate), '--tag', tag], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => line.includes('"ready":"all"') && resolve());
    child.once('exit', (code) => reject(new Error(`the worker simulator ended (${code}) before it was ready`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { ready, stop: () => (child.kill('SIGTERM'), exited) };
}

/** utime+stime in seconds and VmRSS/VmHWM in MB of a process, or undefined when it is gone. */
function sample(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { cpu, wall: performance.now() / 1000, rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tmux(...args) {
  return execFileSync('tmux', args).toString();
}

export async function runSustained(options) {
  const {
    url,
    workers = 200,
    rate = 10_000,
    seconds = 30,
    idleSeconds = 20,
    idleSettleSeconds = 4,
    columns = 160,
    rows = 50,
    nodeOptions = '',
    nodeArgs = '',
  } = options;
  const tag = `bench${randomBytes(2).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'camq-sustained-'));
  const pidFile = join(dir, 'pid');
  const session = `camq-bench-${tag}`;
  const load = { before: loadavg()[0] };
  const env = nodeOptions ? `NODE_OPTIONS='${nodeOptions}' ` : '';
  tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    String(columns),
    '-y',
    String(rows),
    `sh -c 'echo $$ > ${pidFile}; ${env}exec ${process.execPath} ${nodeArgs} ${process.env.BENCH_CAMQ_BIN ?? join(ROOT, 'bin/camq')} -b ${url}'; echo "[exited $?]"; sleep 600`,
  );
  let sim;
  let pid;
  try {
    for (let i = 0; i < 100 && !pid; i++) {
      await sleep(100);
      try {
        pid = Number(readFileSync(pidFile, 'utf8').trim());
      } catch {
        // not written yet
      }
    }
    if (!pid) throw new Error('camq did not start in tmux');
    for (let i = 0; i < 100 && !tmux('capture-pane', '-p', '-t', session).includes('Workers'); i++) await sleep(100);
    // BENCH_SIM_RATE=0: no stream, only the idle window of a view started on idle workers (issue 13's idle case;
    // after a stream, tasks left STARTED by the stopped simulator tick their runtimes each second).
    let busyStart;
    let busyEnd;
    let busyScreen = '';
    if (rate > 0) {
      sim = startSim(url, workers, rate, tag);
      await sim.ready;
      await sleep(5_000); // warm-up: the store fills to its task cap, the view reaches its steady frame
      busyStart = sample(pid);
      let last = busyStart;
      for (let s = 0; s < seconds && last; s++) {
        await sleep(1000);
        last = sample(pid) ?? undefined;
      }
      busyEnd = last;
      busyScreen = tmux('capture-pane', '-p', '-t', session);
      await sim.stop();
    } else {
      busyStart = busyEnd = sample(pid);
    }
    sim = startSim(url, workers, 0, tag);
    await sim.ready;
    await sleep(idleSettleSeconds * 1000);
    const idleStart = busyEnd && sample(pid);
    await sleep(idleSeconds * 1000);
    const idleEnd = idleStart && sample(pid);
    const result = {
      workers,
      rate,
      seconds,
      columns,
      rows,
      nodeOptions,
      alive: idleEnd !== undefined,
      busyCpuPercent: busyEnd && rate > 0 ? ((busyEnd.cpu - busyStart.cpu) / (busyEnd.wall - busyStart.wall)) * 100 : NaN,
      idleCpuPercent: idleEnd ? ((idleEnd.cpu - idleStart.cpu) / (idleEnd.wall - idleStart.wall)) * 100 : NaN,
      /** CPU seconds (utime + stime) per minute of the idle window. */
      idleCpuSecondsPerMinute: idleEnd ? ((idleEnd.cpu - idleStart.cpu) / (idleEnd.wall - idleStart.wall)) * 60 : NaN,
      peakRssMb: (idleEnd ?? busyEnd ?? busyStart)?.hwmMb ?? NaN,
      load1: { before: load.before, after: loadavg()[0] },
      header: (busyScreen || tmux('capture-pane', '-p', '-t', session)).split('\n')[0],
      exited: idleEnd ? undefined : tmux('capture-pane', '-p', '-t', session).split('\n').filter(Boolean).slice(-8).join('\n'),
    };
    return result;
  } finally {
    await sim?.stop();
    // Quit the view as a user does, so it ends normally (and writes a --cpu-prof profile), then close the session.
    try {
      tmux('send-keys', '-t', session, 'q');
      for (let i = 0; i < 50 && pid && sample(pid); i++) await sleep(100);
    } catch {
      // the session is gone already
    }
    try {
      tmux('kill-session', '-t', session);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export function sustainedRow(r) {
  const f = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  return [
    `${r.workers} workers, ${r.rate.toLocaleString('en-US')} events/s, ${r.columns}×${r.rows}, ${r.seconds} s${r.nodeOptions ? ` (${r.nodeOptions})` : ''}`,
    `busy CPU ${f(r.busyCpuPercent, 1)} % of a core`,
    `idle CPU ${f(r.idleCpuPercent, 2)} %, ${f(r.idleCpuSecondsPerMinute, 2)} CPU s a minute (${r.workers} workers heartbeating)`,
    `peak RSS ${f(r.peakRssMb)} MB`,
    r.alive ? 'alive at the end' : `DIED:\n${r.exited}`,
    `load average (1 min) ${r.load1.before.toFixed(2)} → ${r.load1.after.toFixed(2)} on ${execFileSync('nproc')
      .toString()
      .trim()} cores, shared machine`,
  ].join(' · ');
}

/** The sustained case as the environment asks for it (see the top of this file). */
export function sustainedOptionsFromEnv(url) {
  return {
    url,
    workers: Number(process.env.BENCH_SIM_WORKERS ?? 200),
    rate: Number(process.env.BENCH_SIM_RATE ?? 10_000),
    seconds: Number(process.env.BENCH_SUSTAINED_SECONDS ?? 30),
    idleSeconds: Number(process.env.BENCH_IDLE_SECONDS ?? 20),
    // Before the idle window: 65 leaves the rates panel's 60 s sparklines settled, as on a cluster idle for a while.
    idleSettleSeconds: Number(process.env.BENCH_IDLE_SETTLE_SECONDS ?? 4),
    nodeOptions: process.env.BENCH_NODE_OPTIONS ?? '',
    nodeArgs: process.env.BENCH_CAMQ_NODE_ARGS ?? '',
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.CAMQ_BENCH_BROKER_URL ?? process.env.CAMQ_TEST_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672//';
  const r = await runSustained(sustainedOptionsFromEnv(url));
  if (process.env.BENCH_VERBOSE) console.error(JSON.stringify(r, null, 2));
  console.log(sustainedRow(r));
  console.log(r.header);
}
