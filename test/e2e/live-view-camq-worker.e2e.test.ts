/**
 * The real `camq` live view in tmux against RabbitMQ (or `camq broker` where RabbitMQ does not answer), with camq's own workers (`camq worker -A examples/tasks.js -E`)
 * producing the events, and every action from the screen checked where it lands: revoke and terminate on the worker
 * (celeryctl inspect revoked, the Node caller's REVOKED result), the rate limit on the worker (registered, and a burst
 * spaced at the new rate), the shell on the broker (its inspector). Run `npm run build` first: bins run dist/.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CamqApp } from '../../src/worker/app.js';
import type { AsyncResult } from '../../src/worker/async-result.js';
import { TaskRevokedError } from '../../src/worker/task-errors.js';
import { e2eTarget } from '../helpers/brokers.js';
import { deleteQueues, startCamqWorker, type CamqWorker } from '../helpers/camq-worker.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { shellQuote, TmuxSession } from '../helpers/tmux.js';

const { name: brokerName, url: BROKER_URL, inspector } = await e2eTarget();

const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\@]/g, '\\$&');
/** The live view as a user starts it. */
const camqCommand = (prefix = '') => `${prefix}node ${shellQuote(`${ROOT}bin/camq`)} -b ${shellQuote(BROKER_URL)}`;

/** `celeryctl ... --json` against the test broker: its `replies` (Celery's `{"<nodename>": <reply>}`), parsed. */
async function celeryctlJson<T>(args: readonly string[]): Promise<T> {
  const r = await runBin('celeryctl', [...args, '--json', '-b', BROKER_URL]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { replies: T }).replies;
}

describe(`camq live view with camq workers (${brokerName})`, () => {
  const id = randomUUID().slice(0, 8);
  const asyncQueue = `camq-test-async-${id}`;
  const threadQueue = `camq-test-threads-${id}`;
  let asyncWorker: CamqWorker;
  let threadWorker: CamqWorker;
  let caller: CamqApp;
  let tmux: TmuxSession;
  const sessions: TmuxSession[] = [];

  beforeAll(async () => {
    [asyncWorker, threadWorker] = await Promise.all([
      startCamqWorker({ brokerUrl: BROKER_URL, nodename: `e2e-a-${id}@t`, queues: asyncQueue, args: ['-E', '-c', '2'] }),
      startCamqWorker({ brokerUrl: BROKER_URL, nodename: `e2e-t-${id}@t`, queues: threadQueue, args: ['-E', '-c', '2', '-P', 'threads'] }),
    ]);
    caller = new CamqApp({ broker: BROKER_URL });
    tmux = new TmuxSession(camqCommand(), { width: 120, height: 40, env: { NO_COLOR: '1' } });
    sessions.push(tmux);
  });

  afterAll(async () => {
    for (const s of sessions) s.kill();
    await caller?.close();
    await Promise.all([asyncWorker?.stop(), threadWorker?.stop()]);
    await deleteQueues(BROKER_URL, [asyncQueue, threadQueue]);
  });

  const send = (name: string, queue: string, options: { args?: unknown[]; countdown?: number } = {}): Promise<AsyncResult> =>
    caller.taskOf(name).applyAsync({ queue, ...options });

  /** Show only the task with this id (search), so it is the selected row whatever else arrives. */
  async function focusTask(taskId: string): Promise<void> {
    tmux.send('/');
    tmux.type(taskId);
    await tmux.waitFor(new RegExp(`Tasks  1 of \\d+ · filter /${taskId}`));
    await tmux.waitFor(new RegExp(`› \\S+\\s+\\S+\\s+${taskId}`));
  }

  /** Back to the overview with no filter, following the newest task. */
  async function resetView(): Promise<void> {
    tmux.send('Escape');
    await tmux.waitFor(' Workers ');
    tmux.send(['c', 'g']);
    await tmux.waitFor(/ Tasks {2}\d+ kept, newest first/);
  }

  it('shows the worker rows, the selection on the task stream, and tasks flowing through their states', async () => {
    await tmux.waitFor('● connected');
    // The receiver's wake-up heartbeat makes the workers appear at once.
    await tmux.waitFor(new RegExp(`${escapeRe(asyncWorker.nodename)}\\s+online`), 10_000);
    await tmux.waitFor(new RegExp(`${escapeRe(threadWorker.nodename)}\\s+online`), 10_000);
    expect(tmux.capture()).toMatch(/camq 0\.\d+\.\d+ \(Linux\)/);

    const add = await send('tasks.add', asyncQueue, { args: [20, 22] });
    expect(await add.get({ timeout: 20 })).toBe(42);
    const fail = await send('tasks.fail', asyncQueue, { args: ['e2e-boom'] });
    await expect(fail.get({ timeout: 20 })).rejects.toThrow(/RuntimeError: e2e-boom/);
    const sleep = await send('tasks.sleep', asyncQueue, { args: [2] });
    await tmux.waitFor(new RegExp(`SUCCESS\\s+tasks\\.add\\s+${add.id}\\s+\\(20, 22\\)\\s+${escapeRe(asyncWorker.nodename)}`));
    await tmux.waitFor(new RegExp(`FAILURE\\s+tasks\\.fail\\s+${fail.id}`));
    // A running task's time is coarse (`<10s…`, then `20s…`): the frame is redrawn only when what it shows changes.
    await tmux.waitFor(new RegExp(`STARTED\\s+tasks\\.sleep\\s+${sleep.id}.*(<10s|\\d+s)…`));
    await tmux.waitFor(new RegExp(`SUCCESS\\s+tasks\\.sleep\\s+${sleep.id}\\s+\\(2,\\)\\s+\\S+\\s+2\\.\\d\\ds`), 10_000);

    // Focus starts on the task stream: its newest row carries the selection, no worker row does.
    const screen = tmux.capture();
    expect(screen).toMatch(new RegExp(`› SUCCESS\\s+tasks\\.sleep\\s+${sleep.id}`));
    expect(screen).not.toMatch(/› e2e-/);
    // Tab goes from the tasks to the queues pane (workers → tasks → queues).
    expect(screen.split('\n').find((l) => l.startsWith('q quit'))).toContain('⇥ queues');

    // Details of the failure: the exception and the worker's traceback.
    await focusTask(fail.id);
    tmux.send('Enter');
    const details = await tmux.waitFor(`Task tasks.fail  ${fail.id}`);
    expect(details).toMatch(/exception\s+RuntimeError\('e2e-boom'\)/);
    tmux.send('Escape');
    await tmux.waitFor(' Workers ');
  });

  it('r then y revokes a countdown task on its worker: celeryctl lists it, and it ends REVOKED when its ETA comes', async () => {
    await resetView();
    const result = await send('tasks.add', asyncQueue, { args: [7, 7], countdown: 10 });
    await tmux.waitFor(new RegExp(`RECEIVED\\s+tasks\\.add\\s+${result.id}\\s+\\(7, 7\\).*in \\d+s`));
    await focusTask(result.id);
    tmux.send('r');
    await tmux.waitFor(`Revoke ${result.id} (tasks.add)? y revoke · t terminate · n cancel`);
    tmux.send('y');
    // Both workers answer alike (the reply is grouped); the task's own worker is named first.
    await tmux.waitFor(
      new RegExp(
        `revoke ${result.id.slice(0, 8)}: ${escapeRe(asyncWorker.nodename)}, ${escapeRe(threadWorker.nodename)}: tasks ${result.id} flagged as revoked`,
      ),
    );

    const revoked = await celeryctlJson<Record<string, string[]>>(['inspect', 'revoked', '-d', asyncWorker.nodename]);
    expect(revoked[asyncWorker.nodename]).toContain(result.id);
    const scheduled = await celeryctlJson<Record<string, { request: { id: string } }[]>>(['inspect', 'scheduled', '-d', asyncWorker.nodename]);
    expect(scheduled[asyncWorker.nodename]?.map((e) => e.request.id)).toContain(result.id);

    await expect(result.get({ timeout: 30 })).rejects.toBeInstanceOf(TaskRevokedError);
    await tmux.waitFor(new RegExp(`REVOKED\\s+tasks\\.add\\s+${result.id}`));
    await asyncWorker.waitForLog(new RegExp(`Discarding revoked task: tasks\\.add\\[${result.id}\\]`));
    expect(asyncWorker.output()).not.toContain(`Task tasks.add[${result.id}] succeeded`);
  });

  it('r then t terminates a running tasks.sleep in the threads pool', async () => {
    await resetView();
    const result = await send('tasks.sleep', threadQueue, { args: [60] });
    await tmux.waitFor(new RegExp(`STARTED\\s+tasks\\.sleep\\s+${result.id}`));
    await focusTask(result.id);
    tmux.send('r');
    await tmux.waitFor(`Revoke ${result.id} (tasks.sleep)?`);
    tmux.send('t');
    // The worker that ran it answers first; the other one does not know the task.
    await tmux.waitFor(
      new RegExp(
        `terminate ${result.id.slice(0, 8)}: ${escapeRe(threadWorker.nodename)}: terminate: ${result.id}; ${escapeRe(asyncWorker.nodename)}: terminate: `,
      ),
    );

    const error = await result.get({ timeout: 20 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(TaskRevokedError);
    expect(String(error)).toContain('terminated');
    await tmux.waitFor(new RegExp(`REVOKED\\s+tasks\\.sleep\\s+${result.id}`));
    await threadWorker.waitForLog(new RegExp(`Task tasks\\.sleep\\[${result.id}\\] terminated`));
    tmux.send('Enter');
    await tmux.waitFor(/revoked\s+terminated \(signal 15\)/);
    tmux.send('Escape');
    await tmux.waitFor(' Workers ');
  });

  it('p pings every worker and shows their replies', async () => {
    await resetView();
    tmux.send('p');
    const line = (await tmux.waitFor(/^ping: .*: pong/m)).split('\n').find((l) => l.startsWith('ping: '))!;
    expect(line.trim().split(/: |, /).sort()).toEqual(['ping', asyncWorker.nodename, threadWorker.nodename, 'pong'].sort());
  });

  it("l sets a rate limit for the selected task's name: the replies show, and the worker throttles it", async () => {
    await resetView();
    const first = await send('tasks.add', threadQueue, { args: [1, 1] });
    expect(await first.get({ timeout: 20 })).toBe(2);
    await focusTask(first.id);
    tmux.send('l');
    await tmux.waitFor('Rate limit for tasks.add (e.g. 10/s, 5/m, 0 = none):');
    tmux.type('2/x');
    await tmux.waitFor("unknown unit 'x'");
    tmux.send('BSpace');
    tmux.type('s');
    const screen = await tmux.waitFor(/^rate_limit tasks\.add 2\/s: .*: new rate limit set successfully/m);
    expect(screen).toContain(threadWorker.nodename);
    expect(screen).toContain(asyncWorker.nodename);

    const registered = await celeryctlJson<Record<string, string[]>>([
      'inspect',
      'registered',
      '-d',
      `${threadWorker.nodename},${asyncWorker.nodename}`,
    ]);
    expect(registered[threadWorker.nodename]).toContain('tasks.add [rate_limit=2/s]');
    expect(registered[asyncWorker.nodename]).toContain('tasks.add [rate_limit=2/s]');
    // Capacity 1 at 2/s: five additions end about 2 s after the first one.
    const results = await Promise.all([0, 1, 2, 3, 4].map((i) => send('tasks.add', threadQueue, { args: [i, i] })));
    const done = await Promise.all(results.map(async (r) => (await r.get({ timeout: 30 }), Date.now())));
    expect(Math.max(...done) - Math.min(...done)).toBeGreaterThanOrEqual(1800);
  });

  it('the shell screen runs camqadm commands on the broker, completes queue names with Tab, and its prompt counts', async () => {
    await resetView();
    const queue = `camq-test-shell-${randomUUID()}`;
    tmux.send(':');
    await tmux.waitFor(' Shell ');
    await tmux.waitFor(/^1>\s*$/m);
    tmux.type(`queue.declare ${queue}`);
    await tmux.waitFor(`ok. queue:${queue} messages:0 consumers:0.`);
    expect((await inspector.listQueues()).map((q) => q.name)).toContain(queue);
    await tmux.waitFor(/^2>\s*$/m);
    tmux.type(`queue.delete ${queue.slice(0, 20)}`, false);
    tmux.send('Tab');
    await tmux.waitFor(`2> queue.delete ${queue}`);
    tmux.send('Enter');
    await tmux.waitFor('ok. 0 messages deleted.');
    await tmux.waitFor(/^3>\s*$/m);
    expect((await inspector.listQueues()).map((q) => q.name)).not.toContain(queue);
    tmux.type('queue.bind onlyone');
    await tmux.waitFor('Error: queue.bind takes 2 to 3 arguments, got 1');
    await tmux.waitFor(/^4>\s*$/m);
    tmux.send('Escape');
    await tmux.waitFor(' Workers ');
  });

  it('↑/↓ move the selection in normal and in application cursor mode, also right after Esc, at 80×24', async () => {
    // Cursor keys are sent as ESC [ B normally and as ESC O B once the terminal is in application cursor mode
    // (DECCKM, set here before camq starts): tmux translates its Down key to whichever the pane asked for.
    for (const mode of ['normal', 'application'] as const) {
      const small = new TmuxSession(camqCommand(mode === 'application' ? "printf '\\033[?1h'; " : ''), {
        width: 80,
        height: 24,
        env: { NO_COLOR: '1' },
      });
      sessions.push(small);
      await small.waitFor(new RegExp(`${escapeRe(asyncWorker.nodename)}\\s+online`), 10_000);
      expect(small.displayFlag('keypad_cursor_flag')).toBe(mode === 'application' ? '1' : '0');
      const [a, b] = [await send('tasks.add', asyncQueue, { args: [1, 0] }), await send('tasks.add', asyncQueue, { args: [2, 0] })];
      await Promise.all([a.get({ timeout: 20 }), b.get({ timeout: 20 })]);
      await small.waitFor(new RegExp(`› SUCCESS\\s+tasks\\.add\\s+${b.id.slice(0, 19)}`));
      small.send('Down');
      await small.waitFor(new RegExp(`› SUCCESS\\s+tasks\\.add\\s+${a.id.slice(0, 19)}`));
      small.send('Up');
      await small.waitFor(new RegExp(`› SUCCESS\\s+tasks\\.add\\s+${b.id.slice(0, 19)}`));
      small.send(['Escape', 'Down']);
      await small.waitFor(new RegExp(`› SUCCESS\\s+tasks\\.add\\s+${a.id.slice(0, 19)}`));
      // 80×24: workers, tasks and the key bar with the task actions all fit.
      const lines = small.capture().trimEnd().split('\n');
      expect(lines.length).toBeLessThanOrEqual(24);
      expect(lines.at(-1)).toMatch(/^q quit\s+⏎ details\s+↑↓ move\s+⇥ queues\s+r revoke\s+l rate\s+p ping/);
      small.send('q');
      await small.waitFor('[exited 0]');
    }
  });

  it('a worker that stops turns offline: at once on SIGTERM (worker-offline), within the expiry window on SIGKILL', async () => {
    await resetView();
    // Shift-Tab: from the tasks back to the workers.
    tmux.send('BTab');
    await tmux.waitFor(/› e2e-/);
    expect(await threadWorker.stop('SIGTERM')).toBe(0);
    await tmux.waitFor(new RegExp(`${escapeRe(threadWorker.nodename)}\\s+offline`), 5000);
    expect(tmux.capture()).toMatch(new RegExp(`${escapeRe(asyncWorker.nodename)}\\s+online`));
    // No goodbye: offline once no heartbeat came for 2 × the freq of its last one (plus the view's once-a-second
    // tick). That is 2 × 2 s, unless the last one answered a new receiver's wake-up (the small views above), which
    // says freq 5 as Celery's does: then 2 × 5 s.
    const killed = Date.now();
    await asyncWorker.stop('SIGKILL');
    await tmux.waitFor(new RegExp(`${escapeRe(asyncWorker.nodename)}\\s+offline`), 13_000);
    expect(Date.now() - killed).toBeGreaterThanOrEqual(2000);
    expect(tmux.capture()).toContain('0 online · 2 offline');
    tmux.send('q');
    const screen = await tmux.waitFor('[exited 0]');
    expect(screen).not.toContain(' Workers ');
  });
});
