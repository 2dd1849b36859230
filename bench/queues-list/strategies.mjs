#!/usr/bin/env node
/**
 * How to ask RabbitMQ's management API for 10,000 queues: times each way of asking (the whole list, `columns=`,
 * paging at 3.10's cap of 500, `disable_stats=true&enable_queue_totals=true`, and their mixes) against one vhost,
 * median of --rounds, with the bytes each answer carries. docs/queues.md keeps the figures and the choice.
 *
 *   node bench/queues-list/strategies.mjs [--queues 10000] [--rounds 3] [--keep]
 *   RabbitMQ: $CAMQ_BENCH_RABBITMQ_URL, else $CAMQ_TEST_BROKER_URL (its vhost; the API on the host's port 15672)
 */
import { parseArgs } from 'node:util';
import { deleteQueues, makeQueues } from './make-queues.mjs';

const { values: args } = parseArgs({
  options: { queues: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '3' }, keep: { type: 'boolean' } },
});
const COUNT = Number(args.queues);
const ROUNDS = Number(args.rounds);
const AMQP_URL = process.env.CAMQ_BENCH_RABBITMQ_URL ?? process.env.CAMQ_TEST_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672//';
const amqpUrl = new URL(AMQP_URL);
const user = decodeURIComponent(amqpUrl.username || 'guest');
const pass = decodeURIComponent(amqpUrl.password || 'guest');
const vhostPath = amqpUrl.pathname.slice(1);
const vhost = vhostPath === '' ? '/' : decodeURIComponent(vhostPath);
const API = `http://${amqpUrl.hostname}:15672/api/queues/${encodeURIComponent(vhost)}`;
const AUTH = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

const COLUMNS =
  'name,vhost,type,messages_ready,messages_unacknowledged,consumers,idle_since,' +
  'message_stats.publish_details.rate,message_stats.deliver_get_details.rate';

async function get(query) {
  const res = await fetch(`${API}?${query}`, { headers: { authorization: AUTH } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.status} ${text.slice(0, 200)}`);
  return { body: JSON.parse(text), bytes: Buffer.byteLength(text) };
}

async function paged(query, concurrency) {
  const first = await get(`${query}&page=1&page_size=500`);
  const pages = first.body.page_count;
  let bytes = first.bytes;
  let rows = first.body.items.length;
  let next = 2;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next <= pages) {
        const page = next++;
        const r = await get(`${query}&page=${page}&page_size=500`);
        bytes += r.bytes;
        rows += r.body.items.length;
      }
    }),
  );
  return { rows, bytes, requests: pages };
}

const strategies = [
  ['whole list', async () => one(await get(''))],
  ['columns=', async () => one(await get(`columns=${COLUMNS}`))],
  ['disable_stats=true&enable_queue_totals=true', async () => one(await get('disable_stats=true&enable_queue_totals=true'))],
  ['disable_stats + queue totals + columns=', async () => one(await get(`disable_stats=true&enable_queue_totals=true&columns=${COLUMNS}`))],
  ['pages of 500, one at a time', () => paged('', 1)],
  ['pages of 500 + columns=, one at a time', () => paged(`columns=${COLUMNS}`, 1)],
  ['pages of 500 + columns=, 4 at a time', () => paged(`columns=${COLUMNS}`, 4)],
];

function one(r) {
  return { rows: r.body.length, bytes: r.bytes, requests: 1 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await makeQueues(AMQP_URL, COUNT);
try {
  process.stdout.write(`RabbitMQ management API, vhost '${vhost}', ${COUNT} queues, median of ${ROUNDS} rounds\n\n`);
  process.stdout.write('| request | time | rows | bytes | requests |\n| --- | --- | --- | --- | --- |\n');
  for (const [name, run] of strategies) {
    const times = [];
    let last;
    for (let i = 0; i < ROUNDS; i++) {
      const started = performance.now();
      last = await run();
      times.push(performance.now() - started);
    }
    const mb = (last.bytes / 1e6).toFixed(1);
    process.stdout.write(`| ${name} | ${(median(times) / 1000).toFixed(2)} s | ${last.rows} | ${mb} MB | ${last.requests} |\n`);
  }
} finally {
  if (!args.keep) await deleteQueues(AMQP_URL, COUNT);
}
