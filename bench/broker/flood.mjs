#!/usr/bin/env node
/**
 * bench/broker/flood: a publish flood with no consumer against `camq broker` (its own process, from dist/:
 * `npm run bench:broker-flood` builds first). Shows that the memory high watermark holds: the publisher is blocked
 * (connection.blocked) and the broker's RSS stays under the watermark plus Node's own baseline; then a consumer
 * drains the queue and the publisher is released (connection.unblocked).
 *
 * Prints the broker's baseline and peak RSS, the watermark, the messages it held when it blocked the publisher,
 * and the RSS each held message cost (what MESSAGE_OVERHEAD_BYTES in src/broker/memory-monitor.ts estimates).
 *
 *   node bench/broker/flood.mjs [--watermark 256MiB] [--size 64] [--hold 2000]
 *   (--hold: ms the publisher keeps trying while blocked, to show nothing more gets in)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import amqp from 'amqplib';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    watermark: { type: 'string', default: '256MiB' },
    size: { type: 'string', default: '64' },
    hold: { type: 'string', default: '2000' },
  },
});
const SIZE = Number(args.size);
const HOLD_MS = Number(args.hold);
const MiB = 2 ** 20;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function parseSize(text) {
  const match = /^(\d+(?:\.\d+)?)\s*(KiB|MiB|GiB|KB|MB|GB)?$/i.exec(text);
  if (!match) throw new Error(`--watermark: give a size such as 256MiB (got ${text})`);
  const unit = { kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, kb: 1e3, mb: 1e6, gb: 1e9 }[(match[2] ?? '').toLowerCase()] ?? 1;
  return Number(match[1]) * unit;
}

function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

async function startBroker() {
  const child = spawn(
    process.execPath,
    [`${ROOT}bin/camq`, 'broker', '--port', '0', '--json', '--memory-high-watermark', args.watermark, '-l', 'warning'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = [];
  child.stderr.on('data', (c) => log.push(...c.toString().split('\n').filter(Boolean)));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]).port);
    });
    child.once('exit', (code) => reject(new Error(`camq broker exited (${code}); run \`npm run build\` first\n${log.join('\n')}`)));
  });
  return { child, port, log };
}

const { child, port, log } = await startBroker();
const url = `amqp://guest:guest@127.0.0.1:${port}/`;
await sleep(500); // let the fresh process settle before the baseline reading
const baseline = rssBytes(child.pid);
let peak = baseline;
const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(child.pid))), 20);

const publisher = await amqp.connect(url);
const events = [];
const t0 = performance.now();
const at = () => `${((performance.now() - t0) / 1000).toFixed(2)} s`;
let published = 0;
let blockedAt;
publisher.on('blocked', (reason) => {
  blockedAt = published;
  events.push(`${at()}: publisher blocked (${reason}) after ${published} publishes`);
});
publisher.on('unblocked', () => events.push(`${at()}: publisher unblocked`));
const pch = await publisher.createChannel();
const queue = 'flood';
await pch.assertQueue(queue, { durable: false });
const body = Buffer.alloc(SIZE, 0x61);

// Publish as fast as amqplib takes it (waiting for 'drain' when its buffer is full) until blocked, then keep
// trying for HOLD_MS more: the broker reads nothing more from this connection.
let stop = false;
const flooding = (async () => {
  while (!stop) {
    if (pch.sendToQueue(queue, body)) {
      published++;
      if (published % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
    } else {
      published++;
      await new Promise((resolve) => {
        const done = () => {
          pch.off('drain', done);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(done, 100);
        pch.once('drain', done);
      });
    }
  }
})();

while (blockedAt === undefined) await sleep(20);
await sleep(HOLD_MS);
const observer = await amqp.connect(url);
const och = await observer.createChannel();
const held = (await och.checkQueue(queue)).messageCount;
const rssHeld = rssBytes(child.pid);
const peakWhileBlocked = peak;

// A consumer drains the queue; the publisher must be released.
let consumed = 0;
await och.prefetch(1000);
await och.consume(queue, (m) => {
  consumed++;
  och.ack(m);
});
while (!events.some((e) => e.includes('unblocked'))) await sleep(20);
const consumedAtRelease = consumed;
stop = true;
await flooding;
clearInterval(sampler);

// camq broker takes its own start-up RSS off the watermark given, so the process as a whole stays under it.
const watermarkBytes = parseSize(args.watermark);
const mb = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;
console.log(`camq broker publish flood, ${SIZE}-byte messages, no consumer (--memory-high-watermark ${args.watermark})`);
console.log(`  watermark               ${mb(watermarkBytes)}`);
console.log(`  baseline RSS            ${mb(baseline)}`);
console.log(`  peak RSS while blocked  ${mb(peakWhileBlocked)}  (${peakWhileBlocked < watermarkBytes ? 'under' : 'OVER'} the watermark)`);
console.log(
  `  messages held           ${held} (${mb(held * SIZE)} of bodies; RSS per held message ${((rssHeld - baseline) / held).toFixed(0)} bytes)`,
);
for (const e of events) console.log(`  ${e}`);
console.log(`  released after the consumer took ${consumedAtRelease} messages; overall peak RSS ${mb(peak)}`);
for (const l of log.filter((x) => x.includes('memory alarm'))) console.log(`  broker: ${l.replace(/^\[[^\]]*\] /, '')}`);

await publisher.close().catch(() => {});
await observer.close().catch(() => {});
child.kill('SIGTERM');
const ok = blockedAt !== undefined && events.some((e) => e.includes('unblocked')) && peakWhileBlocked < watermarkBytes;
process.exitCode = ok ? 0 : 1;
