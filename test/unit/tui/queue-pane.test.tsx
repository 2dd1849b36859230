import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClusterStore } from '../../../src/events/cluster-store.js';
import { EMPTY_QUEUE_PANE, type QueuePaneRow, type QueuePaneView } from '../../../src/queues/queue-pane-rows.js';
import { App } from '../../../src/tui/app.js';
import type { PeekText, QueueActions } from '../../../src/tui/queue-actions.js';
import { initialUiState, uiReducer, type UiState } from '../../../src/tui/state/ui-reducer.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { workerEvent } from '../../fakes/event-script.js';
import { KEYS, renderTui, stripAnsi, type RenderedTui } from '../../fakes/render-tui.js';

const BROKER = 'amqp://guest:**@127.0.0.1:5672/camq-queues';

function row(name: string, fields: Partial<QueuePaneRow> = {}): QueuePaneRow {
  return {
    name,
    type: 'classic',
    leader: null,
    members: null,
    ready: 0,
    unacked: 0,
    consumers: 1,
    publishRate: 0,
    deliverRate: 0,
    markers: [],
    depths: [],
    ...fields,
  };
}

function paneView(rows: QueuePaneRow[], fields: Partial<QueuePaneView> = {}): QueuePaneView {
  return { ...EMPTY_QUEUE_PANE, source: 'api', rows, backlog: rows.reduce((s, r) => s + r.ready, 0), takenAt: 0, ...fields };
}

/** A scripted queues engine: `publish` is a new listing; peek, purge and move are recorded and answered. */
class FakeQueues implements QueueActions {
  readonly calls: string[] = [];
  private view: QueuePaneView = EMPTY_QUEUE_PANE;
  private readonly listeners = new Set<() => void>();
  peekAnswer: PeekText = {
    title: "queue 'celery' (classic): 2 ready, 0 consumers; showing all",
    lines: ['#1 tasks.add[abc]  (protocol 2)', '    args [2,2]'],
    note: 'returned',
  };
  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  getSnapshot = () => this.view;
  publish(view: QueuePaneView): void {
    this.view = view;
    for (const l of this.listeners) l();
  }
  peek = async (queue: string) => (this.calls.push(`peek ${queue}`), this.peekAnswer);
  purge = async (queue: string) => (this.calls.push(`purge ${queue}`), 2);
  move = async (from: string, to: string) => (this.calls.push(`move ${from} ${to}`), 3);
}

let view: RenderedTui | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
});

function setup(queues: FakeQueues | undefined, size = { columns: 100, rows: 30 }) {
  const clock = new ManualClock();
  const store = new ClusterStore({ clock, broker: BROKER });
  store.setConnection({ phase: 'connected', broker: BROKER, reconnects: 0 });
  store.dispatch([workerEvent('online', 'w1@vm', clock.now(), { active: 0, processed: 0 })]);
  clock.advance(100);
  view = renderTui(<App store={store} clock={clock} isColor={false} queues={queues} />, size);
  return { screen: () => stripAnsi(view!.lastFrame()), press: view.press };
}

describe('queues pane state', () => {
  it('Tab cycles the panes it is given, in order; without a list, workers and tasks', () => {
    const panes = ['workers', 'tasks', 'queues'] as const;
    const seen: string[] = [];
    let state: UiState = initialUiState;
    for (let i = 0; i < 3; i++) {
      state = uiReducer(state, { type: 'toggle-pane', panes });
      seen.push(state.pane);
    }
    expect(seen).toEqual(['queues', 'workers', 'tasks']);
    expect(uiReducer(uiReducer(initialUiState, { type: 'toggle-pane' }), { type: 'toggle-pane' }).pane).toBe('tasks');
    expect(uiReducer(initialUiState, { type: 'toggle-pane', panes, reverse: true }).pane).toBe('workers');
    expect(uiReducer({ ...initialUiState, pane: 'workers' }, { type: 'toggle-pane', panes, reverse: true }).pane).toBe('queues');
  });

  it('a peek answered after its view was closed stays closed', () => {
    let state = uiReducer(initialUiState, { type: 'queue-pane', action: { type: 'peek-start', queue: 'a' } });
    state = uiReducer(state, { type: 'queue-pane', action: { type: 'peek-close' } });
    state = uiReducer(state, { type: 'queue-pane', action: { type: 'peek-done', queue: 'a', title: 't', lines: [], note: '' } });
    expect(state.queues.peek).toBeUndefined();
  });
});

describe('App: the queues pane', () => {
  it('shows depth, unacked, consumers, rates, a sparkline and the markers; the header shows the backlog', async () => {
    const queues = new FakeQueues();
    const { screen } = setup(queues);
    await vi.waitFor(() => expect(screen()).toContain('waiting for the first listing'));
    queues.publish(
      paneView(
        [
          row('stuck', { ready: 120, unacked: 0, consumers: 0, markers: ['no-consumer', 'growing'], depths: [10, 60, 120] }),
          row('celery', { ready: 7, unacked: 3, consumers: 2, publishRate: 12.5, deliverRate: 30, depths: [40, 20, 10] }),
        ],
        { hiddenHousekeeping: 4 },
      ),
    );
    await vi.waitFor(() => expect(screen()).toMatch(/stuck\s+120\s+0\s+0\s+0\.0\/s\s+0\.0\/s\s+▁▄█\s+no consumer, growing/));
    expect(screen()).toMatch(/celery\s+7\s+3\s+2\s+12\.5\/s\s+30\.0\/s\s+█▄▂/);
    expect(screen()).toContain('127 queued');
    expect(screen()).toContain('Queues  2 · 127 ready · management API · 4 housekeeping hidden');
  });

  it("on a cluster adds each queue's type with its member count and its leader node; a single node shows neither", async () => {
    const queues = new FakeQueues();
    const { screen } = setup(queues);
    queues.publish(
      paneView(
        [
          row('orders', { type: 'quorum', leader: 'rabbit@n2', members: 3, ready: 9 }),
          row('celery', { type: 'classic', leader: 'rabbit@n1', members: 1, ready: 2 }),
        ],
        { clustered: true },
      ),
    );
    await vi.waitFor(() => expect(screen()).toMatch(/TYPE\s+LEADER/));
    expect(screen()).toMatch(/orders\s+9\b.*quorum×3\s+rabbit@n2/);
    expect(screen()).toMatch(/celery\s+2\b.*classic\s+rabbit@n1/);
    queues.publish(paneView([row('celery', { type: 'classic', leader: 'rabbit@n1', members: 1, ready: 2 })]));
    await vi.waitFor(() => expect(screen()).not.toContain('LEADER'));
  });

  it('without the management API it says so in one line and shows the AMQP figures', async () => {
    const queues = new FakeQueues();
    queues.publish(
      paneView([row('celery', { ready: 4, unacked: null, publishRate: null, deliverRate: null })], {
        source: 'amqp',
        missing: 'no management API (connection refused): showing ready and consumer counts of the queues camq can name only',
      }),
    );
    const { screen } = setup(queues);
    await vi.waitFor(() => expect(screen()).toContain('no management API (connection refused)'));
    expect(screen()).toMatch(/celery\s+4\s+-\s+1\s+-\s+-/);
    expect(screen()).toContain('AMQP (ready and consumers only)');
  });

  it('Tab reaches it after the tasks; Enter peeks into a view Esc closes; P purges after y; m moves to the typed queue', async () => {
    const queues = new FakeQueues();
    queues.publish(paneView([row('celery', { ready: 2 }), row('dead', { ready: 1 })]));
    const { screen, press } = setup(queues);
    await vi.waitFor(() => expect(screen()).toContain('celery'));
    // The key bar names where Tab goes: from the tasks to the queues, from the queues to the workers.
    expect(screen()).toContain('⇥ queues');
    press(KEYS.tab);
    await vi.waitFor(() => expect(screen()).toMatch(/› celery/));
    expect(screen()).toContain('⏎ peek');
    expect(screen()).toContain('⇥ workers');

    press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toContain('#1 tasks.add[abc]'));
    expect(screen()).toContain("queue 'celery' (classic): 2 ready");
    expect(screen()).toContain('note: returned');
    press(KEYS.escape);
    await vi.waitFor(() => expect(screen()).not.toContain('#1 tasks.add'));
    expect(screen()).toMatch(/› celery/);

    press('P');
    await vi.waitFor(() => expect(screen()).toContain("Purge 'celery': remove every ready message? y purge · n cancel"));
    press('n');
    await vi.waitFor(() => expect(screen()).toContain('purge cancelled; nothing was removed'));
    press('Py');
    await vi.waitFor(() => expect(screen()).toContain("2 messages removed from 'celery'"));

    press(KEYS.down);
    await vi.waitFor(() => expect(screen()).toMatch(/› dead/));
    press('m');
    await vi.waitFor(() => expect(screen()).toContain("Move every message of 'dead' to queue"));
    press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toContain('[type the name of an existing queue]'));
    press('celery\r');
    await vi.waitFor(() => expect(screen()).toContain("3 messages moved from 'dead' to 'celery'"));
    expect(queues.calls).toEqual(['peek celery', 'purge celery', 'move dead celery']);

    press(KEYS.tab);
    await vi.waitFor(() => expect(screen()).toContain('⏎ their tasks'));
    // Shift-Tab (ESC [ Z) goes back: from the workers to the queues.
    press('\u001b[Z');
    await vi.waitFor(() => expect(screen()).toContain('⏎ peek'));
  });

  it('without the queues engine the pane is not there and Tab goes between workers and tasks', async () => {
    const { screen, press } = setup(undefined);
    await vi.waitFor(() => expect(screen()).toContain('w1@vm'));
    expect(screen()).not.toContain('Queues');
    expect(screen()).not.toContain('queued');
    press(KEYS.tab);
    await vi.waitFor(() => expect(screen()).toContain('⏎ their tasks'));
    press(KEYS.tab);
    await vi.waitFor(() => expect(screen()).toContain('⏎ details'));
  });

  it('fits 80×24 with the pane: workers, tasks, queues and the key bar', async () => {
    const queues = new FakeQueues();
    queues.publish(paneView(Array.from({ length: 30 }, (_, i) => row(`q${i}`, { ready: 30 - i }))));
    const { screen } = setup(queues, { columns: 80, rows: 24 });
    await vi.waitFor(() => expect(screen()).toContain('q0'));
    const lines = screen().split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    for (const title of ['Workers', 'Tasks', 'Queues', 'q quit']) expect(screen()).toContain(title);
  });
});
