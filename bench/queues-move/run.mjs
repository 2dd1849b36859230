#!/usr/bin/env node
/**
 * `camq queues move` throughput: N Celery task messages (built as apply_async would, ~330 B each, persistent) are
 * put in a source queue, then `bin/camq queues move <source> <target>` moves them all (publish with confirms,
 * then batched acks), as a child process timed from spawn to exit (its own start-up included). Run on RabbitMQ
 * and on the embedded broker (`camq broker` child process) in one run; the target is ≥ 10,000 msg/s on each.
 *
 *   npm run bench:queues-move -- [--count 100000] [--window 2000] [--url amqp://…/vhost]
 *
 * RabbitMQ comes from --url, else CAMQ_BENCH_BROKER_URL, else CAMQ_TEST_BROKER_URL, else the local default; its
 * queues are deleted afterwards. Build first (the npm script does).
 *
 * Figures: docs/benchmarks.md, Queue move.
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../free-port.mjs';
import amqp from 'amqplib';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CAMQ = resolve(ROOT, 'bin/camq');
const COUNT = Number(opt('count', '100000'));
const WINDOW = opt('window', undefined);
const RABBITMQ =
  opt('url', undefined) ?? process.env.CAMQ_BENCH_BROKER_URL ?? process.env.CAMQ_TEST_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672//';
const TARGET = 10_000;

const { buildTaskMessage } = await import(resolve(ROOT, 'dist/protocol/task-message.js'));

async function startEmbedded() {
  const port = await freePort();
  const child = spawn(process.execPath, [CAMQ, 'broker', '--port', String(port), '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('\n')) res();
    });
    child.once('exit', (code) => rej(new Error(`camq broker exited ${code}`)));
  });
  return { url: `amqp://guest:guest@127.0.0.1:${port}//`, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) };
}

async function fill(url, source, target) {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(source, { durable: true });
  await ch.assertQueue(target, { durable: true });
  await ch.purgeQueue(source);
  await ch.purgeQueue(target);
  for (let i = 0; i < COUNT; i++) {
    const m = buildTaskMessage({ name: 'tasks.add', args: [i, i], kwargs: { note: 'bench' }, queue: source });
    if (!ch.publish('', source, m.content, { ...m.properties, deliveryMode: 2 })) await new Promise((r) => ch.once('drain', r));
    if (i % 5000 === 4999) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  await conn.close();
}

async function counts(url, source, target) {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  const [s, t] = [await ch.checkQueue(source), await ch.checkQueue(target)];
  await conn.close();
  return { source: s.messageCount, target: t.messageCount };
}

async function cleanUp(url, queues) {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  for (const q of queues) await ch.deleteQueue(q);
  await conn.close();
}

function move(url, source, target) {
  const started = performance.now();
  const child = spawn(process.execPath, [CAMQ, 'queues', 'move', source, target, '-b', url, ...(WINDOW ? ['--window', WINDOW] : [])], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  return new Promise((res, rej) =>
    child.once('exit', (code) =>
      code === 0 ? res({ ms: performance.now() - started, out: out.trim() }) : rej(new Error(`move exited ${code}: ${out}`)),
    ),
  );
}

async function bench(name, url) {
  const source = `bench-move-from-${process.pid}`;
  const target = `bench-move-to-${process.pid}`;
  try {
    const fillStart = performance.now();
    await fill(url, source, target);
    const fillMs = performance.now() - fillStart;
    const { ms, out } = await move(url, source, target);
    await new Promise((r) => setTimeout(r, 200));
    const after = await counts(url, source, target);
    const rate = Math.round(COUNT / (ms / 1000));
    const ok = after.source === 0 && after.target === COUNT;
    console.log(
      `${name.padEnd(9)} ${COUNT} messages moved in ${(ms / 1000).toFixed(2)} s = ${rate} msg/s (target ${TARGET}) ` +
        `${rate >= TARGET ? 'PASS' : 'FAIL'}; after: source ${after.source}, target ${after.target}${ok ? '' : ' (COUNTS WRONG)'}; ` +
        `the fill (amqplib, publish only, confirmed) ran at ${Math.round(COUNT / (fillMs / 1000))} msg/s; camq said: ${out}`,
    );
    return rate >= TARGET && ok;
  } finally {
    await cleanUp(url, [source, target]).catch(() => {});
  }
}

const results = [];
results.push(await bench('rabbitmq', RABBITMQ));
const embedded = await startEmbedded();
try {
  results.push(await bench('embedded', embedded.url));
} finally {
  await embedded.stop();
}
process.exitCode = results.every(Boolean) ? 0 : 1;
