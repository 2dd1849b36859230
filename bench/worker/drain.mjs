// What bench/worker (RabbitMQ) and bench/redis share: the contenders' command lines (camq worker, celery-node,
// Python Celery on bench/worker's task modules), and timing one contender's drain of N pre-published tasks.
//
// Each contender runs as a child process, so start-up time is not counted, and each is timed the same way: the task
// function itself notes when the first and the N-th task ran and prints `BENCH <first> <last>` (task-count.mjs;
// Python's prefork children share the count through shared memory, see celery_bench.py), and `BENCH-OVER` if more
// than N ran. CPU time (user + system) of the contender's process tree and, when it runs locally, of the broker's
// process is sampled every 20 ms from /proc, so the drain's share is read off between the first and the N-th task.
// Peak RSS is VmHWM from /proc, summed over the process and its children.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `bin/camq worker` on bench/worker/tasks.mjs, consuming `queue` with -c concurrency and the prefetch multiplier. */
export function camqWorker(broker, queue, { concurrency, multiplier, extra = [] }) {
  return [
    process.execPath,
    [
      `${ROOT}bin/camq`,
      '-b',
      broker,
      'worker',
      '-A',
      `${ROOT}bench/worker/tasks.mjs`,
      '-n',
      `bench-${randomUUID().slice(0, 6)}@%h`,
      '-Q',
      queue,
      '-c',
      String(concurrency),
      '--prefetch-multiplier',
      String(multiplier),
      '-l',
      'warning',
      '--no-banner',
      '--without-mingle',
      ...extra,
    ],
  ];
}

/** celery-node 0.5.9 on bench/worker/celery-node-worker.mjs. */
export function celeryNodeWorker(broker, queue) {
  return [process.execPath, [`${ROOT}bench/worker/celery-node-worker.mjs`, broker, queue]];
}

/** Python Celery (`/usr/bin/python3 -m celery worker`) on bench/worker/celery_bench.py, with a pool and concurrency. */
export function pythonWorker(broker, queue, { pool = 'prefork', concurrency = 2 } = {}) {
  return [
    '/usr/bin/python3',
    [
      '-m',
      'celery',
      '-A',
      'celery_bench',
      'worker',
      '-P',
      pool,
      '-c',
      String(concurrency),
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
    { cwd: `${ROOT}bench/worker`, env: { ...process.env, CAMQ_BENCH_BROKER_URL: broker, PYTHONDONTWRITEBYTECODE: '1' } },
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
export function cpuMs(pid) {
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

/** Whether a broker's host is this machine (its CPU time can be read from /proc then). */
export const isLocalHost = (hostname) => ['127.0.0.1', 'localhost', '::1'].includes(hostname);

/** The pid of a local broker process by its command name (`beam.smp`); undefined for a remote one. */
export function localBrokerPid(hostname, comm) {
  if (!isLocalHost(hostname)) return undefined;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) return Number(pid);
    } catch {
      // gone
    }
  }
  return undefined;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Stop a contender: SIGTERM, SIGKILL after 15 s; resolves when it exited. */
export async function stopChild(child, exited) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Run one contender (`{ label, key, cmd: (queue) => [cmd, args, opts] }`) on a queue already holding `n` tasks, until
 * its N-th task ran, then stop it. Returns the drain's seconds, tasks/s, CPU µs per task (contender; broker when
 * `brokerPid`), peak RSS in MB, and `over`: whether more than `n` tasks ran. With `profile`, a Node contender writes a
 * V8 CPU profile to `<profile>/<key>/`. Throws when the contender exits early or does not finish in `timeoutMs`.
 */
export async function timeDrain(contender, queue, { n, profile, brokerPid, timeoutMs = 300_000 }) {
  const [cmd, plainArgs, opts = {}] = contender.cmd(queue);
  const args = profile && cmd === process.execPath ? ['--cpu-prof', `--cpu-prof-dir=${profile}/${contender.key}`, ...plainArgs] : plainArgs;
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts, env: { ...(opts.env ?? process.env), BENCH_N: String(n) } });
  let stderr = '';
  let reported;
  child.stderr.on('data', (c) => {
    stderr += c.toString();
    const m = /BENCH (\d+) (\d+)/.exec(stderr);
    if (m) reported = { first: Number(m[1]), last: Number(m[2]) };
  });
  const exited = new Promise((r) => child.once('exit', r));
  let peak = 0;
  const samples = [];
  const deadline = Date.now() + timeoutMs;
  try {
    while (!reported && Date.now() < deadline) {
      samples.push({ at: Date.now(), cpu: overTree(child.pid, cpuMs), broker: brokerPid ? cpuMs(brokerPid) : 0 });
      if (reported) break;
      peak = Math.max(peak, overTree(child.pid, vmHwmKb));
      if (child.exitCode !== null) throw new Error(`${contender.label} exited early:\n${stderr}`);
      await sleep(20);
    }
    // The sample that ends the drain: taken right after the N-th task was reported.
    samples.push({ at: Date.now(), cpu: overTree(child.pid, cpuMs), broker: brokerPid ? cpuMs(brokerPid) : 0 });
    if (!reported) throw new Error(`${contender.label} did not drain ${n} messages in ${timeoutMs / 1000} s:\n${stderr}`);
    await sleep(200); // let the in-flight tail finish (and a duplicate show) before reading the peak
    peak = Math.max(peak, overTree(child.pid, vmHwmKb));
  } finally {
    await stopChild(child, exited);
  }
  const before = samples.findLast((x) => x.at <= reported.first) ?? samples[0];
  const after = samples.at(-1);
  const perTaskUs = (key) => ((after[key] - before[key]) * 1000) / n;
  const seconds = (reported.last - reported.first) / 1000;
  return {
    seconds,
    rate: n / seconds,
    peakMb: peak / 1024,
    cpuUs: perTaskUs('cpu'),
    brokerUs: brokerPid ? perTaskUs('broker') : undefined,
    over: stderr.includes('BENCH-OVER'),
  };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Run every contender `runs` times, round-robin (a change of load on a shared machine hits all alike). */
export async function roundRobin(contenders, runs, runOnce) {
  const all = new Map(contenders.map((c) => [c.key, []]));
  for (let i = 0; i < runs; i++) for (const c of contenders) all.get(c.key).push(await runOnce(c));
  return all;
}

/**
 * Print one line per contender, its median run by time (the side-by-side table both benches print), and return the
 * chosen runs by key. `brokerName` labels the broker's CPU per task.
 */
export function printMedians(contenders, all, { labelWidth = 52, brokerName = 'broker' } = {}) {
  const results = {};
  for (const c of contenders) {
    const mine = all.get(c.key);
    const m = median(mine.map((r) => r.seconds));
    const chosen = mine.find((r) => r.seconds === m);
    results[c.key] = chosen;
    const broker = chosen.brokerUs === undefined ? '' : `  ${brokerName} CPU ${chosen.brokerUs.toFixed(0).padStart(3)} µs/task`;
    console.log(
      `${c.label.padEnd(labelWidth)} ${chosen.seconds.toFixed(2).padStart(6)} s ${Math.round(chosen.rate).toString().padStart(6)} tasks/s  CPU ${chosen.cpuUs.toFixed(0).padStart(4)} µs/task${broker}  peak RSS ${chosen.peakMb.toFixed(0).padStart(4)} MB   runs: ${mine.map((r) => r.seconds.toFixed(2)).join(', ')}`,
    );
  }
  return results;
}

/** `load average <when>: 1.00 0.80 0.50 (2 CPUs)`. */
export function loadLine(when) {
  return `load average ${when}: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (${availableParallelism()} CPUs)`;
}
