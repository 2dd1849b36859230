import { afterEach, describe, expect, it, vi } from 'vitest';
import { BeatBoard } from '../../../src/beat/beat-board.js';
import { ClusterStore } from '../../../src/events/cluster-store.js';
import type { EventEnvelope } from '../../../src/protocol/event-message.js';
import { App } from '../../../src/tui/app.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { renderTui, stripAnsi, type RenderedTui } from '../../fakes/render-tui.js';

const BROKER = 'amqp://guest:**@127.0.0.1:5672/camq-beat';
let view: RenderedTui | undefined;
afterEach(() => {
  view?.unmount();
  view = undefined;
});

/** A beat-schedule event as camq beat sends it (src/beat/beat.ts), received now. */
function announcement(nowMs: number, extra: Record<string, unknown> = {}): EventEnvelope {
  const now = nowMs / 1000;
  return {
    type: 'beat-schedule',
    hostname: 'beat@vm',
    timestamp: now,
    utcoffset: 0,
    pid: 42,
    clock: 3,
    freq: 5,
    lock: 'camq.beat.lock',
    timezone: 'Europe/Berlin',
    entries: [
      {
        name: 'add-every-5s',
        task: 'tasks.add',
        kind: 'interval',
        schedule: '<freq: 5.00 seconds>',
        last_run_at: now - 2,
        next_run_at: now + 3,
        total_run_count: 7,
      },
      {
        name: 'nightly',
        task: 'tasks.report',
        kind: 'crontab',
        schedule: '<crontab: 0 4 * * * (m/h/d/dM/MY)>',
        last_run_at: null,
        next_run_at: now + 3600,
        total_run_count: 0,
      },
    ],
    ...extra,
  } as EventEnvelope;
}

describe('the beat screen', () => {
  it('B opens it: each entry with its schedule, next and last run; a silent beat shows as gone; any key comes back', async () => {
    const clock = new ManualClock();
    const store = new ClusterStore({ clock, broker: BROKER });
    store.setConnection({ phase: 'connected', broker: BROKER, reconnects: 0 });
    const beats = new BeatBoard({ clock });
    view = renderTui(<App store={store} clock={clock} isColor={false} beats={beats} />, { columns: 120, rows: 20 });
    const screen = () => stripAnsi(view!.lastFrame());
    view.press('B');
    await vi.waitFor(() => expect(screen()).toContain('No beat has announced a schedule'));
    beats.dispatch([announcement(clock.now())]);
    clock.advance(1000);
    await vi.waitFor(() => expect(screen()).toContain('beat@vm'));
    const lines = screen().split('\n');
    expect(lines.find((l) => l.includes('beat@vm'))).toContain('running · lock camq.beat.lock · zone Europe/Berlin · 2 entries');
    const every = lines.find((l) => l.includes('add-every-5s'))!;
    expect(every).toMatch(/add-every-5s\s+tasks\.add\s+<freq: 5\.00 seconds>\s+in 2s\s+3s ago\s+7/);
    expect(lines.find((l) => l.includes('nightly'))).toMatch(/<crontab: 0 4 \* \* \* \(m\/h\/d\/dM\/MY\)>\s+in 59m59s\s+-\s+0/);
    clock.advance(20_000);
    await vi.waitFor(() => expect(screen()).toContain('gone (last heard 21s ago)'));
    view.press('x');
    await vi.waitFor(() => expect(screen()).not.toContain('beat@vm'));
  });

  it('ignores other events and malformed announcements; beat-offline marks it gone', () => {
    const clock = new ManualClock();
    const beats = new BeatBoard({ clock });
    beats.dispatch([
      { type: 'worker-heartbeat', hostname: 'w', timestamp: 1, utcoffset: 0, pid: 1, clock: 1 },
      announcement(clock.now(), { entries: 'x' }),
    ]);
    expect(beats.getSnapshot().beats).toEqual([]);
    beats.dispatch([announcement(clock.now())]);
    expect(beats.view().map((b) => [b.hostname, b.isOnline])).toEqual([['beat@vm', true]]);
    beats.dispatch([{ type: 'beat-offline', hostname: 'beat@vm', timestamp: 1, utcoffset: 0, pid: 1, clock: 1 }]);
    expect(beats.view().map((b) => [b.hostname, b.isOnline])).toEqual([['beat@vm', false]]);
  });
});
