import { describe, expect, it } from 'vitest';
import {
  QueueGrowth,
  STATS_INTERVAL_MS,
  isHousekeepingQueue,
  queueMarkers,
  type QueueFigures,
  type QueueListing,
} from '../../../src/queues/index.js';
import { queueFigures } from '../../fakes/queue-figures.js';

const queue = queueFigures;

const listing = (takenAt: number, queues: QueueFigures[]): QueueListing => ({
  source: 'api',
  api: null,
  queues,
  takenAt,
  brokerMs: 1,
  missing: null,
});

describe('queueMarkers', () => {
  it('flags messages with no consumer, ready or unacked, and not an empty queue or one that is consumed', () => {
    expect(queueMarkers(queue('a', { ready: 3 }))).toEqual(['no-consumer']);
    expect(queueMarkers(queue('a', { unacked: 2 }))).toEqual(['no-consumer']);
    expect(queueMarkers(queue('a', { ready: 3, unacked: null }))).toEqual(['no-consumer']);
    expect(queueMarkers(queue('a'))).toEqual([]);
    expect(queueMarkers(queue('a', { ready: 3, consumers: 1 }))).toEqual([]);
  });

  it("flags growth by the broker's own rate, and housekeeping queues", () => {
    expect(queueMarkers(queue('a', { ready: 5, consumers: 1, readyRate: 2 }))).toEqual(['growing']);
    expect(queueMarkers(queue('celeryev.1', { ready: 1, readyRate: 1 }))).toEqual(['no-consumer', 'growing', 'housekeeping']);
  });
});

describe('QueueGrowth', () => {
  it('decides only against a listing one sampling interval older: the API shows the same counts within 5 s', () => {
    const growth = new QueueGrowth();
    const t0 = 1_000_000;
    growth.observe(listing(t0, [queue('a', { ready: 1, readyRate: null })]));
    growth.observe(listing(t0 + 1000, [queue('a', { ready: 4, readyRate: null })]));
    expect(growth.isGrowing(queue('a', { ready: 4, readyRate: null }))).toBe(false);
    growth.observe(listing(t0 + STATS_INTERVAL_MS, [queue('a', { ready: 4, readyRate: null })]));
    expect(growth.isGrowing(queue('a', { ready: 4, readyRate: null }))).toBe(true);
    expect(queueMarkers(queue('a', { ready: 4, consumers: 1, readyRate: null }), growth)).toEqual(['growing']);
  });

  it('says not growing when the count held or fell, and forgets queues that went away', () => {
    const growth = new QueueGrowth();
    growth.observe(listing(0, [queue('a', { ready: 5, readyRate: null }), queue('b', { ready: 1, readyRate: null })]));
    growth.observe(listing(6000, [queue('a', { ready: 5, readyRate: null })]));
    expect(growth.isGrowing(queue('a', { ready: 5, readyRate: null }))).toBe(false);
    growth.observe(listing(12_000, [queue('a', { ready: 2, readyRate: null }), queue('b', { ready: 9, readyRate: null })]));
    expect(growth.isGrowing(queue('a', { ready: 2, readyRate: null }))).toBe(false);
    expect(growth.isGrowing(queue('b', { ready: 9, readyRate: null }))).toBe(false); // b's earlier sample was forgotten
  });
});

describe('isHousekeepingQueue', () => {
  it("knows event receivers', mailboxes', reply queues' (pidbox, rpc:// results) and server-named queues' names, and nothing else", () => {
    for (const name of ['celeryev.8d1f', 'w1@host.celery.pidbox', 'b3a9.reply.celery.pidbox', 'amq.gen-Jzv2R5y6'])
      expect(isHousekeepingQueue(name)).toBe(true);
    for (const name of ['celery', 'celeryev', 'tasks.pidbox-like', 'emails', 'dead-letter']) expect(isHousekeepingQueue(name)).toBe(false);
  });
});
