/**
 * The embedded broker's management JSON against answers captured from RabbitMQ 3.10.8 (test/fixtures/management-api):
 * the same field names with the same types, so one client reads both. (The live comparison, both brokers side by
 * side, is test/integration/queues/management-api-shapes.int.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bindingJson, isoWithOffset, overviewJson, pageOf, pickColumns, queueJson, withoutStats } from '../../../src/broker/management-json.js';
import type { QueueStats } from '../../../src/broker/queue-stats.js';
import type { Queue } from '../../../src/broker/queue.js';
import { QUEUE_COLUMNS, parseQueueList } from '../../../src/queues/index.js';
import { shapeDifferences, shapeOf } from '../../helpers/json-shape.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/management-api/${name}`, import.meta.url), 'utf8'));

// A queue as the embedded broker holds it: only the fields queueJson reads.
const queue = { name: 'cap-q', autoDelete: false, durable: false, owner: null, arguments: {} } as unknown as Queue;
const busy: QueueStats = {
  ready: 47,
  unacked: 3,
  consumers: 1,
  publish: 50,
  deliverGet: 3,
  publishRate: 0,
  deliverGetRate: 0,
  readyRate: 0,
  unackedRate: 0,
  // As in the captured columns answer.
  idleSince: Date.UTC(2026, 11, 6, 7, 23, 5, 33),
};

describe('the embedded broker management JSON', () => {
  it('answers a pidbox binding exactly as RabbitMQ 3.10 does (GET /api/exchanges/h6/celery.pidbox/bindings/source)', () => {
    const theirs = fixture('rabbitmq-3.10-pidbox-bindings.json') as unknown[];
    expect([bindingJson({ source: 'celery.pidbox', vhost: 'h6', destination: 'probe1@h.celery.pidbox', routingKey: '', arguments: {} })]).toEqual(
      theirs,
    );
  });

  it('names a binding with a routing key by the key, and one with arguments by the key and a hash', () => {
    expect(bindingJson({ source: 'x', vhost: '/', destination: 'q', routingKey: 'a/b', arguments: {} })['properties_key']).toBe('a%2Fb');
    expect(bindingJson({ source: 'x', vhost: '/', destination: 'q', routingKey: 'k', arguments: { 'x-match': 'all' } })['properties_key']).toMatch(
      /^k~[0-9a-z]+$/,
    );
  });

  it("has RabbitMQ 3.10's field names and types for a queue", () => {
    const [theirs] = fixture('rabbitmq-3.10-queues.json') as unknown[];
    // RabbitMQ's `0.0` reads back as the integer 0 in JSON; both are numbers.
    expect(shapeDifferences(shapeOf(queueJson(queue, 'h3', 'camq@host', busy)), shapeOf(theirs))).toEqual([]);
  });

  it('answers camq’s columns as RabbitMQ does, so the client reads the same figures from both', () => {
    // The node name as in the capture: the queue's node is one of the columns.
    const ours = pickColumns(queueJson(queue, 'h3', 'rabbit@localhost', busy), QUEUE_COLUMNS);
    const [theirs] = fixture('rabbitmq-3.10-queues-columns.json') as unknown[];
    expect(shapeOf(ours)).toEqual(shapeOf(theirs));
    expect(parseQueueList([ours], 'h3')).toEqual(parseQueueList([theirs], 'h3'));
  });

  it('leaves message_stats out before anything moved, and idle_since out while in use, as RabbitMQ does', () => {
    const fresh = queueJson(queue, '/', 'n', { ...busy, publish: 0, deliverGet: 0, idleSince: null });
    expect(fresh).not.toHaveProperty('message_stats');
    expect(fresh).not.toHaveProperty('idle_since');
    expect(queueJson(queue, '/', 'n', { ...busy, deliverGet: 0 })['message_stats']).toEqual({ publish: 50, publish_details: { rate: 0 } });
  });

  it("has RabbitMQ 3.10's overview fields, listeners included", () => {
    const ours = overviewJson({
      node: 'camq@host',
      version: '0.1.0',
      listeners: [{ node: 'camq@host', protocol: 'amqp', ip_address: '127.0.0.1', port: 5673, socket_opts: {} }],
      totals: { queues: 1, consumers: 1, connections: 1, exchanges: 7 },
      messages: { ready: 47, unacked: 3 },
    });
    const theirs = fixture('rabbitmq-3.10-overview.json') as Record<string, unknown>;
    const ourListener = (ours['listeners'] as unknown[])[0];
    const theirListener = (theirs['listeners'] as unknown[])[0];
    expect(shapeDifferences(shapeOf({ ...ours, listeners: 'x' }), shapeOf({ ...theirs, listeners: 'x' }))).toEqual([]);
    // socket_opts differs per listener in RabbitMQ too (an object or a list); the rest must match.
    expect(
      shapeDifferences(shapeOf({ ...(ourListener as object), socket_opts: 0 }), shapeOf({ ...(theirListener as object), socket_opts: 0 })),
    ).toEqual([]);
  });

  it('keeps nested columns nested, drops statistics with disable_stats, and pages like 3.10', () => {
    expect(pickColumns({ a: 1, b: { c: 2, d: 3 }, e: 4 }, ['a', 'b.c', 'x.y'])).toEqual({ a: 1, b: { c: 2 } });
    expect(Object.keys(withoutStats(queueJson(queue, '/', 'n', busy))).sort()).toEqual(
      [
        'arguments',
        'auto_delete',
        'durable',
        'exclusive',
        'messages',
        'messages_ready',
        'messages_unacknowledged',
        'name',
        'node',
        'state',
        'type',
        'vhost',
      ].sort(),
    );
    expect(pageOf([1, 2, 3, 4, 5], 2, 2)).toEqual({
      filtered_count: 5,
      item_count: 2,
      items: [3, 4],
      page: 2,
      page_count: 3,
      page_size: 2,
      total_count: 5,
    });
    expect(isoWithOffset(Date.UTC(2026, 11, 6, 7, 11, 43, 496))).toBe('2026-12-06T07:11:43.496+00:00');
  });
});
