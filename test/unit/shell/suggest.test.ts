import { describe, expect, it } from 'vitest';
import { suggestCommand } from '../../../src/shell/suggest.js';
import { closestName, editDistance } from '../../../src/util/edit-distance.js';

describe('suggestCommand', () => {
  it.each([
    ['queue.delcare', 'queue.declare'],
    ['queue_purge', 'queue.purge'],
    ['purge', 'queue.purge'],
    ['basic.pubish', 'basic.publish'],
    ['Queue.Bind', 'queue.bind'],
    ['exhange.declare', 'exchange.declare'],
    ['hepl', 'help'],
  ])('%s → %s', (typed, expected) => {
    expect(suggestCommand(typed)).toBe(expected);
  });

  it('suggests nothing for words that are not near any command', () => {
    expect(suggestCommand('frobnicate')).toBeUndefined();
    expect(suggestCommand('ls')).toBeUndefined();
  });
});

describe('editDistance', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('closestName', () => {
  it('finds a typo of a candidate and nothing for a word that is no typo', () => {
    expect(closestName('wroker', ['shell', 'ctl', 'worker', 'broker'])).toBe('worker');
    expect(closestName('frobnicate', ['shell', 'ctl', 'worker', 'broker'])).toBeUndefined();
  });
});
