import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { QUEUE_COLUMNS, parseIdleSince, parseQueueList, queueListPath } from '../../../src/queues/index.js';
import { queueFigures } from '../../fakes/queue-figures.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/management-api/${name}`, import.meta.url), 'utf8'));

describe('parseQueueList', () => {
  it("reads RabbitMQ 3.10's answer to camq's columns (captured), quorum queues without idle_since included", () => {
    expect(parseQueueList(fixture('rabbitmq-3.10-queues-columns.json'), 'h3')).toEqual([
      queueFigures('cap-q', {
        vhost: 'h3',
        ready: 47,
        unacked: 3,
        consumers: 1,
        idleSince: Date.UTC(2026, 11, 6, 7, 23, 5, 33),
        leader: 'rabbit@localhost',
        members: 1,
      }),
      queueFigures('cap-quorum', { vhost: 'h3', type: 'quorum', ready: 5, leader: 'rabbit@localhost', members: 1 }),
    ]);
  });

  it('reads the whole list (no columns=) the same way (captured a few minutes earlier: another idle_since)', () => {
    const whole = parseQueueList(fixture('rabbitmq-3.10-queues.json'), 'h3')!;
    const columns = parseQueueList(fixture('rabbitmq-3.10-queues-columns.json'), 'h3')!;
    const common = ({ leader: _l, members: _m, ...q }: (typeof whole)[number]) => ({ ...q, idleSince: null });
    expect(whole.map(common)).toEqual(columns.map(common));
    expect(whole[0]!.idleSince).toBe(Date.UTC(2026, 11, 6, 7, 11, 43, 496));
    expect(whole.map((q) => [q.name, q.leader, q.members])).toEqual([
      ['cap-q', 'rabbit@localhost', 1],
      ['cap-quorum', 'rabbit@localhost', 1],
    ]);
  });

  it("reads a quorum queue's leader and members and a classic queue's node, as on a cluster", () => {
    const queues = parseQueueList(
      [
        { name: 'qq', type: 'quorum', node: 'rabbit@n1', leader: 'rabbit@n2', members: ['rabbit@n1', 'rabbit@n2', 'rabbit@n3'] },
        { name: 'cq', type: 'classic', node: 'rabbit@n3' },
      ],
      '/',
    )!;
    expect(queues.map((q) => [q.name, q.leader, q.members])).toEqual([
      ['qq', 'rabbit@n2', 3],
      ['cq', 'rabbit@n3', 1],
    ]);
  });

  it('takes a queue RabbitMQ has not sampled yet (only its name) as empty, and skips what is not a queue', () => {
    expect(parseQueueList([{ name: 'fresh' }, 42, null, { vhost: 'x' }, [], { name: 7 }], '/')).toEqual([queueFigures('fresh')]);
  });

  it('reads rates, and ignores counts that are not counts', () => {
    const [q] = parseQueueList(
      [
        {
          name: 'q',
          messages_ready: -1,
          consumers: 'many',
          messages_ready_details: { rate: 8.5 },
          message_stats: { publish_details: { rate: 20 }, deliver_get_details: { rate: 'fast' } },
        },
      ],
      '/',
    )!;
    expect(q).toMatchObject({ ready: 0, consumers: 0, readyRate: 8.5, publishRate: 20, deliverRate: 0 });
  });

  it('refuses an answer that is not a list', () => {
    expect(parseQueueList({ error: 'x' }, '/')).toBeNull();
    expect(parseQueueList('<html>', '/')).toBeNull();
  });
});

describe('queueListPath', () => {
  it('asks for the vhost percent-encoded, with the columns camq reads', () => {
    expect(queueListPath('/')).toBe(`queues/%2F?columns=${QUEUE_COLUMNS.join(',')}`);
    expect(queueListPath('a b')).toMatch(/^queues\/a%20b\?columns=name,vhost,type,/);
  });
});

describe('parseIdleSince', () => {
  it("reads 3.10's ISO form and the older space-separated UTC form", () => {
    expect(parseIdleSince('2026-12-06T07:11:43.496+00:00')).toBe(Date.UTC(2026, 11, 6, 7, 11, 43, 496));
    expect(parseIdleSince('2026-12-06 7:11:43')).toBe(Date.UTC(2026, 11, 6, 7, 11, 43));
    expect(parseIdleSince('2026-12-06 17:11:43')).toBe(Date.UTC(2026, 11, 6, 17, 11, 43));
    expect(parseIdleSince('yesterday')).toBeNull();
    expect(parseIdleSince(undefined)).toBeNull();
    expect(parseIdleSince('')).toBeNull();
  });
});
