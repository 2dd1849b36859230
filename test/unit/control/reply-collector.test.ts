import { describe, expect, it } from 'vitest';
import { ReplyCollector, effectiveLimit } from '../../../src/control/reply-collector.js';

const reply = (nodename: string, value: unknown, ticket: string | undefined = 't1') => ({ nodename, value, ticket, clock: 3 });

describe('effectiveLimit', () => {
  it('defaults to the number of destinations, as kombu does', () => {
    expect(effectiveLimit(undefined, ['a@h', 'b@h'])).toBe(2);
    expect(effectiveLimit(undefined, [])).toBeUndefined();
    expect(effectiveLimit(undefined, null)).toBeUndefined();
    expect(effectiveLimit(5, ['a@h'])).toBe(5);
  });
});

describe('ReplyCollector', () => {
  it('keeps replies by node and in arrival order', () => {
    const c = new ReplyCollector({ method: 'ping', ticket: 't1' });
    expect(c.offer(reply('w2@h', { ok: 'pong' }), 3)).toEqual({ nodename: 'w2@h', value: { ok: 'pong' }, afterMs: 3 });
    c.offer(reply('w1@h', { ok: 'pong' }), 5);
    const r = c.result('timeout', 1000);
    expect(r.order.map((o) => o.nodename)).toEqual(['w2@h', 'w1@h']);
    expect([...r.replies.keys()]).toEqual(['w2@h', 'w1@h']);
    expect(r).toMatchObject({ method: 'ping', stoppedBy: 'timeout', elapsedMs: 1000, duplicates: [], missing: [] });
  });

  it('ignores replies to other tickets and accepts ticketless ones, as kombu does', () => {
    const c = new ReplyCollector({ method: 'ping', ticket: 't1' });
    expect(c.offer(reply('w1@h', 1, 'other'), 1)).toBeUndefined();
    expect(c.offer(reply('w2@h', 2, undefined), 1)).toBeDefined();
    expect([...c.result('timeout', 1).replies]).toEqual([['w2@h', 2]]);
  });

  it('completes at the limit and refuses replies after it', () => {
    const c = new ReplyCollector({ method: 'ping', ticket: 't1', destination: ['w1@h', 'w2@h'] });
    expect(c.limit).toBe(2);
    c.offer(reply('w1@h', 1), 1);
    expect(c.isComplete).toBe(false);
    c.offer(reply('w2@h', 2), 2);
    expect(c.isComplete).toBe(true);
    expect(c.offer(reply('w3@h', 3), 3)).toBeUndefined();
    expect(c.count).toBe(2);
  });

  it('reports duplicate node names; the later reply wins the map (Celery flatten_reply)', () => {
    const c = new ReplyCollector({ method: 'stats', ticket: 't1' });
    c.offer(reply('w1@h', 'first'), 1);
    c.offer(reply('w1@h', 'second'), 2);
    const r = c.result('timeout', 10);
    expect(r.duplicates).toEqual(['w1@h']);
    expect(r.replies.get('w1@h')).toBe('second');
    expect(r.order).toHaveLength(2);
  });

  it('names destinations that did not answer', () => {
    const c = new ReplyCollector({ method: 'ping', ticket: 't1', destination: ['w1@h', 'w2@h'] });
    c.offer(reply('w2@h', 1), 1);
    expect(c.result('timeout', 1000).missing).toEqual(['w1@h']);
  });

  it('with a count of mailboxes reached (Redis), has all once that many replies came, and names nobody missing', () => {
    const c = new ReplyCollector({ method: 'ping', ticket: 't1' });
    c.offer(reply('w1@h', 1), 1);
    expect(c.hasAllExpected).toBe(false);
    c.expectCount(2);
    expect(c.hasAllExpected).toBe(false);
    c.offer(reply('w2@h', 1), 2);
    expect(c.hasAllExpected).toBe(true);
    const result = c.result('expected', 3);
    expect(result).toMatchObject({ expected: null, expectedCount: 2, expectedError: null, missing: [] });
  });

  it('ignores a count when the request named destinations', () => {
    const c = new ReplyCollector({ method: 'ping', ticket: 't1', destination: ['w1@h'] });
    c.expectCount(0);
    expect(c.hasAllExpected).toBe(false);
    expect(c.result('timeout', 1).expectedCount).toBeNull();
  });
});
