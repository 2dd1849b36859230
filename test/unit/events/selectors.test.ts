import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../../src/events/cluster-state.js';
import {
  isTaskInWindow,
  selectRateRows,
  selectSummary,
  selectTaskTimeline,
  selectTasks,
  selectWindowRateRows,
  selectWorkerRows,
} from '../../../src/events/selectors.js';
import { taskEvent, taskReceived, workerEvent } from '../../fakes/event-script.js';

const T0 = Date.UTC(2026, 10, 21, 19, 0, 0);

function cluster(): ClusterState {
  const s = new ClusterState();
  s.apply(workerEvent('online', 'w2@vm', T0), T0);
  s.apply(workerEvent('online', 'w1@vm', T0, { active: 2, processed: 10 }), T0);
  s.apply(taskReceived('a1', 'w1@vm', T0, 'tasks.add', '(1, 2)'), T0);
  s.apply(taskReceived('f1', 'w2@vm', T0 + 1, 'tasks.fail', "('boom',)"), T0 + 1);
  s.apply(taskEvent('failed', 'f1', 'w2@vm', T0 + 2, { exception: "RuntimeError('boom')" }), T0 + 2);
  s.apply(taskReceived('a2', 'w1@vm', T0 + 3, 'tasks.add', '(3, 4)'), T0 + 3);
  s.apply(taskEvent('succeeded', 'a2', 'w1@vm', T0 + 4, { result: '7', runtime: 0.5 }), T0 + 4);
  return s;
}

describe('selectors', () => {
  it('worker rows by hostname, with liveness and heartbeat age from the injected now', () => {
    const s = cluster();
    const rows = selectWorkerRows(s, T0 + 3000);
    expect(rows.map((r) => r.hostname)).toEqual(['w1@vm', 'w2@vm']);
    expect(rows[0]).toMatchObject({ isOnline: true, active: 2, processed: 10, software: 'py-celery 5.2.6 (Linux)', drift: undefined });
    expect(rows[0]!.seenAge).toBeCloseTo(2.996);
    expect(selectWorkerRows(s, T0 + 4100).every((r) => !r.isOnline)).toBe(true);
  });

  it('tasks newest first, filtered by state, name, worker and text', () => {
    const s = cluster();
    expect(selectTasks(s).map((t) => t.uuid)).toEqual(['a2', 'f1', 'a1']);
    expect(selectTasks(s, { state: 'FAILURE' }).map((t) => t.uuid)).toEqual(['f1']);
    expect(selectTasks(s, { name: 'tasks.add' }).map((t) => t.uuid)).toEqual(['a2', 'a1']);
    expect(selectTasks(s, { worker: 'w2@vm' }).map((t) => t.uuid)).toEqual(['f1']);
    expect(selectTasks(s, { query: 'BOOM' }).map((t) => t.uuid)).toEqual(['f1']);
    expect(selectTasks(s, { query: '(3, 4' }).map((t) => t.uuid)).toEqual(['a2']);
    expect(selectTasks(s, { name: 'tasks.add', state: 'SUCCESS' }).map((t) => t.uuid)).toEqual(['a2']);
  });

  it('rate rows busiest first with series and mean runtime', () => {
    const s = cluster();
    const rows = selectRateRows(s, T0 + 1000, 5, 1);
    expect(rows.map((r) => r.name)).toEqual(['tasks.add', 'tasks.fail']);
    expect(rows[0]).toMatchObject({ perSecond: 1, meanRuntime: 0.5 });
    expect(rows[0]!.series).toEqual([0, 0, 0, 0, 1]);
  });

  it('summary and a task timeline', () => {
    const s = cluster();
    expect(selectSummary(s, T0 + 1000)).toMatchObject({ workersOnline: 2, workersTotal: 2, tasksKept: 3, eventCount: 7 });
    expect(selectTaskTimeline(s.tasks.get('a2')!).map((p) => p.label)).toEqual(['received', 'succeeded']);
  });
});

describe('time windows', () => {
  it('a task is in a window when its events overlap it; the rates of a window count what finished within it', () => {
    const state = new ClusterState();
    const at = (s: number) => T0 + s * 1000;
    state.apply(taskReceived('a', 'w1@vm', at(0), 'tasks.add', '()'), at(0));
    state.apply(taskEvent('succeeded', 'a', 'w1@vm', at(10), { runtime: 2 }), at(10));
    state.apply(taskReceived('b', 'w1@vm', at(20), 'tasks.add', '()'), at(20));
    state.apply(taskEvent('failed', 'b', 'w1@vm', at(50), { exception: 'E()' }), at(50));
    const a = state.tasks.get('a')!;
    const b = state.tasks.get('b')!;
    expect([a.firstSeenAt, a.updatedAt]).toEqual([at(0), at(10)]);
    expect(isTaskInWindow(a, { since: at(5), until: at(15) })).toBe(true);
    expect(isTaskInWindow(a, { since: at(10), until: at(15) })).toBe(true);
    expect(isTaskInWindow(a, { since: at(11), until: at(15) })).toBe(false);
    expect(isTaskInWindow(b, { since: at(0), until: at(20) })).toBe(false);
    expect(isTaskInWindow(b, { since: at(30), until: at(40) })).toBe(true);

    const rows = selectWindowRateRows(state.tasks.values(), { since: at(0), until: at(60) }, 6);
    expect(rows).toEqual([
      {
        name: 'tasks.add',
        perSecond: 2 / 60,
        series: [0, 1, 0, 0, 0, 1],
        counts: expect.objectContaining({ succeeded: 1, failed: 1 }),
        meanRuntime: 2,
      },
    ]);
    expect(selectWindowRateRows(state.tasks.values(), { since: at(20), until: at(40) })).toEqual([]);
  });
});
