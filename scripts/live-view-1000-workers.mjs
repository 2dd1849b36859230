#!/usr/bin/env node
// The live view with 1,000 simulated Celery workers (bench/worker-sim), driven in tmux at 160×50 like
// test/e2e/live-view-large-cluster.e2e.test.ts drives 200: the summary, 5 killed workers found with one key (o: by
// state, offline first), End reaching the last worker, PgDn showing each worker exactly once, grouping by prefix.
// Prints what it checked and how long each step took. Needs `npm run build` and tmux.
//
//   CAMQ_TEST_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/h1 node scripts/live-view-1000-workers.mjs
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const url = process.env.CAMQ_TEST_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672//';
const total = Number(process.env.WORKERS ?? 1000);
const killed = 5;
const rate = Number(process.env.RATE ?? 2000);
const tag = randomBytes(3).toString('hex');
const session = `camq-1000-${tag}`;
const tmux = (...args) => execFileSync('tmux', args).toString();
const capture = () => tmux('capture-pane', '-p', '-t', session);
const title = (s) => s.split('\n').find((l) => l.startsWith(' Workers ')) ?? '';
const position = (s) => /\d+–\d+ of \d+/.exec(title(s))?.[0] ?? '';
// A capture can catch the terminal mid-frame (tmux reads a frame in pieces): a page counts once all its rows are there.
const wholePage = (s) => {
  const m = /(\d+)–(\d+) of \d+/.exec(title(s));
  return m !== null && rows(s).length === Number(m[2]) - Number(m[1]) + 1;
};
const rows = (s) => [...s.matchAll(/^[› ] (\S+@\S+)\s+(?:online|offline)\s/gm)].map((m) => m[1]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let failures = 0;
const check = (ok, line) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${line}`);
  if (!ok) failures++;
};

async function waitFor(test, label, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let s = '';
  while (Date.now() < deadline) {
    s = capture();
    if (test(s)) return s;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${label}; screen:\n${s}`);
}

function startSim(workers, simTag, eventsPerSecond) {
  const child = spawn(
    process.execPath,
    [`${ROOT}bench/worker-sim/run.mjs`, '-b', url, '--workers', String(workers), '--events-per-second', String(eventsPerSecond), '--tag', simTag],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let nodenames = [];
  const ready = new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line);
      if (msg.ready === true) nodenames = msg.nodenames;
      if (msg.ready === 'all') resolve();
    });
    child.once('exit', (code) => reject(new Error(`simulator ended (${code})`)));
  });
  return { child, ready, names: () => nodenames };
}

const started = Date.now();
const since = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '50', `node ${ROOT}bin/camq -b '${url}'; sleep 600`);
const many = startSim(total - killed, `${tag}a`, rate);
const doomed = startSim(killed, `${tag}b`, 0);
try {
  await waitFor((s) => s.includes(' Workers '), 'the view');
  await Promise.all([many.ready, doomed.ready]);
  console.log(`${total} simulated workers up (${rate} task events/s), ${since()}`);
  let s = await waitFor((x) => title(x).includes(`${total} online · 0 offline`), 'all online');
  check(true, `summary: ${title(s).trim()}`);
  doomed.child.kill('SIGKILL');
  s = await waitFor((x) => title(x).includes(`${total - killed} online · ${killed} offline`), 'the killed ones offline');
  check(true, `after killing ${killed}: ${title(s).trim()} (${since()})`);
  tmux('send-keys', '-t', session, 'BTab');
  await waitFor((x) => x.includes('⏎ their tasks'), 'workers pane focused');
  tmux('send-keys', '-t', session, 'o');
  s = await waitFor((x) => title(x).includes('by state'), 'sorted by state');
  const first = rows(s).slice(0, killed).sort();
  check(
    JSON.stringify(first) === JSON.stringify([...doomed.names()].sort()),
    `one key (o): the ${killed} offline workers first: ${first.join(', ')}`,
  );
  for (let i = 0; i < 4; i++) tmux('send-keys', '-t', session, 'o');
  await waitFor((x) => !title(x).includes(' by '), 'by name again');
  const all = [...many.names(), ...doomed.names()].sort();
  tmux('send-keys', '-t', session, 'G');
  s = await waitFor((x) => position(x).endsWith(`–${total} of ${total}`) && wholePage(x), 'End');
  check(rows(s).at(-1) === all.at(-1), `End (G): ${position(s)}, last row ${rows(s).at(-1)}`);
  tmux('send-keys', '-t', session, 'g');
  s = await waitFor((x) => position(x).startsWith('1–') && wholePage(x), 'Home');
  const seen = [];
  let pages = 0;
  const pagingStarted = Date.now();
  for (;;) {
    const at = position(s);
    seen.push(...rows(s));
    pages++;
    if (at.endsWith(`–${total} of ${total}`)) break;
    tmux('send-keys', '-t', session, 'NPage');
    s = await waitFor((x) => position(x) !== at && wholePage(x), 'the next page');
  }
  const once = new Set(seen).size === seen.length && JSON.stringify(seen) === JSON.stringify(all);
  check(
    once,
    `PgDn: ${pages} pages, ${seen.length} rows, each of the ${total} workers exactly once, in ${((Date.now() - pagingStarted) / 1000).toFixed(1)} s`,
  );
  tmux('send-keys', '-t', session, 'b');
  tmux('send-keys', '-t', session, 'b');
  s = await waitFor((x) => title(x).includes('grouped by prefix'), 'grouped by prefix');
  const groups = s
    .split('\n')
    .filter((l) => /[▸▾] \S+-\*/.test(l))
    .map((l) => l.replace(/^[› ] /, '').trim());
  check(groups.length === 4, `grouped by prefix (b b): ${groups.length} groups`);
  for (const g of groups) console.log(`       ${g}`);
  console.log(`done in ${since()}; ${failures === 0 ? 'every check passed' : `${failures} check(s) failed`}`);
} finally {
  for (const sim of [many, doomed]) if (sim.child.exitCode === null && sim.child.signalCode === null) sim.child.kill('SIGTERM');
  await sleep(1500);
  try {
    tmux('kill-session', '-t', session);
  } catch {
    // already gone
  }
}
process.exit(failures === 0 ? 0 : 1);
