#!/usr/bin/env node
/**
 * bench/queues-list: `camq queues` over 10,000 queues on RabbitMQ and on camq's embedded broker, side by side in one
 * run. For each broker it prints, as medians of --rounds:
 *
 * - the broker's API time: one `GET /api/queues/<vhost>?columns=…` as camq sends it, timed alone with fetch;
 * - camq's engine: QueueLister.list() (discovery already done: the request plus parsing 10,000 rows);
 * - camq's total: `camq queues --json` and `camq queues` (the table) as processes, from spawn to exit (Node start-up,
 *   discovery, the listing, formatting, printing), with their output read and counted.
 *
 * The embedded broker runs as `camq broker --port 0 --management` in a child process of its own. Queues are declared
 * before and deleted after (bench/queues-list/make-queues.mjs). Build first: `npm run bench:queues-list` does.
 *
 *   node bench/queues-list/run.mjs [--queues 10000] [--rounds 3]
 *   RabbitMQ: $CAMQ_BENCH_RABBITMQ_URL, else $CAMQ_TEST_BROKER_URL, else amqp://guest:guest@127.0.0.1:5672//
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { QueueLister, queueListPath } from '../../dist/queues/index.js';
import { parseBrokerUrl } from '../../dist/transport/index.js';
import { deleteQueues, makeQueues } from './make-queues.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { values: args } = parseArgs({ options: { queues: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '3' } } });
const COUNT = Number(args.queues);
const ROUNDS = Number(args.rounds);
const RABBITMQ_URL = process.env.CAMQ_BENCH_RABBITMQ_URL ?? process.env.CAMQ_TEST_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672//';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;

function startEmbedded() {
  const child = spawn(process.execPath, [`${ROOT}bin/camq`, 'broker', '--port', '0', '--management', '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        const info = JSON.parse(line);
        resolve({ child, url: `amqp://guest:guest@127.0.0.1:${info.port}//`, api: info.api });
      }
    });
    child.once('exit', (code) => reject(new Error(`camq broker exited with ${code}`)));
  });
}

function runCamqQueues(url, api, json) {
  const started = performance.now();
  const child = spawn(process.execPath, [`${ROOT}bin/camq`, 'queues', '-b', url, ...(json ? ['--json'] : []), ...(api ? ['--api', api] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`camq queues exited with ${code}`));
      resolve({ ms: performance.now() - started, rows: json ? JSON.parse(out).queues.length : out.trimEnd().split('\n').length - 1 });
    });
  });
}

async function measure(name, url, api) {
  const broker = parseBrokerUrl(url);
  const lister = new QueueLister({ broker, apiUrl: api });
  const found = await lister.api();
  if (found === null) throw new Error(`${name}: no management API answers for ${broker.masked}`);
  const auth = `Basic ${Buffer.from(`${broker.username}:${broker.password}`).toString('base64')}`;
  const raw = [];
  const engine = [];
  const total = [];
  const table = [];
  let rows = 0;
  for (let i = 0; i < ROUNDS; i++) {
    let t = performance.now();
    const res = await fetch(`${found.origin}/api/${queueListPath(broker.vhost)}`, { headers: { authorization: auth } });
    await res.text();
    raw.push(performance.now() - t);
    t = performance.now();
    rows = (await lister.list()).queues.length;
    engine.push(performance.now() - t);
    total.push((await runCamqQueues(url, api, true)).ms);
    const drawn = await runCamqQueues(url, api, false);
    if (drawn.rows !== rows) throw new Error(`${name}: the table has ${drawn.rows} rows, the listing ${rows}`);
    table.push(drawn.ms);
  }
  return { name, api: found.origin, raw: median(raw), engine: median(engine), total: median(total), table: median(table), rows };
}

process.stdout.write(
  `bench/queues-list: ${COUNT} queues, median of ${ROUNDS} rounds; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
const embedded = await startEmbedded();
const results = [];
try {
  for (const [name, url, api] of [
    ['RabbitMQ', RABBITMQ_URL, undefined],
    ['embedded', embedded.url, embedded.api],
  ]) {
    const t = performance.now();
    await makeQueues(url, COUNT);
    process.stdout.write(`  ${name}: declared ${COUNT} queues in ${fmt(performance.now() - t)}\n`);
    try {
      results.push(await measure(name, url, api));
    } finally {
      await deleteQueues(url, COUNT);
    }
  }
} finally {
  embedded.child.kill('SIGTERM');
}
process.stdout.write(
  '\n| broker | API request alone | camq engine (request + parse) | `camq queues --json` process | `camq queues` (table) process | rows |\n',
);
process.stdout.write('| --- | --- | --- | --- | --- | --- |\n');
for (const r of results) {
  process.stdout.write(`| ${r.name} (${r.api}) | ${fmt(r.raw)} | ${fmt(r.engine)} | ${fmt(r.total)} | ${fmt(r.table)} | ${r.rows} |\n`);
}
process.stdout.write('\nTarget (issue 12): camq queues lists 10,000 queues in under 2 s.\n');
