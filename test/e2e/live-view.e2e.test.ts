/**
 * The real `camq` binary in a real terminal (tmux) against RabbitMQ (or `camq broker` where RabbitMQ does not
 * answer), with a Python Celery worker (-E) producing the events; and `camq events --json/--dump` as a piped process. Run `npm run build` first: bins run dist/.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { e2eTarget } from '../helpers/brokers.js';
import { deleteQueues } from '../helpers/camq-worker.js';
import { usePythonCelery, runPython, startPythonWorker, type PythonWorker } from '../helpers/python-celery.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { scratchDataHome } from '../helpers/scratch-data-home.js';
import { shellQuote, TmuxSession } from '../helpers/tmux.js';

const hasPython = await usePythonCelery('the live view with a Python worker is skipped');
const targets = hasPython ? [await e2eTarget()] : [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `camq events <args>` as a piped process: its stdout so far, and a SIGINT that resolves with the exit code. */
function startEvents(brokerUrl: string, args: readonly string[]) {
  const child = spawn(process.execPath, [`${ROOT}bin/camq`, '-b', brokerUrl, 'events', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, XDG_DATA_HOME: scratchDataHome() },
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    stdout: () => stdout,
    interrupt: () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}

describe('camq outside a terminal', () => {
  it('refuses to open the live view without a TTY and says what to run instead', async () => {
    const result = await runBin('camq', ['-b', 'amqp://guest:guest@127.0.0.1:1//']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the live view needs a terminal');
    expect(result.stderr).toContain('camq events --dump');
  });
});

describe('camq live view and a broker that does not answer', () => {
  let server: Server | undefined;
  let tmux: TmuxSession | undefined;
  afterAll(() => {
    tmux?.kill();
    server?.close();
  });

  it('says where it is connecting, then gives up after the connect timeout with one line and exit 2', async () => {
    // Accepts TCP connections and never speaks AMQP, as a firewalled or hung broker looks.
    const sockets: Socket[] = [];
    server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    tmux = new TmuxSession(`node ${shellQuote(`${ROOT}bin/camq`)} -b amqp://guest:guest@127.0.0.1:${port}//`, { width: 120, height: 10 });
    const waiting = await tmux.waitFor(`-> connecting to amqp://guest:**@127.0.0.1:${port}//.`);
    expect(waiting).not.toContain('[exited');
    const after = await tmux.waitFor('[exited 2]', 20_000);
    expect(after).toContain(`Error: cannot reach amqp://guest:**@127.0.0.1:${port}//: no answer within 4000 ms`);
    for (const socket of sockets) socket.destroy();
  });
});

describe.each(targets)('camq live view and camq events with a Python worker ($name)', ({ url: brokerUrl }) => {
  const nodename = `camq-e2e-${randomUUID().slice(0, 8)}@test`;
  const queue = `camq-test-${randomUUID()}`;
  let worker: PythonWorker | undefined;
  let tmux: TmuxSession | undefined;

  beforeAll(async () => {
    worker = await startPythonWorker({ brokerUrl: brokerUrl, nodename, queues: queue, events: true, concurrency: 2 });
  });

  afterAll(async () => {
    tmux?.kill();
    await worker?.stop();
    await deleteQueues(brokerUrl, [queue]);
  });

  it('shows the worker row and the tasks; revoke asks first; q exits and restores the terminal', async () => {
    tmux = new TmuxSession(`node ${shellQuote(`${ROOT}bin/camq`)} -b ${shellQuote(brokerUrl)}`, { width: 100, height: 30, env: { NO_COLOR: '1' } });
    await tmux.waitFor('● connected');
    // The receiver's wakeup heartbeat makes the worker appear at once.
    await tmux.waitFor(new RegExp(`${nodename.replace(/[.@]/g, '\\$&')}\\s+online`), 10_000);

    const out = await runPython(
      brokerUrl,
      [
        'from tasks import add, fail, sleep',
        `print(add.apply_async((20, 22), queue=${JSON.stringify(queue)}).get(timeout=20))`,
        `r = fail.apply_async(('e2e-boom',), queue=${JSON.stringify(queue)})`,
        'try:\n    r.get(timeout=20)\nexcept Exception as e:\n    print(type(e).__name__)',
        `s = sleep.apply_async((20,), queue=${JSON.stringify(queue)})`,
        'print(s.id)',
      ].join('\n'),
    );
    const sleepId = out.trim().split('\n').at(-1)!;
    await tmux.waitFor(/SUCCESS\s+tasks\.add/);
    await tmux.waitFor(/FAILURE\s+tasks\.fail/);
    let screen = await tmux.waitFor(/STARTED\s+tasks\.sleep/);
    expect(screen).toContain('(20, 22)');
    expect(screen).toMatch(/tasks\.add\s+▁?█?\s*\S+\/s\s+✓1/);

    // The newest task (the running sleep) is selected: details, then revoke.
    tmux.send('Enter');
    screen = await tmux.waitFor(`Task tasks.sleep`);
    expect(screen).toContain(sleepId);
    expect(screen).toMatch(/args\s+\(20,\)/);
    tmux.send('Escape');
    await tmux.waitFor(' Workers ');
    tmux.send('r');
    await tmux.waitFor(`Revoke ${sleepId} (tasks.sleep)? y revoke · t terminate · n cancel`);
    tmux.send('n');
    await tmux.waitFor('revoke cancelled');

    // Filter by state: s cycles RECEIVED, STARTED, SUCCESS, FAILURE.
    for (let i = 0; i < 4; i++) {
      tmux.send('s');
      await sleep(150);
    }
    screen = await tmux.waitFor('filter state=FAILURE');
    expect(screen).toMatch(/FAILURE\s+tasks\.fail/);
    expect(screen).not.toMatch(/SUCCESS\s+tasks\.add/);

    // NO_COLOR: no colour escapes on the screen.

    expect(/\u001b\[(3[0-7]|9[0-7]|38;)/.test(tmux.captureAnsi())).toBe(false);

    tmux.send('q');
    screen = await tmux.waitFor('[exited 0]');
    expect(screen).not.toContain(' Workers ');
  });

  it('camq events --json prints one JSON event per line and stops cleanly on SIGINT', async () => {
    const events = startEvents(brokerUrl, ['--json']);
    let code: number | null;
    try {
      await vi.waitFor(() => expect(events.stdout()).toContain(`"hostname":"${nodename}"`), { timeout: 15_000 });
      await runPython(brokerUrl, `from tasks import add\nprint(add.apply_async((1, 1), queue=${JSON.stringify(queue)}).get(timeout=20))`);
      await vi.waitFor(() => expect(events.stdout()).toContain('"type":"task-succeeded"'), { timeout: 15_000 });
      const lines = events
        .stdout()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; local_received: number });
      expect(lines.every((e) => typeof e.type === 'string' && typeof e.local_received === 'number')).toBe(true);
    } finally {
      code = await events.interrupt();
    }
    expect(code).toBe(0);
  });

  it('camq events --dump prints lines like celery events --dump', async () => {
    const events = startEvents(brokerUrl, ['--dump']);
    let code: number | null;
    try {
      await vi.waitFor(() => expect(events.stdout()).toContain('-> evdump: starting capture'), { timeout: 15_000 });
      await runPython(brokerUrl, `from tasks import add\nprint(add.apply_async((3, 4), queue=${JSON.stringify(queue)}).get(timeout=20))`);
      await vi.waitFor(() => expect(events.stdout()).toMatch(/task succeeded: tasks\.add\([0-9a-f-]{36}\) args=\(3, 4\) kwargs=\{\} .*result=7/), {
        timeout: 15_000,
      });
      expect(events.stdout()).toMatch(
        new RegExp(`${nodename.replace(/[.@]/g, '\\$&')} \\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d{6})?\\] heartbeat: `),
      );
    } finally {
      code = await events.interrupt();
    }
    expect(code).toBe(0);
  });
});
