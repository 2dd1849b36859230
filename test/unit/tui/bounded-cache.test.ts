import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../../src/tui/bounded-cache.js';

describe('BoundedCache', () => {
  const cost = (key: string, value: string) => key.length + value.length;

  it('keeps its estimated bytes within budget, dropping the oldest first', () => {
    const cache = new BoundedCache<string>(100, cost);
    for (let i = 0; i < 20; i++) cache.set(`k${String(i).padStart(2, '0')}`, 'v'.repeat(7));
    expect(cache.bytes).toBeLessThanOrEqual(100);
    expect(cache.has('k19')).toBe(true);
    expect(cache.has('k00')).toBe(false);
    expect(cache.bytes).toBe([...cache].reduce((sum, [k, v]) => sum + cost(k, v), 0));
  });

  it('a read keeps an entry: the least recently used goes, not the first set', () => {
    const cache = new BoundedCache<string>(35, cost);
    cache.set('a', 'x'.repeat(9));
    cache.set('b', 'x'.repeat(9));
    cache.set('c', 'x'.repeat(9));
    expect(cache.get('a')).toBe('x'.repeat(9));
    cache.set('d', 'x'.repeat(9));
    expect([...cache.keys()].sort()).toEqual(['a', 'd']);
  });

  it('without refreshOnRead a read changes nothing: the first set goes first', () => {
    const cache = new BoundedCache<string>(35, cost, { refreshOnRead: false });
    cache.set('a', 'x'.repeat(9));
    cache.set('b', 'x'.repeat(9));
    cache.set('c', 'x'.repeat(9));
    cache.get('a');
    cache.set('d', 'x'.repeat(9));
    expect([...cache.keys()].sort()).toEqual(['c', 'd']);
  });

  it('replacing and deleting keep the byte count true', () => {
    const cache = new BoundedCache<string>(1000, cost);
    cache.set('a', 'xx');
    cache.set('a', 'xxxx');
    expect(cache.bytes).toBe(5);
    cache.delete('a');
    cache.delete('missing');
    expect(cache.bytes).toBe(0);
    cache.set('b', 'x');
    cache.clear();
    expect(cache.bytes).toBe(0);
  });
});
