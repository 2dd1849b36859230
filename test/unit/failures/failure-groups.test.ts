import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../../src/events/cluster-state.js';
import { exceptionTypeOf, groupFailures } from '../../../src/failures/failure-groups.js';
import { RetryLinks } from '../../../src/failures/retry-links.js';
import type { EventEnvelope } from '../../../src/protocol/event-message.js';

const T0 = 1_800_000_000;
function ev(type: string, uuid: string, at: number, hostname: string, extra: Record<string, unknown> = {}): EventEnvelope {
  return { type, uuid, hostname, timestamp: T0 + at, utcoffset: 0, pid: 1, clock: 1, local_received: T0 + at, ...extra } as EventEnvelope;
}

function failed(state: ClusterState, uuid: string, at: number, name: string, exception: string, worker = 'w1@h', traceback?: string): void {
  state.apply(ev('task-received', uuid, at, worker, { name, args: '(1,)', kwargs: '{}' }), (T0 + at) * 1000);
  state.apply(ev('task-failed', uuid, at + 1, worker, { exception, ...(traceback ? { traceback } : {}) }), (T0 + at + 1) * 1000);
}

describe('failure groups', () => {
  it('groups failed tasks by exception type and task name, with counts, first/last seen, workers and an example', () => {
    const state = new ClusterState({});
    failed(state, 'a', 0, 'tasks.add', "ValueError('x')", 'w1@h', 'Traceback…\nValueError: x');
    failed(state, 'b', 10, 'tasks.add', "ValueError('y')", 'w2@h');
    failed(state, 'c', 20, 'tasks.add', "KeyError('k')");
    failed(state, 'd', 5, 'tasks.mul', "ValueError('z')");
    failed(state, 'e', 30, 'tasks.add', "ValueError('w')", 'w1@h');
    state.apply(ev('task-succeeded', 'ok', 40, 'w1@h', { result: '3' }), (T0 + 40) * 1000);
    const groups = groupFailures(state.tasks.values());
    expect(groups.map((g) => [g.exceptionType, g.name, g.count])).toEqual([
      ['ValueError', 'tasks.add', 3],
      ['KeyError', 'tasks.add', 1],
      ['ValueError', 'tasks.mul', 1],
    ]);
    const add = groups[0]!;
    expect(add.firstSeen).toBe(T0 + 1);
    expect(add.lastSeen).toBe(T0 + 31);
    expect(add.workers).toEqual(['w1@h', 'w2@h']);
    expect(add.tasks.map((t) => t.uuid)).toEqual(['e', 'b', 'a']);
    // The newest failure is the example; the traceback is the newest one known.
    expect(add.example).toEqual({ uuid: 'e', exception: "ValueError('w')", traceback: 'Traceback…\nValueError: x' });
  });

  it('names the exception type of reprs as Celery sends them', () => {
    expect(exceptionTypeOf("ValueError('boom')")).toBe('ValueError');
    expect(exceptionTypeOf('TimeLimitExceeded(5.0,)')).toBe('TimeLimitExceeded');
    expect(exceptionTypeOf('celery.exceptions.Reject: no')).toBe('celery.exceptions.Reject');
    expect(exceptionTypeOf(undefined)).toBe('(unknown)');
    expect(exceptionTypeOf('  ')).toBe('(unknown)');
  });
});

describe('retry links', () => {
  it('pairs a retry with its original, from the outcome and from audit or journal action records', () => {
    const links = new RetryLinks();
    links.add('aaaaaaaa-1111', 'bbbbbbbb-2222');
    links.addActions([
      {
        who: 'ann@h',
        what: 'task.retry',
        when: 1,
        target: 'cccccccc-3333',
        args: { newId: 'dddddddd-4444' },
        outcome: { ok: true, result: { id: 'dddddddd-4444' } },
      },
      {
        who: 'ann@h',
        what: 'task.retry',
        when: 2,
        target: 'eeeeeeee-5555',
        args: { newId: 'ffffffff-6666' },
        outcome: { ok: false, error: 'refused' },
      },
      { who: 'ann@h', what: 'retry', when: 3, target: 'bbbbbbbb-2222', replies: { ok: true, result: { id: '99999999-7777' } } },
    ]);
    expect(links.describe('bbbbbbbb-2222')).toBe('retry of aaaaaaaa · retried as 99999999');
    expect(links.describe('dddddddd-4444')).toBe('retry of cccccccc');
    expect(links.describe('cccccccc-3333')).toBe('retried as dddddddd');
    expect(links.describe('eeeeeeee-5555')).toBe('');
  });
});
