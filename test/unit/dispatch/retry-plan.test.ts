import { describe, expect, it } from 'vitest';
import { planGroupRetry, planRetry } from '../../../src/dispatch/retry-plan.js';
import { pyRepr, pyTupleRepr, truncateRepr } from '../../../src/protocol/python-repr.js';

const ids = () => {
  let n = 0;
  return () => `new-${++n}`;
};

describe('planRetry', () => {
  it('retries from complete reprs with the exact arguments, to the queue the task was sent to', () => {
    const decision = planRetry(
      { taskId: 'old', name: 'tasks.add', argsrepr: "(2, 'x', [1.5])", kwargsrepr: "{'flag': True}", queue: 'q1' },
      { newId: ids() },
    );
    expect(decision).toEqual({
      ok: true,
      plan: {
        kind: 'repr',
        retryOf: 'old',
        newId: 'new-1',
        name: 'tasks.add',
        args: [2, 'x', [1.5]],
        kwargs: { flag: true },
        queue: 'q1',
        headers: { camq_retry_of: 'old' },
      },
    });
  });

  it('sends to the default queue when the events do not say, and to the exchange task-sent named', () => {
    expect(planRetry({ taskId: 'a', name: 't', argsrepr: '()', kwargsrepr: '{}' }, { defaultQueue: 'work' })).toMatchObject({
      ok: true,
      plan: { queue: 'work' },
    });
    expect(planRetry({ taskId: 'a', name: 't', argsrepr: '()', kwargsrepr: '{}', exchange: 'tasks', routingKey: 'k', queue: 'q' })).toMatchObject({
      ok: true,
      plan: { exchange: 'tasks', routingKey: 'k', queue: 'q' },
    });
  });

  it('refuses a truncated argsrepr with its code and reason', () => {
    const argsrepr = truncateRepr(pyTupleRepr(['y'.repeat(3000)]));
    const decision = planRetry({ taskId: 'old', name: 'tasks.echo', argsrepr, kwargsrepr: '{}' });
    expect(decision).toMatchObject({ ok: false, refusal: { taskId: 'old', code: 'retry.args-truncated' } });
    if (!decision.ok)
      expect(decision.refusal.reason).toMatch(/^cannot retry tasks\.echo\[old\] exactly: its args the repr was cut at 1024 characters/);
  });

  it('refuses object reprs, lossy literals and unknown arguments, each with its code', () => {
    expect(planRetry({ taskId: 'a', name: 't', argsrepr: '(<Foo at 0x1>,)', kwargsrepr: '{}' })).toMatchObject({
      ok: false,
      refusal: { code: 'retry.args-not-literal' },
    });
    expect(planRetry({ taskId: 'a', name: 't', argsrepr: '()', kwargsrepr: "{'s': {1, 2}}" })).toMatchObject({
      ok: false,
      refusal: { code: 'retry.args-lossy' },
    });
    expect(planRetry({ taskId: 'a', name: 't' })).toMatchObject({ ok: false, refusal: { code: 'retry.args-unknown' } });
    expect(planRetry({ taskId: 'a', name: 't', argsrepr: null, kwargsrepr: '{}' })).toMatchObject({
      ok: false,
      refusal: { code: 'retry.args-unknown' },
    });
  });
});

describe('planGroupRetry', () => {
  it('is a dry run: the plans and the refusals, nothing sent', () => {
    const group = planGroupRetry(
      [
        { taskId: 'a', name: 't', argsrepr: pyTupleRepr([1]), kwargsrepr: pyRepr({}) },
        { taskId: 'b', name: 't', argsrepr: truncateRepr(pyTupleRepr(['z'.repeat(2000)])), kwargsrepr: '{}' },
        { taskId: 'c', name: 't', argsrepr: pyTupleRepr([3]), kwargsrepr: pyRepr({ k: 'v' }) },
      ],
      { newId: ids() },
    );
    expect(group.plans.map((p) => [p.retryOf, p.newId])).toEqual([
      ['a', 'new-1'],
      ['c', 'new-3'],
    ]);
    expect(group.refused.map((r) => [r.taskId, r.code])).toEqual([['b', 'retry.args-truncated']]);
  });
});
