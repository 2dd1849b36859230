import { describe, expect, it } from 'vitest';
import { nameMatcher, parseSortKey, selectQueues } from '../../../src/queues/index.js';
import { queueFigures } from '../../fakes/queue-figures.js';

const q = queueFigures;

describe('nameMatcher', () => {
  it("globs with '*' and '?' over the whole name; plain text matches a part", () => {
    expect(['celery', 'celery.dlq', 'emails', 'x.celery'].filter(nameMatcher('celery*'))).toEqual(['celery', 'celery.dlq']);
    expect(['q1', 'q22', 'a.q3'].filter(nameMatcher('q?'))).toEqual(['q1']);
    expect(['tasks.dead-letter', 'dead', 'alive'].filter(nameMatcher('dead'))).toEqual(['tasks.dead-letter', 'dead']);
    expect(['a.b', 'axb'].filter(nameMatcher('a.*'))).toEqual(['a.b']);
    expect(['(x)', 'x'].filter(nameMatcher('(x)*'))).toEqual(['(x)']);
  });
});

describe('parseSortKey', () => {
  it('takes the column names and their table headings', () => {
    expect(parseSortKey('ready')).toBe('ready');
    expect(parseSortKey('Publish/s')).toBe('publish');
    expect(parseSortKey('idle-since')).toBe('idle');
  });

  it('names the keys for anything else, in one line', () => {
    expect(() => parseSortKey('size')).toThrow(
      /^unknown sort column 'size': use one of name, vhost, type, ready, unacked, consumers, publish, deliver, idle$/,
    );
  });
});

describe('selectQueues', () => {
  const all = [
    q('celery', { ready: 10 }),
    q('emails', { ready: 200, publishRate: 3 }),
    q('celeryev.1'),
    q('w1@h.celery.pidbox'),
    q('archive', { ready: 10, idleSince: 1000 }),
    q('reports', { idleSince: 500 }),
  ];

  it('sorts by name by default and sets housekeeping queues apart', () => {
    const s = selectQueues(all);
    expect(s.queues.map((x) => x.name)).toEqual(['archive', 'celery', 'emails', 'reports']);
    expect(s.housekeeping.map((x) => x.name)).toEqual(['celeryev.1', 'w1@h.celery.pidbox']);
  });

  it('sorts numbers largest first (ties by name), idle oldest first, and filters first', () => {
    expect(selectQueues(all, { sort: 'ready' }).queues.map((x) => x.name)).toEqual(['emails', 'archive', 'celery', 'reports']);
    expect(selectQueues(all, { sort: 'publish' }).queues[0]!.name).toBe('emails');
    expect(selectQueues(all, { sort: 'idle' }).queues.map((x) => x.name)).toEqual(['reports', 'archive', 'celery', 'emails']);
    const filtered = selectQueues(all, { pattern: 'celery*' });
    expect(filtered.queues.map((x) => x.name)).toEqual(['celery']);
    expect(filtered.housekeeping.map((x) => x.name)).toEqual(['celeryev.1']);
  });

  it('puts unknown figures (AMQP fallback) last when sorting by them', () => {
    const s = selectQueues([q('a', { unacked: null }), q('b', { unacked: 0 })], { sort: 'unacked' });
    expect(s.queues.map((x) => x.name)).toEqual(['b', 'a']);
  });
});
