import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { QUEUE_TABLE_HEAD, formatAge, formatRate, listingJson, queueTable, renderQueueTable } from '../../../src/cli/output/queue-rows.js';
import { selectQueues, type QueueListing } from '../../../src/queues/index.js';
import { queueFigures } from '../../fakes/queue-figures.js';

const plain = new Chalk({ level: 0 });
const now = Date.UTC(2026, 11, 6, 8, 0, 0);
const q = queueFigures;

describe('queueTable', () => {
  it('shows each column, the markers in words, and - for what the source cannot tell', () => {
    const table = queueTable(
      [
        q('celery', { ready: 12, unacked: 3, consumers: 2, publishRate: 4.25, deliverRate: 40.4, readyRate: 1 }),
        q('stuck', { ready: 7, idleSince: now - 3 * 60_000 }),
        q('named', { type: null, ready: 1, unacked: null, publishRate: null, deliverRate: null, readyRate: null }),
      ],
      now,
    );
    expect(table.head).toEqual([...QUEUE_TABLE_HEAD]);
    expect(table.rows).toEqual([
      ['/', 'celery', 'classic', '12', '3', '2', '4.3', '40', '-', 'growing'],
      ['/', 'stuck', 'classic', '7', '0', '0', '0', '0', '3m ago', 'no consumer'],
      ['/', 'named', '-', '1', '-', '0', '-', '-', '-', 'no consumer'],
    ]);
  });
});

describe('queueTable where queues are stored as data (Redis)', () => {
  const p = (...counts: number[]) => counts.map((count, i) => ({ priority: i * 3, count }));
  const stored = [
    q('celery', { type: null, ready: 12, unacked: 2, readyByPriority: p(10, 2, 0, 0), unackedAge: { oldestMs: 250_000, visibilityTimeoutS: 3600 } }),
    q('plain', { type: null, ready: 4, unacked: 0, readyByPriority: p(4, 0, 0, 0), unackedAge: { oldestMs: null, visibilityTimeoutS: 3600 } }),
    q('late', { type: null, ready: 1, unacked: 0, readyByPriority: p(0, 0, 0, 1), unackedAge: { oldestMs: null, visibilityTimeoutS: 30 } }),
  ];

  it('breaks ready down by priority sub-list and adds the oldest unacked age of the visibility timeout', () => {
    const table = queueTable(stored, now);
    expect(table.head.slice(3, 7)).toEqual(['ready', 'unacked', 'oldest unacked', 'consumers']);
    expect(table.rows.map((r) => r.slice(1, 7))).toEqual([
      ['celery', '-', '12 (0:10 3:2)', '2', '4m of 1h', '0'],
      ['plain', '-', '4', '0', '-', '0'],
      ['late', '-', '1 (9:1)', '0', '-', '0'],
    ]);
    expect(renderQueueTable(table, plain).split('\n')[1]).toMatch(/celery\s+-\s+12 \(0:10 3:2\)\s+2\s+4m of 1h\s+0\s/);
  });

  it('adds the per-priority counts and the unacked age to --json, and nothing to RabbitMQ’s documents', () => {
    const listing: QueueListing = { source: 'amqp', api: null, queues: stored, takenAt: now, brokerMs: 1, missing: null };
    const json = listingJson(listing, selectQueues(stored), false) as { queues: Record<string, unknown>[] };
    const byName = (name: string) => json.queues.find((j) => j['name'] === name);
    expect(byName('celery')).toMatchObject({
      ready: 12,
      unacked: 2,
      readyByPriority: p(10, 2, 0, 0),
      oldestUnackedMs: 250_000,
      visibilityTimeoutS: 3600,
    });
    expect(byName('late')).toMatchObject({ oldestUnackedMs: null, visibilityTimeoutS: 30 });
    const rabbit = listingJson({ ...listing, queues: [q('celery')] }, selectQueues([q('celery')]), false) as { queues: Record<string, unknown>[] };
    expect(Object.keys(rabbit.queues[0]!)).not.toContain('readyByPriority');
    expect(Object.keys(rabbit.queues[0]!)).not.toContain('visibilityTimeoutS');
    expect(queueTable([q('celery')], now).head).toEqual([...QUEUE_TABLE_HEAD]);
  });
});

describe('queueTable on a cluster', () => {
  it('adds the leader node and member count after the type when queues are replicated or on several nodes', () => {
    const table = queueTable(
      [
        q('orders', { type: 'quorum', leader: 'rabbit@n2', members: 3, ready: 5, consumers: 1 }),
        q('celery', { type: 'classic', leader: 'rabbit@n1', members: 1, consumers: 1 }),
      ],
      now,
    );
    expect(table.head.slice(0, 6)).toEqual(['vhost', 'name', 'type', 'leader', 'members', 'ready']);
    expect(table.rows.map((r) => r.slice(0, 6))).toEqual([
      ['/', 'orders', 'quorum', 'rabbit@n2', '3', '5'],
      ['/', 'celery', 'classic', 'rabbit@n1', '1', '0'],
    ]);
    const lines = renderQueueTable(table, plain).split('\n');
    expect(lines[0]).toMatch(/^vhost\s+name\s+type\s+leader\s+members\s+ready/);
    expect(lines[1]).toMatch(/orders\s+quorum\s+rabbit@n2\s+3\s+5\s/);
    expect(
      listingJson(
        {
          source: 'api',
          api: null,
          queues: [q('orders', { type: 'quorum', leader: 'rabbit@n2', members: 3 })],
          takenAt: now,
          brokerMs: 1,
          missing: null,
        },
        selectQueues([q('orders', { type: 'quorum', leader: 'rabbit@n2', members: 3 })]),
        false,
      ),
    ).toMatchObject({
      queues: [{ name: 'orders', type: 'quorum', leader: 'rabbit@n2', members: 3 }],
    });
  });

  it('leaves them out on a single node: every queue on one node, one member each', () => {
    const table = queueTable([q('a', { leader: 'rabbit@n1', members: 1 }), q('b', { type: 'quorum', leader: 'rabbit@n1', members: 1 })], now);
    expect(table.head).toEqual([...QUEUE_TABLE_HEAD]);
  });
});

describe('renderQueueTable', () => {
  const table = queueTable([q('celery', { ready: 12, consumers: 2 }), q('a-much-longer-name', { ready: 7, publishRate: 1234 })], now);

  it('aligns columns without borders, numbers to the right, the last column unpadded', () => {
    expect(renderQueueTable(table, plain).split('\n')).toEqual([
      'vhost  name                type     ready  unacked  consumers  publish/s  deliver/s  idle since  markers',
      '/      celery              classic     12        0          2          0          0  -',
      '/      a-much-longer-name  classic      7        0          0       1234          0  -           no consumer',
    ]);
  });

  it('colours markers after measuring, so columns stay aligned on a terminal', () => {
    const coloured = renderQueueTable(table, new Chalk({ level: 1 }));
    expect(coloured).toContain('\u001b[31mno consumer\u001b[39m');
    expect(coloured.replace(/\u001b\[\d+m/g, '')).toBe(renderQueueTable(table, plain));
  });

  it('draws 10,000 rows quickly (cli-table3 took 18 s)', () => {
    const many = queueTable(
      Array.from({ length: 10_000 }, (_, i) => q(`queue-${i}`, { ready: i })),
      now,
    );
    const started = performance.now();
    expect(renderQueueTable(many, plain).split('\n')).toHaveLength(10_001);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('formatRate and formatAge', () => {
  it('round rates to one decimal below 10, whole above; ages to the largest unit', () => {
    expect([null, 0, 0.04, 2.5, 9.96, 12.4, 1234.5].map(formatRate)).toEqual(['-', '0', '0.0', '2.5', '10.0', '12', '1235']);
    expect([0, 59_999, 60_000, 3_599_000, 3_600_000, 86_400_000 * 3, -5].map(formatAge)).toEqual([
      '0s ago',
      '59s ago',
      '1m ago',
      '59m ago',
      '1h ago',
      '3d ago',
      '0s ago',
    ]);
  });
});

describe('listingJson', () => {
  const listing: QueueListing = {
    source: 'amqp',
    api: null,
    queues: [q('celery', { ready: 2 }), q('celeryev.x')],
    takenAt: now,
    brokerMs: 3,
    missing: 'no management API (…)',
  };

  it('says where figures came from and what is missing; counts hidden housekeeping queues', () => {
    expect(listingJson(listing, selectQueues(listing.queues), false)).toEqual({
      source: 'amqp',
      api: null,
      takenAt: '2026-12-06T08:00:00.000Z',
      missing: 'no management API (…)',
      queues: [
        {
          vhost: '/',
          name: 'celery',
          type: 'classic',
          leader: null,
          members: null,
          ready: 2,
          unacked: 0,
          consumers: 0,
          publishRate: 0,
          deliverRate: 0,
          idleSince: null,
          markers: ['no-consumer'],
        },
      ],
      hiddenHousekeeping: 1,
    });
  });

  it('lists housekeeping queues apart with --all', () => {
    const doc = listingJson(listing, selectQueues(listing.queues), true);
    expect(doc['housekeeping']).toEqual([expect.objectContaining({ name: 'celeryev.x', markers: ['housekeeping'] })]);
    expect(doc).not.toHaveProperty('hiddenHousekeeping');
  });
});
