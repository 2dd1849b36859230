import { afterEach, describe, expect, it, vi } from 'vitest';

// Colour tests need chalk to emit colour; it decides when first imported, so set this before any import runs.
vi.hoisted(() => {
  process.env['FORCE_COLOR'] = '1';
});

import { ClusterStore } from '../../../src/events/cluster-store.js';
import { App } from '../../../src/tui/app.js';
import type { ControlActions, NodeReply } from '../../../src/tui/control-actions.js';
import type { ShellEngineLike } from '../../../src/tui/shell-engine-like.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { taskEvent, taskReceived, workerEvent } from '../../fakes/event-script.js';
import { KEYS, renderTui, stripAnsi, type RenderedTui } from '../../fakes/render-tui.js';

const BROKER = 'amqp://guest:**@127.0.0.1:5672/camq-events';
const FAIL_ID = 'f00dfail-0000-4000-8000-000000000001';
const ADD_ID = 'a11add00-0000-4000-8000-000000000002';

let view: RenderedTui | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
});

function setup(options: { control?: ControlActions; shell?: ShellEngineLike; isColor?: boolean; size?: { columns: number; rows: number } } = {}) {
  const clock = new ManualClock();
  const store = new ClusterStore({ clock, broker: BROKER });
  store.setConnection({ phase: 'connected', broker: BROKER, reconnects: 0 });
  clock.advance(0);
  view = renderTui(
    <App store={store} clock={clock} isColor={options.isColor ?? false} control={options.control} shell={options.shell} />,
    options.size,
  );
  const screen = () => stripAnsi(view!.lastFrame());
  /** Deliver events as the receiver would, then let the store publish. */
  const deliver = (...events: ReturnType<typeof workerEvent>[]) => {
    store.dispatch(events);
    clock.advance(100);
  };
  return { clock, store, view: view, screen, deliver };
}

/** A scripted fake of the control client: records calls, answers with canned replies. */
function fakeControl(replies: readonly NodeReply[] = [{ node: 'w1@vm', ok: true, text: 'ok' }]) {
  const calls: string[] = [];
  const control: ControlActions = {
    ping: async () => (calls.push('ping'), [{ node: 'w1@vm', ok: true, text: 'pong' }]),
    revoke: async (id, { terminate }) => (calls.push(`revoke ${id} terminate=${terminate}`), replies),
    rateLimit: async (task, rate) => (
      calls.push(`rate_limit ${task} ${rate}`),
      [{ node: 'w1@vm', ok: true, text: 'new rate limit set successfully' }]
    ),
  };
  return { control, calls };
}

describe('App: a scripted cluster', () => {
  it('a worker comes online, heartbeats with a ticking age, runs tasks through their lifecycle, goes offline', async () => {
    const { clock, store, screen, deliver } = setup();
    expect(screen()).toContain('no workers yet');
    expect(screen()).toContain(BROKER);
    expect(screen()).toContain('● connected');

    deliver(workerEvent('online', 'w1@vm', clock.now(), { active: 0, processed: 0 }));
    await vi.waitFor(() => expect(screen()).toMatch(/w1@vm\s+online\s+<10s/));
    clock.advance(3000);
    expect(screen()).toMatch(/w1@vm\s+online\s+<10s/);
    // A routine heartbeat publishes nothing by itself: the check every second sees its new figures and redraws.
    store.dispatch([workerEvent('heartbeat', 'w1@vm', clock.now(), { active: 1, processed: 1, loadavg: [0.5, 0.25, 0.1] })]);
    clock.advance(1250);
    await vi.waitFor(() => expect(screen()).toMatch(/w1@vm\s+online\s+<10s\s+1\s+1 0\.50 0\.25 0\.10/));

    deliver(taskReceived(ADD_ID, 'w1@vm', clock.now(), 'tasks.add', '(2, 2)'));
    await vi.waitFor(() => expect(screen()).toMatch(/RECEIVED\s+tasks\.add\s+a11add00/));
    deliver(taskEvent('started', ADD_ID, 'w1@vm', clock.now()));
    await vi.waitFor(() => expect(screen()).toMatch(/STARTED\s+tasks\.add/));
    deliver(taskEvent('succeeded', ADD_ID, 'w1@vm', clock.now() + 5, { result: '4', runtime: 0.0125 }));
    await vi.waitFor(() => expect(screen()).toMatch(/SUCCESS\s+tasks\.add\s+a11add00\S*\s+\(2, 2\)\s+w1@vm\s+13ms/));
    // A late task-received does not undo the success.
    deliver(taskReceived(ADD_ID, 'w1@vm', clock.now(), 'tasks.add', '(2, 2)'));
    clock.advance(1000);
    expect(screen()).toMatch(/SUCCESS\s+tasks\.add/);
    expect(screen()).toMatch(/tasks\.add .*1\.0\/s|tasks\.add .*✓1/);

    clock.advance(2000);
    deliver(workerEvent('offline', 'w1@vm', clock.now()));
    await vi.waitFor(() => expect(screen()).toMatch(/w1@vm\s+offline\s+<10s/));
  });

  it('ages are coarse, and with nothing shown changing the view draws no frame at all', async () => {
    const { clock, view, screen, deliver } = setup();
    deliver(workerEvent('online', 'w1@vm', clock.now()));
    deliver(workerEvent('offline', 'w1@vm', clock.now()));
    await vi.waitFor(() => expect(screen()).toMatch(/w1@vm\s+offline\s+<10s/));
    for (let i = 0; i < 100; i++) clock.advance(250);
    await vi.waitFor(() => expect(screen()).toMatch(/w1@vm\s+offline\s+20s/));
    for (let i = 0; i < 160; i++) clock.advance(250);
    await vi.waitFor(() => expect(screen()).toMatch(/w1@vm\s+offline\s+1m /));
    // From 1m to 2m the row, the title and the header (0.0/s since the events left the 5 s window) hold still.
    const frames = view.stdout.frames.length;
    for (let i = 0; i < 200; i++) clock.advance(250);
    expect(view.stdout.frames.length).toBe(frames);
    expect(screen()).toMatch(/w1@vm\s+offline\s+1m /);
    for (let i = 0; i < 30; i++) clock.advance(250);
    await vi.waitFor(() => expect(screen()).toMatch(/w1@vm\s+offline\s+2m /));
    expect(view.stdout.frames.length).toBe(frames + 1);
  });

  it('a worker that stops heartbeating turns offline within the expiry window; a new one appears on its first heartbeat', async () => {
    const { clock, screen, deliver } = setup();
    deliver(workerEvent('online', 'w1@vm', clock.now()));
    clock.advance(3500);
    deliver(workerEvent('heartbeat', 'w2@vm', clock.now()));
    await vi.waitFor(() => expect(screen()).toMatch(/w2@vm\s+online/));
    expect(screen()).toMatch(/w1@vm\s+online\s+<10s/);
    // Past 2 × freq (4 s) after w1's last heartbeat; the view redraws at least once a second with nothing arriving.
    clock.advance(1500);
    await vi.waitFor(() => expect(screen()).toMatch(/w1@vm\s+offline\s+<10s/));
    expect(screen()).toMatch(/w2@vm\s+online/);
    expect(screen()).toContain('1 online · 1 offline');
  });
});

function seedTasks(deliver: (...e: ReturnType<typeof workerEvent>[]) => void, clock: ManualClock) {
  const t = clock.now();
  deliver(
    workerEvent('online', 'w1@vm', t),
    workerEvent('online', 'w2@vm', t),
    taskReceived(ADD_ID, 'w1@vm', t, 'tasks.add', '(2, 2)'),
    taskEvent('succeeded', ADD_ID, 'w1@vm', t + 1, { result: '4', runtime: 0.001 }),
    taskReceived(FAIL_ID, 'w2@vm', t + 2, 'tasks.fail', "('boom',)"),
    taskEvent('started', FAIL_ID, 'w2@vm', t + 3),
    taskEvent('failed', FAIL_ID, 'w2@vm', t + 4, {
      exception: "RuntimeError('boom')",
      traceback: 'Traceback (most recent call last):\n  File "tasks.py", line 43, in fail\n    raise RuntimeError(message)\nRuntimeError: boom\n',
    }),
  );
}

describe('App: keys', () => {
  it('filters by state with s, by search with /, by name with n, and clears with c', async () => {
    const { clock, view, screen, deliver } = setup();
    seedTasks(deliver, clock);
    await vi.waitFor(() => expect(screen()).toContain('tasks.fail'));
    for (let i = 0; i < 4; i++) view.press('s'); // RECEIVED, STARTED, SUCCESS, FAILURE
    await vi.waitFor(() => expect(screen()).toContain('filter state=FAILURE'));
    expect(screen()).toContain('tasks.fail');
    expect(screen()).not.toMatch(/SUCCESS\s+tasks\.add/);
    view.press('c');
    await vi.waitFor(() => expect(screen()).toMatch(/SUCCESS\s+tasks\.add/));

    view.press('/');
    for (const ch of '(2, 2') view.press(ch);
    await vi.waitFor(() => expect(screen()).toContain('/(2, 2'));
    expect(screen()).not.toMatch(/FAILURE\s+tasks\.fail/);
    expect(screen()).toMatch(/SUCCESS\s+tasks\.add/);
    view.press(KEYS.escape); // cancel restores the previous (empty) query
    await vi.waitFor(() => expect(screen()).toMatch(/FAILURE\s+tasks\.fail/));

    view.press('n'); // the newest (selected) task is tasks.fail
    await vi.waitFor(() => expect(screen()).toContain('task=tasks.fail'));
    expect(screen()).not.toMatch(/SUCCESS\s+tasks\.add/);
  });

  it('Enter opens details with args, exception, traceback and timings; Esc comes back', async () => {
    const { clock, view, screen, deliver } = setup();
    seedTasks(deliver, clock);
    await vi.waitFor(() => expect(screen()).toContain('tasks.fail'));
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toContain(`Task tasks.fail  ${FAIL_ID}`));
    const s = screen();
    expect(s).toMatch(/args\s+\('boom',\)/);
    expect(s).toMatch(/exception\s+RuntimeError\('boom'\)/);
    expect(s).toContain('RuntimeError: boom');
    expect(s).toMatch(/failed\s+\d\d:\d\d:\d\d\.\d{3}\s+\+2ms/);
    view.press(KEYS.escape);
    await vi.waitFor(() => expect(screen()).toContain(' Workers '));
    view.press(KEYS.down);
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toMatch(/result\s+4/));
  });

  it('revoke asks first: n cancels, y revokes through ControlActions and shows the replies', async () => {
    const { control, calls } = fakeControl([{ node: 'w2@vm', ok: true, text: 'tasks revoked' }]);
    const { clock, view, screen, deliver } = setup({ control });
    seedTasks(deliver, clock);
    await vi.waitFor(() => expect(screen()).toContain('tasks.fail'));
    view.press('r');
    await vi.waitFor(() => expect(screen()).toContain(`Revoke ${FAIL_ID} (tasks.fail)? y revoke`));
    view.press('n');
    await vi.waitFor(() => expect(screen()).toContain('revoke cancelled'));
    expect(calls).toEqual([]);
    view.press('r');
    await vi.waitFor(() => expect(screen()).toContain('Revoke'));
    view.press('t');
    await vi.waitFor(() => expect(screen()).toContain('terminate f00dfail: w2@vm: tasks revoked'));
    expect(calls).toEqual([`revoke ${FAIL_ID} terminate=true`]);
  });

  it('l asks for a rate, rejects a bad one, and sends a good one; p pings', async () => {
    const { control, calls } = fakeControl();
    const { clock, view, screen, deliver } = setup({ control });
    seedTasks(deliver, clock);
    await vi.waitFor(() => expect(screen()).toContain('tasks.fail'));
    view.press('l');
    await vi.waitFor(() => expect(screen()).toContain('Rate limit for tasks.fail'));
    for (const ch of '10/x') view.press(ch);
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toContain("unknown unit 'x'"));
    view.press(KEYS.backspace);
    view.press('m\r'); // typed fast: the letter and Enter in one read
    await vi.waitFor(() => expect(screen()).toContain('rate_limit tasks.fail 10/m: w1@vm: new rate limit set successfully'));
    view.press('p');
    // w2@vm is known (it ran tasks.fail) but the fake control answers for w1@vm only: the silent one is named first.
    await vi.waitFor(() => expect(screen()).toContain('ping: 1 of 2 did not answer: w2@vm; w1@vm: pong'));
    expect(calls).toEqual(['rate_limit tasks.fail 10/m', 'ping']);
  });

  it('without a control client, the actions say so instead of failing silently', async () => {
    const { clock, view, screen, deliver } = setup();
    seedTasks(deliver, clock);
    await vi.waitFor(() => expect(screen()).toContain('tasks.fail'));
    view.press('r');
    await vi.waitFor(() => expect(screen()).toContain('Revoke'));
    view.press('y');
    await vi.waitFor(() => expect(screen()).toContain('remote control is not available'));
  });

  it('the shell screen runs lines through the engine, completes with Tab, recalls history, Esc returns', async () => {
    const ran: string[] = [];
    const shell: ShellEngineLike = {
      prompt: () => '1> ',
      complete: (line) => ['exchange.declare', 'exchange.delete'].filter((c) => c.startsWith(line)),
      execute: async (line) => (
        ran.push(line),
        line.startsWith('bad') ? { text: 'unknown command', isError: true } : { text: 'ok.', isError: false }
      ),
    };
    const { view, screen } = setup({ shell });
    view.press(':');
    await vi.waitFor(() => expect(screen()).toContain(' Shell '));
    for (const ch of 'exchange.dec') view.press(ch);
    view.press(KEYS.tab);
    await vi.waitFor(() => expect(screen()).toContain('1> exchange.declare'));
    for (const ch of ' x') view.press(ch);
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toMatch(/1> exchange\.declare x\s*\n\s*ok\./));
    for (const ch of 'bad') view.press(ch);
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toContain('unknown command'));
    view.press(KEYS.up);
    view.press(KEYS.up);
    await vi.waitFor(() => expect(screen()).toMatch(/1> exchange\.declare x\s*$/m));
    expect(ran).toEqual(['exchange.declare x', 'bad']);
    view.press(KEYS.escape);
    await vi.waitFor(() => expect(screen()).toContain(' Workers '));
  });
});

describe('App: focus', () => {
  /** Lines of the overview from a title to the next title (or the status line). */
  const pane = (screen: string, title: 'Workers' | 'Tasks') => {
    const lines = screen.split('\n');
    const start = lines.findIndex((l) => l.startsWith(` ${title} `));
    const end = lines.findIndex((l, i) => i > start && /^ (Workers|Tasks|Rates) /.test(l));
    return lines.slice(start, end === -1 ? lines.length - 2 : end).join('\n');
  };

  it('starts on the task stream: only the focused pane shows its selection, and Tab moves both', async () => {
    const { clock, view, screen, deliver } = setup();
    seedTasks(deliver, clock);
    await vi.waitFor(() => expect(screen()).toContain('tasks.fail'));
    expect(pane(screen(), 'Tasks')).toMatch(/› FAILURE\s+tasks\.fail/);
    expect(pane(screen(), 'Workers')).not.toContain('›');
    expect(screen().split('\n').at(-1)).toContain('⇥ workers');

    view.press(KEYS.tab);
    await vi.waitFor(() => expect(pane(screen(), 'Workers')).toMatch(/› w1@vm\s+online/));
    expect(pane(screen(), 'Tasks')).not.toContain('›');
    expect(screen().split('\n').at(-1)).toMatch(/^q quit\s+⏎ their tasks\s+↑↓ move\s+⇥ tasks/);
    view.press(KEYS.down);
    await vi.waitFor(() => expect(pane(screen(), 'Workers')).toMatch(/› w2@vm/));
  });

  it("highlights the focused pane's title and dims the other, in colour and without", async () => {
    const titleSgr = (frame: string, title: string) => frame.split('\n').find((l) => stripAnsi(l).startsWith(` ${title} `)) ?? '';

    const sgrCodes = (line: string) =>
      [...line.matchAll(/\u001b\[([0-9;]*)m/g)]
        .map((m) => m[1])
        .join(';')
        .split(';');
    for (const isColor of [true, false]) {
      const { view } = setup({ isColor });
      await vi.waitFor(() => expect(stripAnsi(view.lastFrame())).toContain(' Tasks '));
      expect(sgrCodes(titleSgr(view.lastFrame(), 'Tasks'))).toContain('7'); // inverse
      expect(sgrCodes(titleSgr(view.lastFrame(), 'Workers'))).toContain('2'); // dim
      expect(sgrCodes(titleSgr(view.lastFrame(), 'Workers'))).not.toContain('7');
      view.press(KEYS.tab);
      await vi.waitFor(() => expect(sgrCodes(titleSgr(view.lastFrame(), 'Workers'))).toContain('7'));
      expect(sgrCodes(titleSgr(view.lastFrame(), 'Tasks'))).toContain('2');
      view.unmount();
    }
  });

  it('Enter on a worker shows only its tasks and hands the keys to them; task keys in the workers pane say where to go', async () => {
    const { clock, view, screen, deliver } = setup();
    seedTasks(deliver, clock);
    await vi.waitFor(() => expect(screen()).toContain('tasks.fail'));
    view.press(KEYS.tab);
    view.press('r');
    await vi.waitFor(() => expect(screen()).toContain('r acts on the selected task: Tab switches to the tasks pane'));
    view.press(KEYS.enter); // w1@vm, the first worker
    await vi.waitFor(() => expect(screen()).toContain('filter worker=w1@vm'));
    expect(pane(screen(), 'Tasks')).not.toContain('tasks.fail');
    expect(pane(screen(), 'Tasks')).toMatch(/› SUCCESS\s+tasks\.add/);
    expect(pane(screen(), 'Workers')).not.toContain('›');
  });
});

describe('App: keys as terminals send them', () => {
  it('↓ and ↑ move in normal and in application cursor mode, and right after Esc', async () => {
    const { clock, view, screen, deliver } = setup();
    seedTasks(deliver, clock);
    await vi.waitFor(() => expect(screen()).toMatch(/› FAILURE\s+tasks\.fail/));
    const selected = () =>
      screen()
        .split('\n')
        .find((l) => l.startsWith('›')) ?? '';
    for (const [down, up] of [
      ['\u001b[B', '\u001b[A'],
      ['\u001bOB', '\u001bOA'],
    ]) {
      view.press(down!);
      await vi.waitFor(() => expect(selected()).toMatch(/SUCCESS\s+tasks\.add/));
      view.press(up!);
      await vi.waitFor(() => expect(selected()).toMatch(/FAILURE\s+tasks\.fail/));
    }
    // Esc, then ↓ in a later read; and Esc with ↓ in the same read (what tmux sends for a quick Esc ↓: meta-↓).
    view.press(KEYS.escape);
    await new Promise((r) => setImmediate(r));
    view.press(KEYS.down);
    await vi.waitFor(() => expect(selected()).toMatch(/SUCCESS\s+tasks\.add/));
    view.press('\u001b\u001b[A');
    await vi.waitFor(() => expect(selected()).toMatch(/FAILURE\s+tasks\.fail/));
  });

  it("the tasks pane's title says where it is, as the workers pane's does: 1–N of 100, then the oldest at the end", async () => {
    const { clock, screen, view, deliver } = setup({ size: { columns: 100, rows: 30 } });
    const t = clock.now();
    deliver(workerEvent('online', 'w1@vm', t));
    for (let i = 0; i < 100; i++)
      deliver(taskReceived(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, 'w1@vm', t + i, 'tasks.add', `(${i},)`));
    await vi.waitFor(() => expect(screen()).toMatch(/ Tasks {2}100 kept, newest first · 1–(\d+) of 100/));
    const shown = Number(/1–(\d+) of 100/.exec(screen())![1]);
    expect(
      screen()
        .split('\n')
        .filter((l) => /RECEIVED\s+tasks\.add/.test(l)),
    ).toHaveLength(shown);
    view.press('G');
    await vi.waitFor(() => expect(screen()).toContain(`· ${101 - shown}–100 of 100`));
    view.press('g');
    await vi.waitFor(() => expect(screen()).toContain(`· 1–${shown} of 100`));
  });

  it('keys that arrive in one read each count: "jkj" moves down, up and down, "gr" asks to revoke the newest', async () => {
    const { control } = fakeControl();
    const { clock, view, screen, deliver } = setup({ control });
    seedTasks(deliver, clock);
    await vi.waitFor(() => expect(screen()).toContain('tasks.fail'));
    view.press('j');
    await vi.waitFor(() => expect(screen()).toMatch(/› SUCCESS\s+tasks\.add/));
    view.press('gr');
    await vi.waitFor(() => expect(screen()).toContain(`Revoke ${FAIL_ID} (tasks.fail)? y revoke`));
    view.press('n');
    view.press('jkj');
    await vi.waitFor(() => expect(screen()).toMatch(/› SUCCESS\s+tasks\.add/));
    // Enter and Tab inside such a read are keys too.
    view.press('k\r');
    await vi.waitFor(() => expect(screen()).toContain(`Task tasks.fail  ${FAIL_ID}`));
    view.press(KEYS.escape);
    await vi.waitFor(() => expect(screen()).toContain(' Workers '));
    view.press('\tj');
    await vi.waitFor(() => expect(screen()).toMatch(/› w2@vm/));
    view.press('\t');
    // A paste into the search prompt stays text; Enter in the same read accepts it.
    view.press('/');
    view.press('boom\r');
    await vi.waitFor(() => expect(screen()).toContain('filter /boom'));
    await vi.waitFor(() => expect(screen().split('\n').at(-1)).toMatch(/^q quit/));
  });

  it('Enter pins the selection: back from the details it stays on that task while newer ones arrive', async () => {
    const { clock, view, screen, deliver } = setup();
    seedTasks(deliver, clock);
    await vi.waitFor(() => expect(screen()).toMatch(/› FAILURE\s+tasks\.fail/));
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toContain(`Task tasks.fail  ${FAIL_ID}`));
    deliver(taskReceived('0e1e1e1e-0000-4000-8000-000000000003', 'w1@vm', clock.now(), 'tasks.noop', '()'));
    view.press(KEYS.escape);
    await vi.waitFor(() => expect(screen()).toContain('tasks.noop'));
    expect(screen()).toMatch(/› FAILURE\s+tasks\.fail/);
    view.press('g');
    await vi.waitFor(() => expect(screen()).toMatch(/› RECEIVED\s+tasks\.noop/));
  });
});

describe('App: following the newest task', () => {
  const NOOP_ID = '0e1e1e1e-0000-4000-8000-000000000003';
  const ADD2_ID = 'b22add00-0000-4000-8000-000000000004';

  it('a cancelled l or r prompt gives the following back (and a pinned selection stays pinned)', async () => {
    const { control, calls } = fakeControl();
    const { clock, view, screen, deliver } = setup({ control });
    seedTasks(deliver, clock);
    await vi.waitFor(() => expect(screen()).toMatch(/› FAILURE\s+tasks\.fail/));
    view.press('l');
    await vi.waitFor(() => expect(screen()).toContain('Rate limit for tasks.fail'));
    view.press(KEYS.escape);
    await vi.waitFor(() => expect(screen()).not.toContain('Rate limit for'));
    view.press('r');
    await vi.waitFor(() => expect(screen()).toContain('Revoke'));
    view.press('n');
    await vi.waitFor(() => expect(screen()).toContain('revoke cancelled'));
    deliver(taskReceived(NOOP_ID, 'w1@vm', clock.now(), 'tasks.noop', '()'));
    await vi.waitFor(() => expect(screen()).toMatch(/› RECEIVED\s+tasks\.noop/));

    // Moved onto a task by hand: a cancelled prompt leaves it there.
    view.press('j');
    await vi.waitFor(() => expect(screen()).toMatch(/› FAILURE\s+tasks\.fail/));
    view.press('l');
    await vi.waitFor(() => expect(screen()).toContain('Rate limit for tasks.fail'));
    view.press(KEYS.escape);
    deliver(taskReceived(ADD2_ID, 'w1@vm', clock.now(), 'tasks.add', '(2, 2)'));
    await vi.waitFor(() => expect(screen()).toContain('b22add00'));
    expect(screen()).toMatch(/› FAILURE\s+tasks\.fail/);
    expect(calls).toEqual([]);
  });

  it('Enter after a search opens the row on screen, not a newer match that arrived since', async () => {
    const { clock, view, screen, deliver } = setup();
    seedTasks(deliver, clock);
    await vi.waitFor(() => expect(screen()).toMatch(/› FAILURE\s+tasks\.fail/));
    view.press('/');
    view.press('(2, 2');
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toMatch(/› SUCCESS\s+tasks\.add\s+a11add00/));
    deliver(taskReceived(ADD2_ID, 'w1@vm', clock.now(), 'tasks.add', '(2, 2)'));
    await vi.waitFor(() => expect(screen()).toMatch(/RECEIVED\s+tasks\.add\s+b22add00/));
    expect(screen()).toMatch(/› SUCCESS\s+tasks\.add\s+a11add00/);
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toContain(`Task tasks.add  ${ADD_ID}`));
  });

  it('a search typed and accepted with Enter in one read, then Enter, opens the first match, not the newest task', async () => {
    const { clock, view, screen, deliver } = setup();
    seedTasks(deliver, clock);
    await vi.waitFor(() => expect(screen()).toMatch(/› FAILURE\s+tasks\.fail/));
    view.press('/(2, 2\r\r');
    await vi.waitFor(() => expect(screen()).toMatch(/Task tasks\.\w+ {2}/));
    expect(screen()).toContain(`Task tasks.add  ${ADD_ID}`);
  });
});

describe('App: what it shows', () => {
  it('a countdown task waiting on its worker shows the time left to its ETA', async () => {
    const { clock, screen, deliver } = setup();
    const eta = new Date(clock.now() + 30_000).toISOString();
    deliver(
      workerEvent('online', 'w1@vm', clock.now()),
      taskEvent('received', ADD_ID, 'w1@vm', clock.now(), { name: 'tasks.add', args: '(2, 2)', kwargs: '{}', eta }),
    );
    await vi.waitFor(() => expect(screen()).toMatch(/RECEIVED\s+tasks\.add\s+a11add00.*w1@vm\s+in 30s/));
    clock.advance(10_000);
    await vi.waitFor(() => expect(screen()).toMatch(/RECEIVED\s+tasks\.add.*in 20s/));
    clock.advance(25_000);
    await vi.waitFor(() => expect(screen()).not.toMatch(/in \d+s/));
  });

  it('the key help fits 80×24 whole: long explanations wrap instead of being cut', async () => {
    const { view, screen } = setup({ size: { columns: 80, rows: 24 } });
    view.press('?');
    await vi.waitFor(() => expect(screen()).toContain(' Keys '));
    const lines = screen().split('\n');
    expect(lines.every((l) => l.length <= 80 && !l.endsWith('…'))).toBe(true);
    expect(screen()).toContain('Esc, ←');
    expect(screen()).toMatch(/search tasks by name.*\n\s{12}\S/);
  });

  it('the status line suits the screen: the shell says how to get help, not to press ?', async () => {
    const shell: ShellEngineLike = { prompt: () => '1> ', complete: () => [], execute: async () => ({ text: '', isError: false }) };
    const { view, screen } = setup({ shell });
    await vi.waitFor(() => expect(screen()).toContain('press ? for all keys'));
    view.press(':');
    await vi.waitFor(() => expect(screen()).toContain("'help' lists the commands"));
    expect(screen()).not.toContain('press ?');
  });
});

describe('App: terminal', () => {
  it('fits 80×24: at most 23 lines, none wider than 80 columns, workers, tasks and key bar visible', async () => {
    const { clock, screen, deliver } = setup({ size: { columns: 80, rows: 24 } });
    seedTasks(deliver, clock);
    await vi.waitFor(() => expect(screen()).toContain('tasks.fail'));
    const lines = screen().split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines.at(-1)).toMatch(/^q quit/);
    expect(screen()).toMatch(/w1@vm\s+online/);
  });

  it('resizes cleanly', async () => {
    const { clock, view, screen, deliver } = setup({ size: { columns: 120, rows: 40 } });
    seedTasks(deliver, clock);
    await vi.waitFor(() => expect(screen()).toContain(FAIL_ID)); // the full uuid fits at 120 columns
    view.stdout.resize(60, 16);
    await vi.waitFor(() =>
      expect(
        screen()
          .split('\n')
          .every((l) => l.length <= 60),
      ).toBe(true),
    );
    expect(screen().split('\n').length).toBeLessThanOrEqual(15);
    expect(screen()).toContain('f00dfail');
  });

  it('honours NO_COLOR: no colour escapes at all, where the colour theme has them', async () => {
    const plain = setup({ isColor: false });
    seedTasks(plain.deliver, plain.clock);
    await vi.waitFor(() => expect(plain.screen()).toContain('tasks.fail'));

    const colourSgr = /\u001b\[(3[0-7]|9[0-7]|4[0-7]|38;|48;)/;
    expect(colourSgr.test(plain.view.lastFrame())).toBe(false);
    plain.view.unmount();

    const coloured = setup({ isColor: true });
    seedTasks(coloured.deliver, coloured.clock);
    await vi.waitFor(() => expect(coloured.screen()).toContain('tasks.fail'));
    expect(colourSgr.test(coloured.view.lastFrame())).toBe(true);
  });
});
