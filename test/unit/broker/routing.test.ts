import { describe, expect, it } from 'vitest';
import { AmqpException } from '../../../src/broker/amqp-exception.js';
import { compileTopic, headersBinding, headersMatch, topicMatches, topicWords } from '../../../src/broker/routing.js';

const matches = (pattern: string, key: string) => topicMatches(topicWords(pattern), topicWords(key));

describe('topic routing', () => {
  it('splits keys into words; the empty key has none', () => {
    expect(topicWords('')).toEqual([]);
    expect(topicWords('a')).toEqual(['a']);
    expect(topicWords('a..b')).toEqual(['a', '', 'b']);
    expect(topicWords('a.')).toEqual(['a', '']);
    expect(topicWords('.')).toEqual(['', '']);
  });

  it.each([
    ['#', '', true],
    ['#', 'a.b.c', true],
    ['*', '', false],
    ['*', 'a', true],
    ['*', 'a.b', false],
    ['a.*', 'a', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a.', true],
    ['a.*', 'a.b.c', false],
    ['a.#', 'a', true],
    ['a.#', 'a.b.c', true],
    ['a.#', 'b.a', false],
    ['#.b', 'b', true],
    ['#.b', 'x.y.b', true],
    ['#.b', 'b.x', false],
    ['*.b.*', 'a.b.c', true],
    ['*.b.*', 'b.c', false],
    ['a.#.c', 'a.c', true],
    ['a.#.c', 'a..c', true],
    ['a.#.c', 'a.x.y.c', true],
    ['a.#.c', 'a.x.y', false],
    ['a.#.c.#.e', 'a.c.c.e', true],
    ['a.#.c.#.e', 'a.x.c.y.z.e', true],
    ['a.#.c.#.e', 'a.x.e.c', false],
    ['#.#', '', true],
    ['*.#', '', false],
    ['#.*', 'a', true],
    ['#.*.#', 'a.b', true],
    ['', '', true],
    ['', 'a', false],
    ['a', 'a', true],
    ['a', 'a.b', false],
    ['celery.#', 'celery', true],
    ['worker.#', 'worker.heartbeat', true],
    ['task.#', 'task.multi', true],
  ])('%j matches %j: %s', (pattern, key, expected) => {
    expect(matches(pattern, key)).toBe(expected);
  });

  it('compiled matchers agree with the word matcher, including the fast paths', () => {
    for (const pattern of ['#', 'a.b', 'a.*', 'a.#.c', '']) {
      const matcher = compileTopic(pattern);
      for (const key of ['', 'a', 'a.b', 'a.b.c', 'a.x.c']) {
        expect(
          matcher(key, () => topicWords(key)),
          `${pattern} ~ ${key}`,
        ).toBe(matches(pattern, key));
      }
    }
  });
});

describe('headers routing', () => {
  it('reads x-match, ignoring x- arguments unless *-with-x', () => {
    expect(headersBinding({ a: 1, 'x-foo': 2 })).toEqual({ xMatch: 'all', entries: [['a', 1]] });
    expect(headersBinding({ 'x-match': 'any', a: 1 })).toEqual({ xMatch: 'any', entries: [['a', 1]] });
    expect(headersBinding({ 'x-match': 'all-with-x', 'x-foo': 2 })).toEqual({ xMatch: 'all-with-x', entries: [['x-foo', 2]] });
  });

  it("rejects an unknown x-match with RabbitMQ's 406", () => {
    const error = (() => {
      try {
        headersBinding({ 'x-match': 'most' });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(AmqpException);
    expect(error).toMatchObject({
      replyCode: 406,
      replyText: 'PRECONDITION_FAILED - Invalid x-match field value <<"most">>; expected all, any, all-with-x, or any-with-x',
    });
  });

  const spec = (args: Record<string, unknown>) => headersBinding(args);
  it.each([
    [{ a: 1, b: 'x' }, { a: 1, b: 'x', c: 3 }, true],
    [{ a: 1, b: 'x' }, { a: 1 }, false],
    [{ 'x-match': 'any', a: 1, b: 'x' }, { b: 'x' }, true],
    [{ 'x-match': 'any', a: 1, b: 'x' }, { a: '1' }, false],
    [{ 'x-match': 'any' }, { a: 1 }, false],
    [{}, undefined, true],
    [{ a: null }, { a: 'anything' }, true],
    [{ a: null }, {}, false],
    [{ a: [1, 'two'] }, { a: [1, 'two'] }, true],
    [{ a: { n: 1 } }, { a: { n: 2 } }, false],
    [{ 'x-match': 'all-with-x', 'x-k': 'v' }, { 'x-k': 'v' }, true],
    [{ 'x-match': 'any-with-x', 'x-k': 'v' }, { 'x-k': 'w' }, false],
  ])('%j against %j: %s', (args, headers, expected) => {
    expect(headersMatch(spec(args), headers)).toBe(expected);
  });
});
