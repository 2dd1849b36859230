import { describe, expect, it } from 'vitest';
import {
  bindingMember,
  bindingSet,
  exchangeOfTopic,
  fanoutSubscription,
  fanoutTopic,
  parseBindingMember,
  priorityList,
  priorityStep,
  queueLists,
  queueOfList,
  taskMetaKey,
  topicMatches,
  topicPattern,
} from '../../../src/redis/redis-keys.js';

const FANOUT = { db: 11, fanoutPrefix: true, fanoutPatterns: true };

describe('kombu 5.2 Redis key names', () => {
  it('splits a queue into priority lists, 0 first, in steps 0/3/6/9 (captured from Celery 5.2.6)', () => {
    expect(queueLists('celery')).toEqual(['celery', 'celery\x06\x163', 'celery\x06\x166', 'celery\x06\x169']);
    expect([0, 1, 2, 3, 4, 5, 6, 8, 9].map(priorityStep)).toEqual([0, 0, 0, 3, 3, 3, 6, 6, 9]);
    expect(priorityStep(undefined)).toBe(0);
    expect(priorityStep(42)).toBe(9);
    expect(priorityStep(-3)).toBe(0);
    // send_task(..., priority=5) landed in this list on a real Redis.
    expect(priorityList('h6probe', priorityStep(5))).toBe('h6probe\x06\x163');
    expect(queueOfList('h6probe\x06\x163')).toBe('h6probe');
    expect(queueOfList('h6probe')).toBe('h6probe');
  });

  it('writes binding members as routing_key SEP pattern SEP queue in _kombu.binding.<exchange>', () => {
    expect(bindingSet('celery')).toBe('_kombu.binding.celery');
    // Celery 5.2.6 wrote this member for its queue h6probe.
    expect(bindingMember({ routingKey: 'h6probe', pattern: '', queue: 'h6probe' })).toBe('h6probe\x06\x16\x06\x16h6probe');
    expect(parseBindingMember('\x06\x16\x06\x16celery@a.celery.pidbox')).toEqual({ routingKey: '', pattern: '', queue: 'celery@a.celery.pidbox' });
    expect(parseBindingMember('no separators')).toBeUndefined();
  });

  it("turns topic keys into kombu's regexes and matches them as Python's re.match does", () => {
    expect(topicPattern('task.#')).toBe('^task\\..*?$');
    expect(topicPattern('*.heartbeat')).toBe('^.*?[^\\.]\\.heartbeat$');
    expect(topicPattern('a_b-c')).toBe('^a\\_b\\-c$');
    expect(topicMatches(topicPattern('task.#'), 'task.succeeded')).toBe(true);
    expect(topicMatches(topicPattern('task.#'), 'worker.online')).toBe(false);
    expect(topicMatches(topicPattern('a_b-c'), 'a_b-c')).toBe(true);
    expect(topicMatches('(unclosed', 'x')).toBe(false);
  });

  it('names fanout channels /{db}.{exchange}[/{routing_key}] and subscribes with # as *', () => {
    expect(fanoutTopic('celery.pidbox', '', FANOUT)).toBe('/11.celery.pidbox');
    expect(fanoutTopic('celeryev', 'worker.heartbeat', FANOUT)).toBe('/11.celeryev/worker.heartbeat');
    expect(fanoutTopic('celeryev', 'worker.heartbeat', { ...FANOUT, fanoutPatterns: false })).toBe('/11.celeryev');
    expect(fanoutTopic('celeryev', 'x', { ...FANOUT, fanoutPrefix: false })).toBe('celeryev/x');
    expect(fanoutSubscription('celeryev', '#', FANOUT)).toBe('/11.celeryev/*');
    expect(exchangeOfTopic('/11.celeryev/worker.heartbeat')).toBe('celeryev');
    expect(exchangeOfTopic('/11.celery.pidbox')).toBe('celery.pidbox');
  });

  it("names results as Celery's Redis backend does", () => {
    expect(taskMetaKey('abc')).toBe('celery-task-meta-abc');
  });
});
