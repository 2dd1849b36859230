#!/usr/bin/env node
/**
 * Time-to-resume after a broker outage: a `camq worker` on a `camq broker` child process; the broker is killed,
 * stays down for OUTAGE seconds, and is started again on the same port. The figure is the time from the new broker
 * printing its URL (listening) to the worker logging ` ready.` again (consuming). RabbitMQ on 5672 is never touched.
 *
 *   node bench/reconnect/run.mjs [--root DIR] [--outage 10] [--runs 5]
 *
 * --root runs another build of camq (its bin/camq), e.g. a checkout of the commit before a change. Build first.
 *
 * Figures (2-core shared machine, Node 20; before = 41e85c1, 0.2 s doubling to a 10 s cap ±20 %; after = 0.2 s
 * doubling to a 2.5 s cap, equal jitter):
 *   10 s outage, 5 runs: before mean 2.38 s, max 3.05 s; after mean 1.31 s, max 2.21 s
 *   30 s outage, 3 runs: before mean 4.31 s, max 8.82 s; after mean 1.42 s, max 1.88 s
 * A 10 s outage happens to end ~2.6 s before the old schedule's 6th attempt (at 12.6 s), which hides its worst
 * case; longer outages show it (up to 10 s idle with the broker back). The new bound is 2.5 s at any length.
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../free-port.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const ROOT = resolve(opt('root', resolve(dirname(fileURLToPath(import.meta.url)), '../..')));
const OUTAGE_S = Number(opt('outage', '10'));
const RUNS = Number(opt('runs', '5'));
const CAMQ = resolve(ROOT, 'bin/camq');

function startBroker(port) {
  const child = spawn(process.execPath, [CAMQ, 'broker', '--port', String(port), '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('\n')) res({ child, listeningAt: performance.now() });
    });
    child.once('exit', (code) => rej(new Error(`camq broker exited ${code}`)));
  });
}

function stop(child, signal = 'SIGKILL') {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    child.once('exit', () => res());
    child.kill(signal);
  });
}

function startWorker(url) {
  const child = spawn(
    process.execPath,
    [
      CAMQ,
      '-b',
      url,
      'worker',
      '-A',
      'examples/tasks.js',
      '-n',
      `bench-reconnect-${process.pid}@bench`,
      '-Q',
      'bench-reconnect',
      '-l',
      'info',
      '--no-banner',
      '--without-mingle',
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  const readyTimes = [];
  const waiters = [];
  let buffer = '';
  child.stderr.on('data', (c) => {
    buffer += c;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (process.env.BENCH_VERBOSE) process.stderr.write(`  | ${line}\n`);
      if (/ ready\.$/.test(line)) {
        readyTimes.push(performance.now());
        for (const w of waiters.splice(0)) w();
      }
    }
  });
  const readyCount = (n) => new Promise((res) => (readyTimes.length >= n ? res() : waiters.push(() => readyTimes.length >= n && res())));
  return { child, readyTimes, readyCount };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const port = await freePort();
const url = `amqp://guest:guest@127.0.0.1:${port}//`;
let broker = await startBroker(port);
const worker = startWorker(url);
await worker.readyCount(1);
const figures = [];
for (let run = 1; run <= RUNS; run++) {
  await stop(broker.child);
  await sleep(OUTAGE_S * 1000);
  broker = await startBroker(port);
  await worker.readyCount(run + 1);
  const ms = worker.readyTimes[run] - broker.listeningAt;
  figures.push(ms);
  process.stdout.write(`run ${run}: resumed ${(ms / 1000).toFixed(2)} s after the broker was back (outage ${OUTAGE_S} s)\n`);
}
await stop(worker.child, 'SIGTERM');
await stop(broker.child, 'SIGTERM');
const mean = figures.reduce((a, b) => a + b, 0) / figures.length;
process.stdout.write(
  `${ROOT}: time to resume after a ${OUTAGE_S} s outage, ${RUNS} runs: mean ${(mean / 1000).toFixed(2)} s, ` +
    `min ${(Math.min(...figures) / 1000).toFixed(2)} s, max ${(Math.max(...figures) / 1000).toFixed(2)} s\n`,
);
