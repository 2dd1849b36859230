// npm run screenshots: PNGs of the live view from a REAL run, never from fixtures. The built `camq` runs in tmux
// against a real RabbitMQ; a mixed cluster shares one queue (two camq workers, async and threads pools, and a Python
// Celery worker, all with -E) and executes real traffic sent from Node; the actions on screen (ping, revoke, the
// shell) go through the real control client and camqadm engine. `tmux capture-pane -e` takes the screen with its
// colours, and each capture becomes an SVG (monospace grid) rendered to PNG by rsvg-convert (Debian's
// librsvg2-bin). Everything the run declares on the broker is deleted at the end. Run `npm run build` first.
//
//   npm run screenshots -- -b amqp://guest:guest@127.0.0.1:5672/camq-shots
//   (else $CAMQ_SCREENSHOT_BROKER_URL, else $CAMQ_TEST_BROKER_URL, else the local default vhost)
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${ROOT}screenshots/`;
const FIXTURE = 'test/fixtures/celery_app';
const NEUTRAL_ROOT = '/srv/camq';
// Root may unshare the mount namespace alone; anyone else needs a user namespace in which they are root.
const UNSHARE = process.getuid?.() === 0 ? ['--mount'] : ['--user', '--map-root-user', '--mount'];
const PYTHON = '/usr/bin/python3';
/** `-b URL` / `--broker URL` / `--broker=URL` on the command line. */
function brokerArgument(argv) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-b' || argv[i] === '--broker') return argv[i + 1];
    if (argv[i].startsWith('--broker=')) return argv[i].slice('--broker='.length);
  }
  return undefined;
}
const BROKER =
  brokerArgument(process.argv.slice(2)) ??
  process.env.CAMQ_SCREENSHOT_BROKER_URL ??
  process.env.CAMQ_TEST_BROKER_URL ??
  'amqp://guest:guest@127.0.0.1:5672//';
const COLS = 120;
const ROWS = 34;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function need(command, hint) {
  try {
    execFileSync('which', [command], { stdio: 'ignore' });
  } catch {
    console.error(`screenshots: ${command} is missing; ${hint}`);
    process.exit(1);
  }
}
need('tmux', 'apt-get install tmux');
need('rsvg-convert', 'apt-get install librsvg2-bin');
need('unshare', 'apt-get install util-linux');
try {
  execFileSync('unshare', [...UNSHARE, 'sh', '-c', 'mount -t tmpfs camq-shots /srv'], { stdio: 'ignore' });
} catch {
  console.error(
    `screenshots: cannot mount in a namespace of its own (unshare ${UNSHARE.join(' ')}); the workers run there so that their tracebacks show ${NEUTRAL_ROOT} instead of this checkout's path: run as root or allow unprivileged user namespaces`,
  );
  process.exit(1);
}
if (!existsSync(`${ROOT}dist/cli/entry/camq.js`)) {
  console.error('screenshots: dist/ is missing; run `npm run build` first');
  process.exit(1);
}

// ---------------------------------------------------------------- ANSI (capture-pane -e) → SVG → PNG
const PALETTE = ['#1e1e1e', '#e06c75', '#98c379', '#e5c07b', '#61afef', '#c678dd', '#56b6c2', '#dcdfe4'];
const BRIGHT = ['#5c6370', '#ff7b86', '#b5e890', '#ffd68a', '#8cc8ff', '#de9bff', '#7fd8e4', '#ffffff'];
const FG = '#dcdfe4';
const BG = '#1e1e1e';

function xterm256(n) {
  if (n < 8) return PALETTE[n];
  if (n < 16) return BRIGHT[n - 8];
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const i = n - 16;
  const c = (x) => (x === 0 ? 0 : 55 + x * 40);
  return `rgb(${c(Math.floor(i / 36))},${c(Math.floor(i / 6) % 6)},${c(i % 6)})`;
}

/** Parse one captured line into runs of { text, style } (tmux emits SGR only). */
function parseLine(line, style) {
  const runs = [];
  let text = '';
  const flush = () => {
    if (text) runs.push({ text, style: { ...style } });
    text = '';
  };
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\u001b' && line[i + 1] === '[') {
      const end = line.slice(i + 2).search(/[A-Za-z]/);
      const params = line.slice(i + 2, i + 2 + end);
      const command = line[i + 2 + end];
      i = i + 2 + end;
      if (command !== 'm') continue;
      flush();
      const codes = params === '' ? [0] : params.split(';').map(Number);
      for (let k = 0; k < codes.length; k++) {
        const c = codes[k];
        if (c === 0) Object.assign(style, { fg: undefined, bg: undefined, bold: false, dim: false, inverse: false, underline: false });
        else if (c === 1) style.bold = true;
        else if (c === 2) style.dim = true;
        else if (c === 4) style.underline = true;
        else if (c === 7) style.inverse = true;
        else if (c === 22) Object.assign(style, { bold: false, dim: false });
        else if (c === 24) style.underline = false;
        else if (c === 27) style.inverse = false;
        else if (c >= 30 && c <= 37) style.fg = PALETTE[c - 30];
        else if (c >= 90 && c <= 97) style.fg = BRIGHT[c - 90];
        else if (c === 39) style.fg = undefined;
        else if (c >= 40 && c <= 47) style.bg = PALETTE[c - 40];
        else if (c >= 100 && c <= 107) style.bg = BRIGHT[c - 100];
        else if (c === 49) style.bg = undefined;
        else if ((c === 38 || c === 48) && codes[k + 1] === 5) {
          style[c === 38 ? 'fg' : 'bg'] = xterm256(codes[k + 2]);
          k += 2;
        } else if ((c === 38 || c === 48) && codes[k + 1] === 2) {
          style[c === 38 ? 'fg' : 'bg'] = `rgb(${codes[k + 2]},${codes[k + 3]},${codes[k + 4]})`;
          k += 4;
        }
      }
    } else {
      text += line[i];
    }
  }
  flush();
  return runs;
}

const BLOCKS = '▁▂▃▄▅▆▇█';
const escapeXml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function ansiToSvg(screen, title) {
  const cw = 8.4;
  const lh = 18;
  const pad = 14;
  const bar = 28;
  const width = Math.ceil(COLS * cw + pad * 2);
  const height = ROWS * lh + pad * 2 + bar;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" rx="8" fill="${BG}"/>`,
    `<circle cx="18" cy="14" r="5" fill="#ff5f56"/><circle cx="34" cy="14" r="5" fill="#ffbd2e"/><circle cx="50" cy="14" r="5" fill="#27c93f"/>`,
    `<text x="${width / 2}" y="18" fill="#8b949e" font-family="DejaVu Sans" font-size="12" text-anchor="middle">${escapeXml(title)}</text>`,
    `<g font-family="DejaVu Sans Mono, monospace" font-size="14" xml:space="preserve">`,
  ];
  const style = {};
  screen
    .split('\n')
    .slice(0, ROWS)
    .forEach((line, row) => {
      let col = 0;
      const y = pad + bar + row * lh;
      for (const run of parseLine(line, style)) {
        const chars = [...run.text];
        const x = pad + col * cw;
        let fg = run.style.fg ?? FG;
        let bg = run.style.bg;
        if (run.style.inverse) [fg, bg] = [bg ?? BG, run.style.fg ?? FG];
        if (bg) parts.push(`<rect x="${x.toFixed(1)}" y="${y}" width="${(chars.length * cw).toFixed(1)}" height="${lh}" fill="${bg}"/>`);
        // Block elements (the sparklines' ▁▂▃▄▅▆▇█) as bars of their height: font glyphs leave gaps between lines.
        chars.forEach((ch, i) => {
          const eighths = BLOCKS.indexOf(ch) + 1;
          if (eighths > 0)
            parts.push(
              `<rect x="${(x + i * cw).toFixed(1)}" y="${(y + lh * (1 - eighths / 8)).toFixed(1)}" width="${cw.toFixed(1)}" height="${((lh * eighths) / 8).toFixed(1)}" fill="${fg}"/>`,
            );
        });
        const text = chars.map((ch) => (BLOCKS.includes(ch) ? ' ' : ch)).join('');
        if (text.trim() !== '') {
          const attrs = [
            `x="${x.toFixed(1)}"`,
            `y="${y + 13}"`,
            `fill="${fg}"`,
            `textLength="${(chars.length * cw).toFixed(1)}"`,
            'lengthAdjust="spacingAndGlyphs"',
          ];
          if (run.style.bold) attrs.push('font-weight="bold"');
          if (run.style.dim) attrs.push('opacity="0.6"');
          if (run.style.underline) attrs.push('text-decoration="underline"');
          parts.push(`<text ${attrs.join(' ')}>${escapeXml(text)}</text>`);
        }
        col += chars.length;
      }
    });
  parts.push('</g></svg>');
  return parts.join('\n');
}

function savePng(name, screen, title) {
  const svg = `${OUT}${name}.svg`;
  writeFileSync(svg, ansiToSvg(screen, title));
  execFileSync('rsvg-convert', ['-o', `${OUT}${name}.png`, svg]);
  execFileSync('rm', ['-f', svg]);
  console.log(`screenshots/${name}.png`);
}

// ---------------------------------------------------------------- a real cluster
const { BrokerConnection, maskBrokerUrl } = await import('../dist/amqp/index.js');
const { CamqApp } = await import('../dist/worker/index.js');

const run = randomUUID().slice(0, 8);
const queue = `camq-shots-${run}`;
const demoQueue = `shots.demo.${run}`;
const demoExchange = `shots.${run}`;
// For the queues pane: a queue nobody consumes that traffic keeps filling, and a parking queue of failed payments.
const backlogQueue = `reports.${run}`;
const parkedQueue = `payments.parked.${run}`;
const env = { ...process.env, CAMQ_TEST_BROKER_URL: BROKER, C_FORCE_ROOT: '1', PYTHONUNBUFFERED: '1', NO_COLOR: '1' };
const children = [];

function spawnChild(command, args, options) {
  const child = spawn(command, args, { env, stdio: 'ignore', ...options });
  children.push(child);
  return child;
}
/**
 * Run a worker where the checkout is seen as /srv/camq: a bind mount in a mount namespace of the worker's own
 * (unshare), so the tracebacks it sends, which the task-details screenshot shows, name that path and not where
 * this checkout happens to live on the machine that took the pictures. `cwd` is relative to the checkout.
 */
function spawnWorker(cwd, command, args) {
  const script = `mount -t tmpfs camq-shots /srv && mkdir ${NEUTRAL_ROOT} && mount --bind "$0" ${NEUTRAL_ROOT} && cd "${NEUTRAL_ROOT}/$1" && shift && exec "$@"`;
  return spawnChild('unshare', [...UNSHARE, 'sh', '-c', script, ROOT, cwd, command, ...args]);
}
const camqWorker = (nodename, ...args) =>
  spawnWorker('.', process.execPath, [
    `${NEUTRAL_ROOT}/bin/camq`,
    '-b',
    BROKER,
    'worker',
    '-A',
    'examples/tasks.js',
    '-n',
    nodename,
    '-Q',
    queue,
    '-E',
    '-l',
    'warning',
    '--no-banner',
    ...args,
  ]);
const pythonWorker = (nodename) =>
  spawnWorker(FIXTURE, PYTHON, [
    '-m',
    'celery',
    '-A',
    'tasks',
    'worker',
    '-n',
    nodename,
    '-c',
    '2',
    '-Q',
    queue,
    '--without-mingle',
    '--without-gossip',
    '-E',
    '-l',
    'warning',
  ]);

/** Real traffic from a Node client: additions, failures, retries, slow tasks and a few held by a countdown. */
function startTraffic(app) {
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
  const send = (name, options) =>
    app
      .taskOf(name)
      .applyAsync({ queue, ignoreResult: true, ...options })
      .catch(() => {});
  let timer;
  const tick = () => {
    for (let i = int(3, 12); i > 0; i--) send('tasks.add', { args: [int(1, 999), int(1, 99)] });
    if (random() < 0.35) send('tasks.fail', { args: [`card declined for order ${int(1000, 9999)}`] });
    if (random() < 0.2) send('tasks.retry_me', { args: [int(1, 9)] });
    if (random() < 0.3) send('tasks.sleep', { args: [Math.round((2 + random() * 7) * 10) / 10] });
    if (random() < 0.15) send('tasks.add', { args: [int(1, 9), int(1, 9)], countdown: int(30, 90) });
    if (random() < 0.5) send('tasks.sleep', { args: [int(1, 5)], queue: backlogQueue });
    timer = setTimeout(tick, 200 + random() * 600);
  };
  tick();
  return () => clearTimeout(timer);
}

const session = `camq-shots-${randomUUID().slice(0, 6)}`;
const tmux = (...args) => execFileSync('tmux', args).toString();
/** A tmux session of COLS × ROWS running `command` in a colour terminal, as a person would see it. */
const openTerminal = (command) =>
  tmux('new-session', '-d', '-s', session, '-x', String(COLS), '-y', String(ROWS), `env -u CI -u NO_COLOR TERM=xterm-256color ${command}`);
const capture = () => tmux('capture-pane', '-p', '-e', '-t', session);
const plain = () => tmux('capture-pane', '-p', '-t', session);
const keys = async (...list) => {
  for (const k of list) {
    tmux('send-keys', '-t', session, k);
    await sleep(250);
  }
};
const typeLine = async (text) => {
  tmux('send-keys', '-t', session, '-l', text);
  await sleep(150);
  await keys('Enter');
};
/** Move the task selection (one row a step, the list keeps moving) until it is on a row matching `pattern`. */
async function selectTaskRow(pattern) {
  for (let step = 0; step < 60; step++) {
    const rows = plain()
      .split('\n')
      .filter((line) => /^[› ] [A-Z]{5,8}\s/.test(line) && !line.includes('STATE'));
    const selected = rows.findIndex((line) => line.startsWith('›'));
    const target = rows.findIndex((line) => pattern.test(line));
    if (target !== -1 && target === selected) return;
    if (target === -1) await sleep(500);
    else await keys(target > selected ? 'Down' : 'Up');
  }
  throw new Error(`screenshots: no task row matching ${pattern} could be selected; screen:\n${plain()}`);
}

async function waitFor(pattern, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pattern.test(plain())) return;
    await sleep(200);
  }
  throw new Error(`screenshots: timed out waiting for ${pattern}; screen:\n${plain()}`);
}

/** `npm start` as a newcomer sees it: `camq demo` (its own embedded broker, workers and traffic), on a free port. */
async function demoScreenshot() {
  openTerminal(`node ${ROOT}bin/camq demo --port 0`);
  try {
    await waitFor(/demo1@\S+\s+online/);
    await sleep(15_000);
    savePng('demo', capture(), 'camq demo (npm start): embedded broker, two camq workers, generated traffic, the live view');
    await keys('q');
    // The demo stops its workers and its broker before it exits; wait for that so the next run starts clean.
    for (let i = 0; i < 100 && tmuxSessionAlive(); i++) await sleep(200);
  } finally {
    if (tmuxSessionAlive()) execFileSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' });
  }
}
function tmuxSessionAlive() {
  try {
    execFileSync('tmux', ['has-session', '-t', session], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

mkdirSync(OUT, { recursive: true });
await demoScreenshot();

console.log(`screenshots: broker ${maskBrokerUrl(BROKER)}, queue ${queue}`);
const app = new CamqApp({ broker: BROKER });
let stopTraffic = () => {};
camqWorker('payments@prod-1', '-c', '4');
camqWorker('images@prod-2', '-c', '2', '-P', 'threads');
const mailer = pythonWorker('mailer@prod-3');
try {
  await sleep(4000);
  for (let i = 0; i < 37; i++) {
    await app
      .taskOf('tasks.fail')
      .applyAsync({ queue: parkedQueue, ignoreResult: true, args: [`card declined for order ${4100 + i}`], kwargs: { attempt: 3 } });
  }
  stopTraffic = startTraffic(app);
  openTerminal(`node ${ROOT}bin/camq -b '${BROKER}'`);
  await waitFor(/mailer@prod-3\s+online/);
  await sleep(12_000);
  // A worker that stops is shown offline at once (worker-offline).
  mailer.kill('SIGTERM');
  await waitFor(/mailer@prod-3\s+offline/);
  await sleep(2000);
  savePng('overview', capture(), 'camq — a mixed cluster (camq and Python Celery workers) and the live task stream');

  // The workers pane has the keys (highlighted title, › mark); p pings through the real control client.
  // Tab cycles workers → tasks → queues, starting from the tasks.
  await keys('Tab', 'Tab', 'Down', 'p');
  await waitFor(/^ping: .*pong/m);
  savePng('workers', capture(), 'camq — workers pane: heartbeat ages, load, software; p pings them');

  // The queues pane (from the management API): depth sparklines, rates, a queue nobody consumes growing; Enter
  // peeks into the parking queue.
  await keys('Tab', 'Tab');
  await waitFor(new RegExp(`${backlogQueue.replace(/\./g, '\\.')}.*no consumer, growing`), 30_000);
  savePng('queues', capture(), 'camq — queues pane: depth over time, rates, consumers; a backlog nobody consumes is flagged');
  for (let i = 0; i < 10 && !new RegExp(`› ${parkedQueue.replace(/\./g, '\\.')}`).test(plain()); i++) await keys('Down');
  await keys('Enter');
  await waitFor(/#1 tasks\.fail\[/);
  savePng('queue-peek', capture(), 'camq — Enter peeks a queue: its first messages decoded as Celery tasks, left in place');
  await keys('Escape', 'Tab', 'Tab');

  // A countdown task waits on its worker ("in 42s"); revoke it from the screen: asks first, then the replies.
  await keys('s');
  await waitFor(/filter state=RECEIVED[\s\S]*RECEIVED\s+tasks\.add.*in \d/);
  await selectTaskRow(/^[› ] RECEIVED\s+tasks\.add.*in \d/);
  await keys('r');
  await waitFor(/Revoke .*\? y revoke/);
  await keys('y');
  await waitFor(/^revoke [0-9a-f]{8}: .*flagged as revoked/m);
  savePng('task-stream', capture(), 'camq — task stream filtered by state (s); a countdown task revoked from the screen (r, y)');

  await keys('c', 's', 's', 's', 's');
  await waitFor(/filter state=FAILURE[\s\S]*FAILURE\s+tasks\.fail/);
  await selectTaskRow(/^[› ] FAILURE\s+tasks\.fail\s/);
  await keys('Enter');
  await waitFor(/Traceback/);
  savePng('task-details', capture(), 'camq — task details: args, exception, timings, traceback');

  // The camqadm engine on the whole screen: a small session, then Tab completion.
  await keys('Escape', 'c', ':');
  await waitFor(/ Shell /);
  for (const line of [
    `exchange.declare ${demoExchange} direct`,
    `queue.declare ${demoQueue}`,
    `queue.bind ${demoQueue} ${demoExchange} demo`,
    `basic.publish '{"order": 4242}' ${demoExchange} demo content_type=application/json`,
    `basic.get ${demoQueue}`,
    'basic.ack 1',
    'queue.purge nosuchqueue',
  ]) {
    await typeLine(line);
    await sleep(300);
  }
  tmux('send-keys', '-t', session, '-l', 'queue.d');
  await keys('Tab');
  await waitFor(/queue\.declare\s+queue\.delete/);
  savePng('shell', capture(), 'camq — the camqadm shell: real commands on the broker, errors that keep the session, Tab completion');
  await keys('C-u');
  await typeLine(`queue.delete ${demoQueue}`);
  await typeLine(`exchange.delete ${demoExchange}`);
  await waitFor(/^10>/m);
  await keys('Escape', 'q');
} finally {
  stopTraffic();
  try {
    execFileSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' });
  } catch {
    // already gone
  }
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await sleep(3000);
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await app.close();
  // The workers declared their queue (and kombu its direct exchange) durable; the shell session declared a demo
  // queue and exchange (deleted above unless the run stopped early). Leave nothing behind.
  const connection = await new BrokerConnection({ url: BROKER }).connect();
  const channel = await connection.createChannel();
  for (const name of [queue, demoQueue, backlogQueue, parkedQueue]) await channel.deleteQueue(name);
  for (const name of [queue, demoExchange, backlogQueue, parkedQueue]) await channel.deleteExchange(name);
  await connection.close();
}
