import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClusterStore } from '../../../src/events/cluster-store.js';
import { RetryLinks } from '../../../src/failures/retry-links.js';
import type { RangeSource } from '../../../src/history/range-loader.js';
import { describeTimeRange, type TimeWindow } from '../../../src/history/time-range.js';
import type { EventEnvelope } from '../../../src/protocol/event-message.js';
import { App } from '../../../src/tui/app.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { scriptedEvent } from '../../fakes/event-script.js';
import { KEYS, renderTui, stripAnsi, type RenderedTui } from '../../fakes/render-tui.js';

const BROKER = 'amqp://guest:**@127.0.0.1:5672/h1';
const MIN = 60_000;
let view: RenderedTui | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
});

/** A task received `atMs` and finished (failed when `fails`) half a second later, named after its uuid. */
function task(uuid: string, atMs: number, fails = false): EventEnvelope[] {
  return [
    scriptedEvent('task-received', 'w1@vm', { uuid, name: `tasks.${uuid}`, args: '()', kwargs: '{}' }, atMs),
    fails
      ? scriptedEvent('task-failed', 'w1@vm', { uuid, exception: "ValueError('boom')", traceback: 'Traceback\nValueError: boom' }, atMs + 50)
      : scriptedEvent('task-succeeded', 'w1@vm', { uuid, runtime: 0.01 }, atMs + 50),
  ];
}

/** A store holding five tasks 5 s after now-50m, -40m, -30m, -20m, -10m (the two older ones failed), as a history. */
function setup(options: { rangeSource?: RangeSource; links?: RetryLinks } = {}) {
  const clock = new ManualClock();
  const now = clock.now();
  const store = new ClusterStore({ clock, broker: BROKER });
  store.setConnection({ phase: 'connected', broker: BROKER, reconnects: 0 });
  store.loadHistory([50, 40, 30, 20, 10].flatMap((m) => task(`m${m}`, now - m * MIN + 5000, m >= 40)));
  const history = { info: { since: now - 50 * MIN, tasks: 5, events: 10 }, startedMs: now };
  view = renderTui(
    <App store={store} clock={clock} isColor={false} history={history} rangeSource={options.rangeSource} retryLinks={options.links} />,
    { columns: 140, rows: 30 },
  );
  clock.advance(100);
  const screen = () => stripAnsi(view!.lastFrame());
  // The tasks pane's rows (the rates panel names the tasks too).
  const shown = () => [...screen().matchAll(/(?:SUCCESS|FAILURE) +tasks\.(\w+)/g)].map((m) => m[1]);
  return { clock, store, now, screen, shown, view };
}

const range = (since: number, until: number, now: number) => describeTimeRange({ since, until }, now);

describe('time ranges in the live view', () => {
  it('t sets a range: only its tasks, the range on the status line and in the title; live events do not move it', async () => {
    const { clock, store, now, screen, shown, view } = setup();
    await vi.waitFor(() => expect(shown()).toEqual(['m10', 'm20', 'm30', 'm40', 'm50']));
    view.press('t');
    await vi.waitFor(() => expect(screen()).toContain('time range (14:00, 14:00..14:30, -1h, -30m..-10m; empty = live):'));
    view.press('-35m..-15m');
    view.press(KEYS.enter);
    const label = range(now - 35 * MIN, now - 15 * MIN, now);
    await vi.waitFor(() => expect(screen()).toContain(`${label} (paused: [ ] step, t sets, t then Enter for live)`));
    expect(shown()).toEqual(['m20', 'm30']);
    expect(screen()).toContain(`Tasks  2 in ${label}`);
    // Live events go into the state, and the view stays where it is.
    store.dispatch(task('new', clock.now()));
    clock.advance(1000);
    await vi.waitFor(() => expect(store.state.tasks.has('new')).toBe(true));
    expect(screen()).not.toContain('tasks.new');
    expect(shown()).toEqual(['m20', 'm30']);
  });

  it('bad input says what was wrong and what works, in one line, and changes nothing', async () => {
    const { screen, shown, view } = setup();
    view.press('[');
    await vi.waitFor(() => expect(shown()).toEqual(['m10']));
    const before = screen().split('\n').slice(0, -3).join('\n');
    view.press('t');
    view.press('14:61');
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toContain("time range: '14:61' is not a time: try 14:00, 14:00..14:30, -1h"));
    expect(screen().split('\n').slice(0, -3).join('\n')).toBe(before);
    // The next key shows the text again, to be mended; Esc leaves the range as it was.
    view.press(KEYS.backspace);
    await vi.waitFor(() => expect(screen()).toContain('empty = live): 14:6'));
    view.press(KEYS.escape);
    await vi.waitFor(() => expect(screen()).toContain('(paused: [ ] step'));
    expect(shown()).toEqual(['m10']);
  });

  it('[ from live shows the last 15 minutes, [ steps back by the length, ] forward, past now is live; t Enter is live', async () => {
    const { clock, now, screen, shown, view } = setup();
    view.press(']');
    await vi.waitFor(() => expect(screen()).toContain('following live already: [ shows the 15 minutes before now'));
    view.press('[');
    await vi.waitFor(() => expect(shown()).toEqual(['m10']));
    expect(screen()).toContain(range(now - 15 * MIN + 100, now + 100, now));
    view.press('[');
    await vi.waitFor(() => expect(shown()).toEqual(['m20', 'm30']));
    view.press('[[');
    await vi.waitFor(() => expect(shown()).toEqual(['m50']));
    view.press(']');
    await vi.waitFor(() => expect(shown()).toEqual(['m40']));
    view.press(']]]');
    await vi.waitFor(() => expect(screen()).toContain('history since'));
    expect(shown()).toEqual(['m10', 'm20', 'm30', 'm40', 'm50']);
    view.press('t');
    view.press('-25m');
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(shown()).toEqual(['m10', 'm20']));
    clock.advance(10);
    view.press('t');
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(screen()).toContain('history since'));
    expect(shown()).toHaveLength(5);
  });

  it('F groups the failures of the range only', async () => {
    const { screen, view } = setup();
    view.press('t');
    view.press('-45m..-35m');
    view.press(KEYS.enter);
    view.press('F');
    await vi.waitFor(() => expect(screen()).toMatch(/Failures in \S+ {2}1 group, 1 failed tasks/));
    view.press(KEYS.escape);
    await vi.waitFor(() => expect(screen()).toContain('Tasks  1 in'));
    view.press('t');
    view.press(KEYS.enter);
    view.press('F');
    await vi.waitFor(() => expect(screen()).toMatch(/Failures {2}2 groups, 2 failed tasks/));
  });

  it('a range older than the view holds is read from the journal, in the background', async () => {
    const asked: TimeWindow[] = [];
    const { now, screen, shown, view } = setup({
      rangeSource: {
        timeSlices: (w) => [w],
        events: (w) => (asked.push(w), task('old', now - 120 * MIN)),
      },
    });
    view.press('t');
    view.press('-3h..-1h');
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(shown()).toEqual(['old']));
    // The clock moved 100 ms since the history was loaded.
    expect(asked).toEqual([{ since: now + 100 - 180 * MIN, until: now + 100 - 60 * MIN }]);
    expect(screen()).toContain('from the journal: 2 events');
    expect(screen()).toContain('Tasks  1 in');
    // Within what the view holds: no journal read.
    view.press('t');
    view.press('-45m');
    view.press(KEYS.enter);
    await vi.waitFor(() => expect(shown()).toEqual(['m10', 'm20', 'm30', 'm40']));
    expect(asked).toHaveLength(1);
  });

  it('the task rows name the retry links: retried as on the original, retry of on the retry', async () => {
    const links = new RetryLinks();
    links.add('m40', 'm20');
    const { screen } = setup({ links });
    await vi.waitFor(() => expect(screen()).toMatch(/tasks\.m40\s+m40\s+\[retried as m20\] \(\)/));
    expect(screen()).toMatch(/tasks\.m20\s+m20\s+\[retry of m40\] \(\)/);
  });
});
