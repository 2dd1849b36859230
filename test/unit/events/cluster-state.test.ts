import { describe, expect, it } from 'vitest';
import { ClusterState, clusterReducer, isWorkerAlive } from '../../../src/events/cluster-state.js';
import { taskEvent, taskReceived, workerEvent } from '../../fakes/event-script.js';

const T0 = Date.UTC(2026, 10, 21, 19, 0, 0);
const W = 'w1@vm';
const ID = 'e9427503-b559-46a6-adbe-904d7b285edb';

function lifecycle(state: ClusterState, uuid: string, at: number, worker = W, name = 'tasks.add'): void {
  state.apply(taskReceived(uuid, worker, at, name), at);
  state.apply(taskEvent('started', uuid, worker, at + 1), at + 1);
  state.apply(taskEvent('succeeded', uuid, worker, at + 2, { result: '4', runtime: 0.0003 }), at + 2);
}

describe('ClusterState: tasks', () => {
  it('follows a task through received, started, succeeded with repr fields kept as display strings', () => {
    const state = new ClusterState();
    lifecycle(state, ID, T0);
    const task = state.tasks.get(ID)!;
    expect(task).toMatchObject({ name: 'tasks.add', state: 'SUCCESS', args: '(2, 2)', kwargs: '{}', result: '4', runtime: 0.0003, worker: W });
    expect(task.received).toBe(T0 / 1000);
    expect(task.started).toBe((T0 + 1) / 1000);
    expect(task.succeeded).toBe((T0 + 2) / 1000);
    expect(state.taskCount).toBe(1);
    expect(state.eventCount).toBe(3);
  });

  it('a late task-received never undoes task-succeeded, but still contributes name and args (merge rule)', () => {
    const state = new ClusterState();
    state.apply(taskEvent('succeeded', ID, W, T0 + 5, { result: '4', runtime: 0.1 }), T0 + 5);
    state.apply(taskEvent('started', ID, W, T0 + 6), T0 + 6);
    state.apply(taskReceived(ID, W, T0 + 7), T0 + 7);
    const task = state.tasks.get(ID)!;
    expect(task.state).toBe('SUCCESS');
    expect(task.name).toBe('tasks.add');
    expect(task.args).toBe('(2, 2)');
    expect(task.timestamp).toBe((T0 + 5) / 1000);
    expect(task.received).toBe((T0 + 7) / 1000);
  });

  it('FAILURE keeps exception and traceback; a failure after success does not change SUCCESS back', () => {
    const state = new ClusterState();
    state.apply(taskReceived(ID, W, T0), T0);
    state.apply(taskEvent('failed', ID, W, T0 + 1, { exception: "TypeError('x')", traceback: 'Traceback ...\nTypeError: x\n' }), T0 + 1);
    expect(state.tasks.get(ID)).toMatchObject({ state: 'FAILURE', exception: "TypeError('x')", traceback: 'Traceback ...\nTypeError: x\n' });
    state.apply(taskEvent('succeeded', 'other', W, T0 + 2, { result: 'None' }), T0 + 2);
    state.apply(taskEvent('failed', 'other', W, T0 + 3, { exception: 'E()' }), T0 + 3);
    expect(state.tasks.get('other')!.state).toBe('SUCCESS');
  });

  it('RETRY always applies, in both directions, as in Celery', () => {
    const state = new ClusterState();
    state.apply(taskReceived(ID, W, T0), T0);
    state.apply(taskEvent('started', ID, W, T0 + 1), T0 + 1);
    state.apply(taskEvent('retried', ID, W, T0 + 2, { exception: "ValueError('boom 1')" }), T0 + 2);
    expect(state.tasks.get(ID)!.state).toBe('RETRY');
    state.apply(taskReceived(ID, W, T0 + 3), T0 + 3);
    expect(state.tasks.get(ID)!.state).toBe('RECEIVED');
  });

  it('REVOKED and REJECTED, and custom events become their upper-cased subject', () => {
    const state = new ClusterState();
    state.apply(taskReceived('a', W, T0), T0);
    state.apply(taskEvent('revoked', 'a', W, T0 + 1, { terminated: true, signum: 9, expired: false }), T0 + 1);
    expect(state.tasks.get('a')).toMatchObject({ state: 'REVOKED', terminated: true, signum: 9, expired: false });
    state.apply(taskEvent('rejected', 'b', W, T0), T0);
    expect(state.tasks.get('b')).toMatchObject({ state: 'REJECTED' });
    state.apply(taskEvent('cancelled', 'c', W, T0), T0);
    expect(state.tasks.get('c')!.state).toBe('CANCELLED');
  });

  it('task-sent records the client, not a worker', () => {
    const state = new ClusterState();
    state.apply(taskEvent('sent', ID, 'gen8081@vm', T0, { name: 'tasks.add', args: '(2, 2)', kwargs: '{}', routing_key: 'celery' }), T0);
    expect(state.tasks.get(ID)).toMatchObject({ state: 'PENDING', client: 'gen8081@vm', worker: undefined, routingKey: 'celery' });
    expect(state.workers.size).toBe(0);
  });

  it('repr fields from non-Python senders: JSON values become Python reprs', () => {
    const state = new ClusterState();
    state.apply(taskEvent('received', ID, W, T0, { name: 'x', args: [1, 'a'], kwargs: { k: true } }), T0);
    state.apply(taskEvent('succeeded', ID, W, T0 + 1, { result: { ok: null } }), T0 + 1);
    expect(state.tasks.get(ID)).toMatchObject({ args: "[1, 'a']", kwargs: "{'k': True}", result: "{'ok': None}" });
  });

  it('ignores malformed events instead of throwing', () => {
    const state = new ClusterState();
    const bad = [{}, { type: 5 }, { type: 'task-succeeded' }, { type: 'task-started', uuid: 7 }, { type: 'worker-heartbeat' }, { type: 'nodash' }];
    for (const e of bad) expect(() => state.apply(e as never, T0)).not.toThrow();
    expect(state.tasks.size).toBe(0);
    expect(state.workers.size).toBe(0);
  });

  it('keeps at most maxTasks, dropping the least recently updated', () => {
    const state = new ClusterState({ maxTasks: 3 });
    for (const id of ['a', 'b', 'c']) state.apply(taskReceived(id, W, T0), T0);
    state.apply(taskEvent('started', 'a', W, T0 + 1), T0 + 1); // a is now the most recently used
    state.apply(taskReceived('d', W, T0 + 2), T0 + 2);
    expect([...state.tasks.keys()].sort()).toEqual(['a', 'c', 'd']);
    expect(state.evictedTasks).toBe(1);
    for (let i = 0; i < 1000; i++) state.apply(taskReceived(`t${i}`, W, T0 + 3), T0 + 3);
    expect(state.tasks.size).toBe(3);
  });

  it('counts per task name and per worker, and rates of finished tasks', () => {
    const state = new ClusterState();
    for (let i = 0; i < 4; i++) lifecycle(state, `ok${i}`, T0 + i * 1000);
    state.apply(taskReceived('f', 'w2@vm', T0, 'tasks.fail'), T0);
    state.apply(taskEvent('failed', 'f', 'w2@vm', T0 + 10, { exception: "RuntimeError('kaboom')" }), T0 + 10);
    const add = state.taskTypes.get('tasks.add')!;
    expect(add.counts).toMatchObject({ received: 4, started: 4, succeeded: 4, failed: 0 });
    expect(add.runtimeCount).toBe(4);
    expect(add.done.values(T0 + 4000, 4)).toEqual([1, 1, 1, 1]);
    expect(state.taskTypes.get('tasks.fail')!.counts.failed).toBe(1);
    expect(state.workers.get(W)!.counts.succeeded).toBe(4);
    expect(state.workers.get('w2@vm')!.counts.failed).toBe(1);
    expect(state.done.values(T0 + 4000, 4)).toEqual([2, 1, 1, 1]);
  });

  it('clusterReducer applies and returns the state', () => {
    const state = new ClusterState();
    expect(clusterReducer(state, taskReceived(ID, W, T0), T0)).toBe(state);
    expect(state.version).toBe(1);
  });
});

describe('ClusterState: workers and liveness', () => {
  it('worker-online creates the worker with its fields', () => {
    const state = new ClusterState();
    state.apply(workerEvent('online', W, T0, { active: 1, processed: 7 }), T0);
    expect(state.workers.get(W)).toMatchObject({
      freq: 2,
      active: 1,
      processed: 7,
      loadavg: [0.17, 0.36, 0.19],
      swIdent: 'py-celery',
      swVer: '5.2.6',
      swSys: 'Linux',
    });
  });

  it('is alive while now < last local receipt + freq × 2, and offline after', () => {
    const state = new ClusterState();
    state.apply(workerEvent('online', W, T0), T0);
    const w = state.workers.get(W)!;
    expect(isWorkerAlive(w, T0 + 3999)).toBe(true);
    expect(isWorkerAlive(w, T0 + 4000)).toBe(false);
    state.apply(workerEvent('heartbeat', W, T0 + 5000), T0 + 5000);
    expect(isWorkerAlive(w, T0 + 8000)).toBe(true);
  });

  it('judges liveness by local receipt time, whatever the sender clock says (drift)', () => {
    const state = new ClusterState();
    // The worker's clock is an hour behind; its heartbeat still arrived just now.
    state.apply(workerEvent('heartbeat', W, T0, {}, { timestamp: T0 / 1000 - 3600 }), T0);
    const w = state.workers.get(W)!;
    expect(isWorkerAlive(w, T0 + 1000)).toBe(true);
    expect(w.drift).toBeCloseTo(3600);
    // And one an hour ahead does not keep it alive past the window.
    state.apply(workerEvent('heartbeat', 'w2@vm', T0, {}, { timestamp: T0 / 1000 + 3600 }), T0);
    expect(isWorkerAlive(state.workers.get('w2@vm')!, T0 + 4000)).toBe(false);
  });

  it('task events count as heartbeats', () => {
    const state = new ClusterState();
    state.apply(workerEvent('online', W, T0), T0);
    state.apply(taskReceived(ID, W, T0 + 3500), T0 + 3500);
    expect(isWorkerAlive(state.workers.get(W)!, T0 + 7000)).toBe(true);
  });

  it('a control-triggered heartbeat (freq 5, no counters) widens the window and keeps the counters', () => {
    const state = new ClusterState();
    state.apply(workerEvent('online', W, T0, { processed: 8, active: 1 }), T0);
    const e = workerEvent('heartbeat', W, T0 + 100);
    for (const k of ['active', 'processed', 'loadavg']) delete (e as unknown as Record<string, unknown>)[k];
    (e as unknown as Record<string, unknown>)['freq'] = 5;
    state.apply(e, T0 + 100);
    const w = state.workers.get(W)!;
    expect(w).toMatchObject({ freq: 5, processed: 8, active: 1 });
    expect(isWorkerAlive(w, T0 + 9000)).toBe(true);
  });

  it('worker-offline makes it offline at once (still showing when it was last seen); a new heartbeat brings it back', () => {
    const state = new ClusterState();
    state.apply(workerEvent('online', W, T0), T0);
    state.apply(workerEvent('offline', W, T0 + 10), T0 + 10);
    const w = state.workers.get(W)!;
    expect(isWorkerAlive(w, T0 + 20)).toBe(false);
    expect(w.hasShutdown).toBe(true);
    expect(w.lastSeen).toBe((T0 + 10) / 1000);
    state.apply(workerEvent('online', W, T0 + 30), T0 + 30);
    expect(isWorkerAlive(w, T0 + 40)).toBe(true);
    expect(w.hasShutdown).toBe(false);
  });

  it('after worker-offline, the events of the tasks it finishes (a warm shutdown) keep it offline but count as seen', () => {
    const state = new ClusterState();
    state.apply(workerEvent('online', W, T0), T0);
    state.apply(taskReceived(ID, W, T0 + 5), T0 + 5);
    state.apply(workerEvent('offline', W, T0 + 10), T0 + 10);
    state.apply(taskEvent('succeeded', ID, W, T0 + 2000, { result: '4', runtime: 2 }), T0 + 2000);
    const w = state.workers.get(W)!;
    expect(isWorkerAlive(w, T0 + 2010)).toBe(false);
    expect(w.lastSeen).toBe((T0 + 2000) / 1000);
    expect(state.tasks.get(ID)?.state).toBe('SUCCESS');
    state.apply(workerEvent('heartbeat', W, T0 + 3000), T0 + 3000);
    expect(isWorkerAlive(w, T0 + 3010)).toBe(true);
  });

  it('an offline event for a worker never seen creates nothing', () => {
    const state = new ClusterState();
    state.apply(workerEvent('offline', 'ghost@vm', T0), T0);
    expect(state.workers.size).toBe(0);
  });

  it('a task event from an unknown worker creates it with the default 60 s freq', () => {
    const state = new ClusterState();
    state.apply(taskReceived(ID, 'new@vm', T0), T0);
    const w = state.workers.get('new@vm')!;
    expect(w.freq).toBe(60);
    expect(isWorkerAlive(w, T0 + 119_000)).toBe(true);
    expect(isWorkerAlive(w, T0 + 120_000)).toBe(false);
  });
});
