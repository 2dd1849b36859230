import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import {
  argsText,
  formatJson,
  formatNodeCount,
  formatGrouped,
  formatReply,
  formatSilent,
  formatWarnings,
  GROUP_MIN,
  listingTable,
  treeLines,
  viewFor,
} from '../../../src/control/reply-text.js';
import { renderTable } from '../../../src/cli/output/control-table.js';
import { ReplyCollector } from '../../../src/control/reply-collector.js';

const plain = new Chalk({ level: 0 });
const colour = new Chalk({ level: 1 });

function result(method: string, replies: [string, unknown][]) {
  const c = new ReplyCollector({ method, ticket: 't' });
  for (const [nodename, value] of replies) c.offer({ nodename, value, ticket: 't', clock: 1 }, 1);
  return c.result('timeout', 1000);
}

const info = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: 'tasks.add',
  args: [2, 2],
  kwargs: {},
  type: 'tasks.add',
  hostname: 'w1@vm',
  time_start: null,
  acknowledged: false,
  delivery_info: { exchange: '', routing_key: 'celery', priority: 3, redelivered: false },
  worker_pid: null,
  ...extra,
});

describe('formatReply', () => {
  it('prints ok and error replies on one line', () => {
    expect(formatReply('w1@vm', { ok: 'pong' }, 'generic', plain)).toEqual(['-> w1@vm: OK pong']);
    expect(formatReply('w1@vm', { error: "KeyError('nope')" }, 'generic', plain)).toEqual(["-> w1@vm: ERROR KeyError('nope')"]);
    expect(formatReply('w1@vm', null, 'generic', plain)).toEqual(['-> w1@vm: OK']);
    expect(formatReply('w1@vm', { clock: 42 }, 'generic', plain)).toEqual(['-> w1@vm: OK clock: 42']);
  });

  it('indents multi-line text, lists and nested objects under OK', () => {
    expect(formatReply('w1@vm', { ok: 'software -> celery:5.2.6\nplatform -> linux' }, 'generic', plain)).toEqual([
      '-> w1@vm: OK',
      '    software -> celery:5.2.6',
      '    platform -> linux',
    ]);
    expect(formatReply('w1@vm', ['tasks.add [rate_limit=10/m]', 'tasks.noop'], 'generic', plain)).toEqual([
      '-> w1@vm: OK',
      '    * tasks.add [rate_limit=10/m]',
      '    * tasks.noop',
    ]);
    expect(formatReply('w1@vm', [], 'generic', plain)).toEqual(['-> w1@vm: OK - empty -']);
    expect(formatReply('w1@vm', ['6fe6256c'], 'generic', plain)).toEqual(['-> w1@vm: OK', '    * 6fe6256c']);
  });

  it('summarises listings; the rows come in the table', () => {
    expect(formatReply('w1@vm', [info('a'), info('b')], 'tasks', plain)).toEqual(['-> w1@vm: OK 2 tasks']);
    expect(formatReply('w1@vm', [], 'scheduled', plain)).toEqual(['-> w1@vm: OK - empty -']);
    expect(formatReply('w1@vm', [{ name: 'celery' }], 'queues', plain)).toEqual(['-> w1@vm: OK 1 queue']);
    expect(formatReply('w1@vm', { error: 'x' }, 'tasks', plain)).toEqual(['-> w1@vm: ERROR x']);
  });

  it('colours only with a colour-capable style', () => {
    expect(formatReply('w1@vm', { ok: 'pong' }, 'generic', colour)[0]).toContain('\u001b[');
    expect(formatReply('w1@vm', { ok: 'pong' }, 'generic', plain)[0]).not.toContain('\u001b[');
  });
});

describe('treeLines', () => {
  it('renders stats-like replies as indented key: value lines', () => {
    expect(
      treeLines({
        total: { 'tasks.add': 2 },
        pid: 7804,
        clock: '97',
        pool: { 'max-concurrency': 2, processes: [7817, 8457], writes: {} },
        alt: [],
        x: null,
      }),
    ).toEqual([
      'total:',
      '    tasks.add: 2',
      'pid: 7804',
      'clock: 97',
      'pool:',
      '    max-concurrency: 2',
      '    processes: [7817, 8457]',
      '    writes: {}',
      'alt: []',
      'x: null',
    ]);
  });

  it('lists objects with dashes', () => {
    expect(treeLines([{ name: 'celery', durable: true }, { name: 'q2' }])).toEqual(['- name: celery', '  durable: true', '- name: q2']);
  });
});

describe('listingTable', () => {
  it('reserved/active: id, name, args, eta, priority (the message priority), worker', () => {
    const t = listingTable(
      result('reserved', [
        ['w1@vm', [info('a')]],
        ['w2@vm', [info('b', { args: [1], kwargs: { z: 'q' } })]],
      ]),
      'tasks',
    );
    expect(t).toEqual({
      head: ['id', 'name', 'args', 'eta', 'priority', 'worker'],
      rows: [
        ['a', 'tasks.add', '(2, 2)', '-', '3', 'w1@vm'],
        ['b', 'tasks.add', "(1,) {'z': 'q'}", '-', '3', 'w2@vm'],
      ],
    });
  });

  it('scheduled: the eta to the second', () => {
    const t = listingTable(
      result('scheduled', [['w1@vm', [{ eta: '2026-11-21T19:05:39.970070+00:00', priority: 6, request: info('a') }]]]),
      'scheduled',
    );
    expect(t?.rows).toEqual([['a', 'tasks.add', '(2, 2)', '2026-11-21T19:05:39+00:00', '3', 'w1@vm']]);
  });

  it('query-task: the state instead of the eta', () => {
    const t = listingTable(result('query_task', [['w1@vm', { a: ['active', info('a')], b: ['reserved', info('b')] }]]), 'query');
    expect(t?.head[3]).toBe('state');
    expect(t?.rows.map((r) => [r[0], r[3]])).toEqual([
      ['a', 'active'],
      ['b', 'reserved'],
    ]);
  });

  it('active-queues: queue, exchange, type, routing key, worker', () => {
    const q = { name: 'celery', exchange: { name: 'celery', type: 'direct' }, routing_key: 'celery' };
    expect(listingTable(result('active_queues', [['w1@vm', [q]]]), 'queues')?.rows).toEqual([['celery', 'celery', 'direct', 'celery', 'w1@vm']]);
  });

  it('skips error replies and malformed entries; empty listings have no table', () => {
    expect(
      listingTable(
        result('reserved', [
          ['w1@vm', { error: 'x' }],
          ['w2@vm', [42, null]],
        ]),
        'tasks',
      ),
    ).toBeUndefined();
    expect(listingTable(result('ping', [['w1@vm', { ok: 'pong' }]]), 'generic')).toBeUndefined();
  });

  it('renders with cli-table3, with no colour codes for a plain style', () => {
    const text = renderTable({ head: ['id', 'worker'], rows: [['a', 'w1@vm']] }, plain);
    expect(text).toContain('│ a  │ w1@vm  │');
    expect(text).not.toContain('\u001b[');
  });
});

describe('argsText', () => {
  it('prints args as a Python tuple, kwargs when present, cut at 40 characters', () => {
    expect(argsText([2, 2], {})).toBe('(2, 2)');
    expect(argsText('(2, 2)', '{}')).toBe('(2, 2)');
    expect(argsText(['x'.repeat(60)], {})).toHaveLength(40);
  });
});

describe('summary and JSON', () => {
  it('counts nodes for read-only commands and status only', () => {
    expect(formatNodeCount(result('stats', [['w1@vm', {}]]), viewFor('stats'))).toEqual(['', '1 node online.']);
    expect(
      formatNodeCount(
        result('dump_reserved', [
          ['a', []],
          ['b', []],
        ]),
        viewFor('dump_reserved'),
      ),
    ).toEqual(['', '2 nodes online.']);
    expect(formatNodeCount(result('rate_limit', [['w1@vm', { ok: 'x' }]]), 'generic')).toEqual([]);
    expect(formatNodeCount(result('ping', [['w1@vm', { ok: 'pong' }]]), 'status')).toEqual(['', '1 node online.']);
  });

  it('prints replies keyed by node as one JSON object', () => {
    expect(
      JSON.parse(
        formatJson(
          result('ping', [
            ['w1@vm', { ok: 'pong' }],
            ['w2@vm', null],
          ]),
        ),
      ).replies,
    ).toEqual({ 'w1@vm': { ok: 'pong' }, 'w2@vm': null });
  });

  it("--json: Celery's object under `replies`, and who did not answer beside it (null when nobody could know)", () => {
    const unknown = result('ping', [['w1@vm', { ok: 'pong' }]]);
    expect(JSON.parse(formatJson(unknown))).toEqual({ replies: { 'w1@vm': { ok: 'pong' } }, did_not_answer: null });
    const live = new ReplyCollector({ method: 'ping', ticket: 't' });
    live.expect(['w1@vm', 'w2@vm', 'w3@vm']);
    live.offer({ nodename: 'w2@vm', value: { ok: 'pong' }, ticket: 't', clock: 1 }, 1);
    expect(JSON.parse(formatJson(live.result('timeout', 1000)))).toEqual({
      replies: { 'w2@vm': { ok: 'pong' } },
      did_not_answer: ['w1@vm', 'w3@vm'],
    });
    const named = new ReplyCollector({ method: 'ping', ticket: 't', destination: ['w1@vm'] });
    named.offer({ nodename: 'w1@vm', value: { ok: 'pong' }, ticket: 't', clock: 1 }, 1);
    expect(JSON.parse(formatJson(named.result('limit', 10)))).toEqual({ replies: { 'w1@vm': { ok: 'pong' } }, did_not_answer: [] });
  });

  it('warns about duplicates and silent destinations', () => {
    const c = new ReplyCollector({ method: 'ping', ticket: 't', destination: ['w1@vm', 'w2@vm', 'w3@vm'] });
    c.offer({ nodename: 'w1@vm', value: 1, ticket: 't', clock: 1 }, 1);
    c.offer({ nodename: 'w1@vm', value: 1, ticket: 't', clock: 1 }, 1);
    expect(formatWarnings(c.result('timeout', 500), 0.5)).toEqual([
      'warning: 2 replies came from node name w1@vm: several workers share it; start each with a unique -n',
      'warning: no reply within 0.5 s from w2@vm, w3@vm',
    ]);
  });

  it('leaves the silent live workers to formatSilent: they are not named a second time on stderr', () => {
    const live = new ReplyCollector({ method: 'ping', ticket: 't' });
    live.expect(['w1@vm', 'w2@vm']);
    live.offer({ nodename: 'w1@vm', value: { ok: 'pong' }, ticket: 't', clock: 1 }, 1);
    const r = live.result('timeout', 1000);
    expect(formatSilent(r, 1)).toEqual(['1 of 2 workers did not answer within 1 s: w2@vm']);
    expect(formatWarnings(r, 1)).toEqual([]);
  });
});

describe('large clusters: grouped replies and the silent ones', () => {
  const pongs = (n: number, from = 1) => Array.from({ length: n }, (_, i) => [`w${from + i}@h`, { ok: 'pong' }] as [string, unknown]);

  it('identical replies from GROUP_MIN or more workers print as one line, the differing ones after it in arrival order', () => {
    const r = result('ping', [['w0@h', { error: 'busy' }], ...pongs(198), ['w999@h', { ok: 'pong', extra: 1 }]]);
    expect(formatGrouped(r, 'generic', plain)).toEqual([
      '198 workers: OK pong',
      '-> w0@h: ERROR busy',
      '-> w999@h: OK',
      '    ok: pong',
      '    extra: 1',
    ]);
  });

  it('below GROUP_MIN every worker keeps its own line, as Celery prints them', () => {
    expect(GROUP_MIN).toBe(5);
    expect(formatGrouped(result('ping', pongs(4)), 'generic', plain)).toEqual(pongs(4).map(([n]) => `-> ${n}: OK pong`));
    expect(formatGrouped(result('ping', pongs(5)), 'status', plain)).toEqual(['5 workers: OK']);
  });

  it('groups by what is printed: listings that print the same count group, the table shows their rows', () => {
    const r = result('reserved', [...Array.from({ length: 6 }, (_, i) => [`w${i}@h`, [info(`id${i}`)]] as [string, unknown]), ['x@h', []]]);
    expect(formatGrouped(r, 'tasks', plain)).toEqual(['6 workers: OK 1 task', '-> x@h: OK - empty -']);
    expect(listingTable(r, 'tasks')!.rows).toHaveLength(6);
  });

  it('several large groups: the largest first; multi-line replies keep their indented lines', () => {
    const r = result('ping', [...pongs(5), ...Array.from({ length: 7 }, (_, i) => [`s${i}@h`, { ok: 'a\nb' }] as [string, unknown])]);
    expect(formatGrouped(r, 'generic', plain)).toEqual(['7 workers: OK', '    a', '    b', '5 workers: OK pong']);
  });

  it('names the live workers that did not answer; nothing when all did or when nobody knew who should', () => {
    const c = new ReplyCollector({ method: 'ping', ticket: 't' });
    c.expect(Array.from({ length: 200 }, (_, i) => `w${i + 1}@h`));
    for (const [nodename, value] of pongs(200))
      if (nodename !== 'w17@h' && nodename !== 'w90@h') c.offer({ nodename, value, ticket: 't', clock: 1 }, 1);
    expect(formatSilent(c.result('timeout', 1000), 1)).toEqual(['2 of 200 workers did not answer within 1 s: w17@h, w90@h']);
    expect(formatSilent(result('ping', pongs(3)), 1)).toEqual([]);
    const all = new ReplyCollector({ method: 'ping', ticket: 't' });
    all.expect(['w1@h']);
    all.offer({ nodename: 'w1@h', value: { ok: 'pong' }, ticket: 't', clock: 1 }, 1);
    expect(formatSilent(all.result('expected', 10), 1)).toEqual([]);
  });

  it('a long silent list is cut at 20 names, pointing at --json; a worker that answered unexpectedly counts in the total', () => {
    const c = new ReplyCollector({ method: 'ping', ticket: 't' });
    c.expect(Array.from({ length: 30 }, (_, i) => `w${i}@h`));
    c.offer({ nodename: 'late@h', value: { ok: 'pong' }, ticket: 't', clock: 1 }, 1);
    const [line] = formatSilent(c.result('timeout', 1000), 2);
    expect(line).toMatch(/^30 of 31 workers did not answer within 2 s: w0@h, w1@h, .*, w19@h and 10 more \(--json lists them all\)$/);
  });
});
