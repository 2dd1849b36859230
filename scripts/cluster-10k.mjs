#!/usr/bin/env node
// The 10,000-task kill run on a three-node RabbitMQ cluster (docs/rabbitmq-cluster.md): a quorum queue, two camq
// workers with --acks-late connected to different nodes (w1 through node 1, w2 through node 2), half the tasks
// published with confirms by Python Celery 5.2 and half by CamqApp({ confirm: true }) with app.queue(name, quorum),
// node 1 (under w1) killed with SIGKILL once about 40 % of the tasks ran, and started again 5 s later.
//
// Every task appends `<n> <worker>` to a file of its own worker; the report counts from those files: tasks that ran
// at least once (all must), duplicates (ran more than once: acks-late redeliveries after the kill), and per worker
// the time from the kill until its first task afterwards (how long until it resumed).
//
//   npm run build && node scripts/cluster-10k.mjs [--tasks 10000] [--kill-at 0.4] [--port 5791] [--name camqk] [--keep]
//
// It starts its own cluster (scripts/rabbitmq-cluster.sh, ports 5791-5793 unless --port) and stops it at the end
// unless --keep. It needs the camq worker's quorum-queue consumption (per-consumer prefetch); without it the workers'
// consumers are refused with 540 and the run stops with that line.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BrokerConnection, CamqApp } from '../dist/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: opts } = parseArgs({
  options: {
    tasks: { type: 'string', default: '10000' },
    'kill-at': { type: 'string', default: '0.4' },
    port: { type: 'string', default: '5791' },
    name: { type: 'string', default: 'camqk' },
    keep: { type: 'boolean', default: false },
    'timeout-s': { type: 'string', default: '900' },
  },
});
const TOTAL = Number(opts.tasks);
const PORT = Number(opts.port);
const QUEUE = 'camq-10k';
const TASK = 'cluster10k.record';
const clusterArgs = ['--name', opts.name, '--port', String(PORT)];
const url = (n) => `amqp://guest:guest@127.0.0.1:${PORT + n - 1}//`;
const list = (...order) => order.map(url).join(';');
const script = (...args) => execFileSync(`${ROOT}scripts/rabbitmq-cluster.sh`, [...args, ...clusterArgs], { encoding: 'utf8' });
const log = (line) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

const dir = mkdtempSync(join(tmpdir(), 'camq-10k-'));
const taskModule = join(dir, 'record.mjs');
writeFileSync(
  taskModule,
  `import { appendFileSync } from 'node:fs';
export default (app) => {
  app.task(${JSON.stringify(TASK)}, (n) => {
    appendFileSync(process.env.CAMQ_10K_FILE, n + ' ' + process.env.CAMQ_10K_WORKER + ' ' + Date.now() + '\\n');
    return n;
  });
};
`,
);

const children = [];
function startWorker(name, brokerList) {
  const file = join(dir, `${name}.log`);
  writeFileSync(file, '');
  const child = spawn(
    process.execPath,
    [
      `${ROOT}bin/camq`,
      '-b',
      brokerList,
      'worker',
      '-A',
      taskModule,
      '-Q',
      QUEUE,
      '-n',
      `${name}@10k`,
      '-c',
      '20',
      '--acks-late',
      '--without-mingle',
      '--no-banner',
      '-l',
      'info',
    ],
    { env: { ...process.env, CAMQ_10K_FILE: file, CAMQ_10K_WORKER: name, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const connected = [];
  const onData = (c) => {
    output += c;
    // The worker says `Connected to <node>` after every (re)connect, once its consumer is attached again.
    for (const m of String(c).matchAll(/Connected to (\S+)/g)) connected.push({ at: Date.now(), node: m[1] });
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  children.push(child);
  return { name, file, child, connected, output: () => output };
}

function records(workers) {
  const runs = new Map();
  const rows = [];
  for (const w of workers) {
    for (const line of readFileSync(w.file, 'utf8').split('\n')) {
      if (!line) continue;
      const [n, worker, at] = line.split(' ');
      runs.set(n, (runs.get(n) ?? 0) + 1);
      rows.push({ worker, at: Number(at) });
    }
  }
  return { runs, rows };
}

async function publishPython(from, to) {
  const code = `
import os
from kombu import Exchange, Queue
from celery import Celery
app = Celery('p', broker=os.environ['B'])
app.conf.broker_transport_options = {'confirm_publish': True}
q = os.environ['Q']
app.conf.task_queues = [Queue(q, Exchange(q, type='direct'), routing_key=q, queue_arguments={'x-queue-type': 'quorum'})]
with app.producer_or_acquire() as producer:
    for n in range(${from}, ${to}):
        app.send_task('${TASK}', args=[n], queue=q, producer=producer)
`;
  // Spawned, not execFileSync: a synchronous child would block this process, so camq's half and the kill would
  // only start once Python's half was published.
  const child = spawn('/usr/bin/python3', ['-c', code], { env: { ...process.env, B: list(3, 2, 1), Q: QUEUE }, stdio: 'inherit' });
  children.push(child);
  await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`the Python publisher exited with ${code ?? signal}`))));
  });
}

async function publishCamq(from, to) {
  // CamqApp with publisher confirms: each send resolves on the broker's confirm (on a quorum queue, once a majority
  // of its members have it); 200 in flight at a time. The queue is declared as the Python clients declare it.
  const app = new CamqApp({ broker: list(3, 2, 1), confirm: true });
  app.queue(QUEUE, { type: 'quorum' });
  const record = app.taskOf(TASK);
  try {
    for (let n = from; n < to; n += 200) {
      const batch = [];
      for (let k = n; k < Math.min(n + 200, to); k++) batch.push(record.applyAsync({ args: [k], queue: QUEUE, ignoreResult: true }));
      await Promise.all(batch);
    }
  } finally {
    await app.close();
  }
}

let exitCode = 1;
const started = Date.now();
try {
  const status = script('status');
  if (status.includes(' down')) {
    log(`starting the cluster (${opts.name}1..3@localhost on ${PORT}-${PORT + 2})`);
    script('start');
  }
  // The quorum queue and its direct exchange, as the Python clients declare them.
  const setup = new BrokerConnection({ url: url(3) });
  await setup.connect();
  const ch = await setup.openChannel();
  await ch.assertExchange(QUEUE, 'direct', { durable: true });
  await ch.assertQueue(QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue(QUEUE, QUEUE, QUEUE);
  await ch.purgeQueue(QUEUE);
  await setup.close();

  const workers = [startWorker('w1', list(1, 2, 3)), startWorker('w2', list(2, 3, 1))];
  const half = Math.floor(TOTAL / 2);
  log(`publishing ${TOTAL} tasks with confirms: ${half} by Python Celery, ${TOTAL - half} by camq`);
  const publishing = Promise.all([publishPython(0, half), publishCamq(half, TOTAL)]).then(() => log('all tasks published and confirmed'));

  const killAt = Math.floor(TOTAL * Number(opts['kill-at']));
  const deadline = started + Number(opts['timeout-s']) * 1000;
  let killedAt = 0;
  let killedRuns = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    for (const w of workers) {
      if (/\(540\)|does not support global qos/.test(w.output()))
        throw new Error(`${w.name}'s consumer was refused with 540: the worker does not consume quorum queues yet`);
      if (w.child.exitCode !== null) throw new Error(`${w.name} exited (${w.child.exitCode}):\n${w.output().slice(-2000)}`);
    }
    const { runs } = records(workers);
    if (!killedAt && runs.size >= killAt) {
      killedAt = Date.now();
      killedRuns = runs.size;
      log(`${runs.size} tasks ran: killing node 1 (under w1)`);
      script('kill-node', '1');
      setTimeout(() => {
        log('starting node 1 again');
        try {
          script('start-node', '1');
          log('node 1 is back');
        } catch (err) {
          log(`node 1 did not start: ${err.message}`);
        }
      }, 5000);
    }
    if (runs.size >= TOTAL) break;
    if (Date.now() > deadline) throw new Error(`timed out with ${runs.size} of ${TOTAL} tasks run`);
  }
  await publishing;
  await new Promise((r) => setTimeout(r, 3000)); // late redeliveries
  const { runs, rows } = records(workers);
  const missing = TOTAL - [...Array(TOTAL).keys()].filter((n) => runs.has(String(n))).length;
  const duplicates = [...runs.values()].reduce((sum, k) => sum + (k - 1), 0);
  // A worker resumed with its first task after the kill and after its reconnect (when it had one): a task that was
  // already running when the node died and recorded just after does not count.
  const reconnected = Object.fromEntries(
    workers.map((w) => {
      const again = w.connected.find((c) => c.at > killedAt);
      return [w.name, again ? { ms: again.at - killedAt, to: again.node.replace(/:[^:@]*@/, ':****@') } : null];
    }),
  );
  const resumed = Object.fromEntries(
    workers.map((w) => {
      const from = killedAt + (reconnected[w.name]?.ms ?? 0);
      const after = rows.filter((r) => r.worker === w.name && r.at > from).map((r) => r.at);
      return [w.name, after.length === 0 ? null : Math.min(...after) - killedAt];
    }),
  );
  // The longest time each worker recorded nothing, from 2 s before the kill to its last task.
  const longestPause = Object.fromEntries(
    workers.map((w) => {
      const times = rows
        .filter((r) => r.worker === w.name && r.at > killedAt - 2000)
        .map((r) => r.at)
        .sort((a, b) => a - b);
      let longest = 0;
      for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i] - times[i - 1]);
      return [w.name, longest];
    }),
  );
  const perWorker = Object.fromEntries(workers.map((w) => [w.name, rows.filter((r) => r.worker === w.name).length]));
  const report = {
    tasks: TOTAL,
    ranAtLeastOnce: TOTAL - missing,
    missing,
    duplicates,
    runsPerWorker: perWorker,
    killedAfterRuns: killedRuns,
    reconnectedAfterKill: reconnected,
    resumedMsAfterKill: resumed,
    bothResumedMs: Object.values(resumed).some((ms) => ms === null) ? null : Math.max(...Object.values(resumed)),
    longestPauseMs: longestPause,
    totalSeconds: (Date.now() - started) / 1000,
  };
  log(JSON.stringify(report));
  exitCode = missing === 0 && Object.values(resumed).every((ms) => ms !== null && ms < 60_000) ? 0 : 1;
} catch (err) {
  log(`failed: ${err.message}`);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 2000));
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  try {
    const conn = new BrokerConnection({ url: list(3, 2, 1) });
    await conn.connect();
    const ch = await conn.openChannel();
    await ch.deleteQueue(QUEUE);
    await ch.deleteExchange(QUEUE);
    await conn.close();
  } catch {
    // The cluster is stopped below anyway.
  }
  if (!opts.keep) script('stop');
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);
