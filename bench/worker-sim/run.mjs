// bench/worker-sim: N simulated Celery 5.2 workers on a broker (src/demo/worker-simulator.ts), for benches, tests and
// trying the live view by hand with a large cluster. Needs `npm run build` (it runs from dist/).
//
//   node bench/worker-sim/run.mjs -b amqp://guest:guest@127.0.0.1:5672/h1 --workers 1000 --events-per-second 10000
//   node bench/worker-sim/run.mjs -b URL --workers 200 --groups 10      (10 processes of 20 workers: kill or SIGSTOP one)
//   node bench/worker-sim/run.mjs -b URL --workers 200 --group-sizes 3,3,194   (groups of those sizes, in order)
//
// Prints one JSON line per process when its workers are online: {"ready":true,"group":g,"pid":p,"nodenames":[...]}
// then {"ready":"all","workers":N} (and {"counts":...} every --report seconds when asked). SIGTERM or SIGINT: each
// worker sends worker-offline and the process ends; a group process also ends when its parent goes (stdin closes).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { WorkerSimulator, simulatedNodeNames } from '../../dist/demo/worker-simulator.js';

const { values } = parseArgs({
  options: {
    broker: { type: 'string', short: 'b' },
    workers: { type: 'string', default: '200' },
    'events-per-second': { type: 'string', default: '0' },
    groups: { type: 'string', default: '1' },
    'group-sizes': { type: 'string' },
    prefixes: { type: 'string', default: 'payments,emails,reports,search' },
    hosts: { type: 'string', default: '4' },
    tag: { type: 'string', default: '' },
    freq: { type: 'string', default: '2' },
    report: { type: 'string', default: '0' },
    group: { type: 'string' },
  },
});

const url = values.broker ?? process.env.CAMQ_TEST_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672//';
const total = positive('workers', values.workers);
const sizes = values['group-sizes']?.split(',').map((n) => positive('group-sizes', n));
if (sizes && sizes.reduce((a, b) => a + b, 0) !== total) fail(`--group-sizes must add up to --workers (${total}), not ${values['group-sizes']}`);
const groups = sizes ? sizes.length : Math.min(total, positive('groups', values.groups));
const rate = Number(values['events-per-second']);
if (!Number.isFinite(rate) || rate < 0) fail(`--events-per-second must be a number ≥ 0, not ${values['events-per-second']}`);
const names = simulatedNodeNames(total, {
  prefixes: values.prefixes.split(',').filter(Boolean),
  hosts: positive('hosts', values.hosts),
  tag: values.tag,
});

function positive(name, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a whole number ≥ 1, not ${text}`);
  return n;
}

function fail(line) {
  process.stderr.write(`worker-sim: ${line}\n`);
  process.exit(2);
}

/** The node names of group g of `groups`: contiguous slices, of --group-sizes or sizes differing by at most one. */
function slice(g) {
  if (sizes) {
    const from = sizes.slice(0, g).reduce((a, b) => a + b, 0);
    return names.slice(from, from + sizes[g]);
  }
  const from = Math.floor((g * total) / groups);
  const to = Math.floor(((g + 1) * total) / groups);
  return names.slice(from, to);
}

async function runGroup(g, isChild) {
  const nodenames = groups === 1 ? names : slice(g);
  const share = (rate * nodenames.length) / total;
  const sim = new WorkerSimulator({ url, nodenames, eventsPerSecond: share, freqSeconds: Number(values.freq) });
  await sim.start();
  console.log(JSON.stringify({ ready: true, group: g, pid: process.pid, nodenames }));
  if (!isChild) console.log(JSON.stringify({ ready: 'all', workers: total }));
  const reportEvery = Number(values.report);
  const reporter = reportEvery > 0 ? setInterval(() => console.log(JSON.stringify({ group: g, counts: sim.counts })), reportEvery * 1000) : undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(reporter);
    await sim.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (isChild) {
    process.stdin.on('end', stop);
    process.stdin.resume();
  }
}

async function runParent() {
  const here = fileURLToPath(import.meta.url);
  const children = [];
  let ready = 0;
  for (let g = 0; g < groups; g++) {
    const args = [here, ...process.argv.slice(2).filter((a, i, all) => a !== '--group' && all[i - 1] !== '--group'), '--group', String(g)];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    createInterface({ input: child.stdout }).on('line', (line) => {
      console.log(line);
      if (line.includes('"ready":true') && ++ready === groups) console.log(JSON.stringify({ ready: 'all', workers: total }));
    });
    child.on('exit', (code, signal) => {
      if (!stopping) console.log(JSON.stringify({ exited: true, group: g, pid: child.pid, code, signal }));
    });
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    }
    Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.on('exit', r))))).then(() =>
      process.exit(0),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (values.group !== undefined) await runGroup(Number(values.group), true);
else if (groups > 1) await runParent();
else await runGroup(0, false);
