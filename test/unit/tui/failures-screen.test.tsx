import { afterEach, describe, expect, it, vi } from 'vitest';
import { planGroupRetry, type GroupRetryPlan } from '../../../src/dispatch/retry-plan.js';
import { ClusterStore } from '../../../src/events/cluster-store.js';
import { retrySourceOf } from '../../../src/failures/retry-source.js';
import type { EventEnvelope } from '../../../src/protocol/event-message.js';
import { App } from '../../../src/tui/app.js';
import type { FailureRetryActions } from '../../../src/tui/screens/failures-screen.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { KEYS, renderTui, stripAnsi, type RenderedTui } from '../../fakes/render-tui.js';

const BROKER = 'amqp://guest:**@127.0.0.1:5672/h8';
let view: RenderedTui | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
});

function ev(type: string, uuid: string, atSeconds: number, extra: Record<string, unknown> = {}): EventEnvelope {
  return {
    type,
    uuid,
    hostname: 'w1@vm',
    timestamp: atSeconds,
    utcoffset: 0,
    pid: 1,
    clock: 1,
    local_received: atSeconds,
    ...extra,
  } as EventEnvelope;
}

function failure(uuid: string, at: number, name: string, args: string, exception: string): EventEnvelope[] {
  return [
    ev('task-received', uuid, at, { name, args, kwargs: '{}', routing_key: 'celery' }),
    ev('task-failed', uuid, at + 1, { exception, traceback: `Traceback (most recent call last):\n  File "tasks.py", line 9\n${exception}` }),
  ];
}

/** Plans with the real dry run; "sends" by noting the plan (TaskDispatcher is tested against a broker). */
function recordingRetry() {
  const sent: GroupRetryPlan[] = [];
  let n = 0;
  const retry: FailureRetryActions = {
    plan: (tasks) =>
      planGroupRetry(
        tasks.map((t) => retrySourceOf(t)),
        { newId: () => `new${++n}-0000-0000` },
      ),
    send: (plan) => {
      sent.push(plan);
      return Promise.resolve(plan.plans.map((p) => ({ retryOf: p.retryOf, id: p.newId, name: p.name })));
    },
  };
  return { retry, sent };
}

describe('the failures screen', () => {
  it('F groups the history and live failures; Enter lists a group, Enter a task opens details, Esc comes back', async () => {
    const clock = new ManualClock();
    const now = clock.now() / 1000;
    const store = new ClusterStore({ clock, broker: BROKER });
    store.setConnection({ phase: 'connected', broker: BROKER, reconnects: 0 });
    // From the journal: two ValueErrors an hour ago; live: a third, and a KeyError.
    store.loadHistory([
      ...failure('aaaaaaaa-1', now - 3600, 'tasks.add', '(1, 2)', "ValueError('a')"),
      ...failure('bbbbbbbb-2', now - 3500, 'tasks.add', '(3, 4)', "ValueError('b')"),
    ]);
    const { retry } = recordingRetry();
    view = renderTui(<App store={store} clock={clock} isColor={false} retry={retry} />, { columns: 140, rows: 24 });
    store.dispatch([
      ...failure('cccccccc-3', now - 10, 'tasks.add', '(5, 6)', "ValueError('c')"),
      ...failure('dddddddd-4', now - 5, 'tasks.get', "('k',)", "KeyError('k')"),
    ]);
    clock.advance(1000);
    const screen = () => stripAnsi(view!.lastFrame());
    view.press('F');
    await vi.waitFor(() => expect(screen()).toContain('2 groups, 4 failed tasks'));
    const lines = screen().split('\n');
    expect(lines.find((l) => l.includes('tasks.add'))).toMatch(/^\s+3 ValueError\s+tasks\.add\s+1h00m ago\s+10s ago\s+w1@vm/);
    expect(lines.find((l) => l.includes('tasks.get'))).toMatch(/^\s+1 KeyError\s+tasks\.get/);
    // The selected group's example: its newest failure, with the traceback's last lines.
    expect(screen()).toContain("example cccccccc: ValueError('c')");
    expect(screen()).toContain('File "tasks.py", line 9');
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toContain('Failures › ValueError in tasks.add'));
    expect(screen()).toMatch(/cccccccc\s+w1@vm\s+\(5, 6\) \{\}/);
    view.press(KEYS.down);
    await vi.waitFor(() => expect(screen()).toMatch(/bbbbbbbb/));
    await new Promise((resolve) => setTimeout(resolve, 50));
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toContain('Task tasks.add'));
    expect(screen()).toContain('bbbbbbbb-2');
    view.press(KEYS.escape);
    await vi.waitFor(() => expect(screen()).toContain('Failures › ValueError in tasks.add'));
    view.press(KEYS.escape);
    await vi.waitFor(() => expect(screen()).toContain('2 groups, 4 failed tasks'));
    view.press(KEYS.escape);
    await vi.waitFor(() => expect(screen()).not.toContain('failed tasks'));
  });

  it('R shows the dry run (which would be sent, which refused and why), y sends, and the rows link retry and original', async () => {
    const clock = new ManualClock();
    const now = clock.now() / 1000;
    const store = new ClusterStore({ clock, broker: BROKER });
    store.loadHistory([
      ...failure('aaaaaaaa-1', now - 60, 'tasks.record_then_fail', "(1, 'x')", "RuntimeError('no')"),
      ...failure('bbbbbbbb-2', now - 50, 'tasks.record_then_fail', "('" + 'y'.repeat(40) + '...', "RuntimeError('no')"),
      ...failure('eeeeeeee-5', now - 40, 'tasks.record_then_fail', '(<object object at 0x7f>,)', "RuntimeError('no')"),
    ]);
    const { retry, sent } = recordingRetry();
    view = renderTui(<App store={store} clock={clock} isColor={false} retry={retry} />, { columns: 160, rows: 24 });
    const screen = () => stripAnsi(view!.lastFrame());
    view.press('F');
    await vi.waitFor(() => expect(screen()).toContain('1 group, 3 failed tasks'));
    view.press('R');
    await vi.waitFor(() => expect(screen()).toContain('dry run: 1 would be sent, 2 refused'));
    expect(screen()).toContain('send   aaaaaaaa tasks.record_then_fail args=[1,"x"] kwargs={} → celery');
    expect(screen()).toMatch(
      /refuse bbbbbbbb tasks\.record_then_fail: cannot retry tasks\.record_then_fail\[bbbbbbbb-2\] exactly: its args it ends inside a string/,
    );
    expect(screen()).toMatch(/refuse eeeeeeee tasks\.record_then_fail: .*object/);
    expect(screen()).toContain('Retry 3 × tasks.record_then_fail (RuntimeError): send 1? y send · n cancel');
    view.press('n');
    await vi.waitFor(() => expect(screen()).toContain('retry cancelled'));
    expect(sent).toEqual([]);
    view.press('R');
    await vi.waitFor(() => expect(screen()).toContain('dry run'));
    view.press('y');
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]!.plans.map((p) => p.retryOf)).toEqual(['aaaaaaaa-1']);
    const newId = sent[0]!.plans[0]!.newId;
    await vi.waitFor(() => expect(screen()).toContain(`retried 1: aaaaaaaa → ${newId.slice(0, 8)}; 2 refused`));
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toContain('Failures › RuntimeError'));
    expect(
      screen()
        .split('\n')
        .find((l) => l.includes('aaaaaaaa')),
    ).toContain(`retried as ${newId.slice(0, 8)}`);
    // The new task fails too: its row says what it retries.
    store.dispatch(failure(newId, now, 'tasks.record_then_fail', "(1, 'x')", "RuntimeError('no')"));
    clock.advance(1000);
    await vi.waitFor(() => expect(screen()).toContain('retry of aaaaaaaa'));
  });

  it('r on one task with truncated args: refused, with the reason, nothing to send', async () => {
    const clock = new ManualClock();
    const now = clock.now() / 1000;
    const store = new ClusterStore({ clock, broker: BROKER });
    store.loadHistory(failure('bbbbbbbb-2', now - 50, 'tasks.t', "('" + 'y'.repeat(40) + '...', "RuntimeError('no')"));
    const { retry, sent } = recordingRetry();
    view = renderTui(<App store={store} clock={clock} isColor={false} retry={retry} />, { columns: 160, rows: 20 });
    const screen = () => stripAnsi(view!.lastFrame());
    view.press('F');
    await vi.waitFor(() => expect(screen()).toContain('1 group'));
    view.press('r');
    await vi.waitFor(() => expect(screen()).toContain('r retries one task'));
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toContain('Failures ›'));
    view.press('r');
    await vi.waitFor(() => expect(screen()).toContain('dry run: 0 would be sent, 1 refused'));
    expect(screen()).toContain('Nothing to send');
    view.press('y');
    await vi.waitFor(() => expect(screen()).toContain('retry cancelled'));
    expect(sent).toEqual([]);
  });

  it('without a broker (a replay): r says why retries are off', async () => {
    const clock = new ManualClock();
    const store = new ClusterStore({ clock, broker: BROKER });
    store.loadHistory(failure('aaaaaaaa-1', clock.now() / 1000 - 5, 'tasks.t', '(1,)', "RuntimeError('no')"));
    const retry: FailureRetryActions = {
      plan: () => ({ plans: [], refused: [] }),
      send: () => Promise.resolve([]),
      unavailable: 'a replay sends nothing',
    };
    view = renderTui(<App store={store} clock={clock} isColor={false} retry={retry} />, { columns: 120, rows: 20 });
    const screen = () => stripAnsi(view!.lastFrame());
    view.press('F');
    await vi.waitFor(() => expect(screen()).toContain('1 group'));
    view.press('R');
    await vi.waitFor(() => expect(screen()).toContain('a replay sends nothing'));
  });
});

describe('history in the live view', () => {
  it('says "history since …, N tasks"; h hides the tasks last seen before the view started, and shows them again', async () => {
    const clock = new ManualClock();
    const now = clock.now() / 1000;
    const store = new ClusterStore({ clock, broker: BROKER });
    store.loadHistory([ev('task-received', 'old00000-1', now - 600, { name: 'tasks.old' })]);
    const history = { info: { since: (now - 600) * 1000, tasks: 1, events: 1 }, startedMs: clock.now() };
    view = renderTui(<App store={store} clock={clock} isColor={false} history={history} />, { columns: 120, rows: 20 });
    store.dispatch([ev('task-received', 'new00000-2', now + 1, { name: 'tasks.new' })]);
    clock.advance(1000);
    const screen = () => stripAnsi(view!.lastFrame());
    await vi.waitFor(() => expect(screen()).toContain('tasks.new'));
    expect(screen()).toContain('tasks.old');
    expect(screen()).toMatch(/history since \d\d:\d\d:\d\d, 1 task\b/);
    view.press('h');
    await vi.waitFor(() => expect(screen()).toContain('live only (h shows the history)'));
    expect(screen()).not.toMatch(/RECEIVED tasks\.old/);
    expect(screen()).toContain('tasks.new');
    view.press('h');
    await vi.waitFor(() => expect(screen()).toContain('tasks.old'));
  });
});
