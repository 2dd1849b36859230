import { describe, expect, it } from 'vitest';
import { KeyHashSet } from '../../../src/journal/key-hash-set.js';

describe('KeyHashSet', () => {
  it('remembers the last generation to two generations of keys, 0 and 53-bit keys included', () => {
    const set = new KeyHashSet(1000);
    const key = (i: number) => (i === 0 ? 0 : 2 ** 52 + i * 4_294_967_296 + i);
    for (let i = 0; i < 1500; i++) set.add(key(i));
    for (let i = 0; i < 1500; i++) expect(set.has(key(i))).toBe(true);
    expect(set.has(key(1500))).toBe(false);
    // A third generation begins: the first is forgotten, the second kept.
    for (let i = 1500; i < 2000; i++) set.add(key(i));
    expect(set.has(key(0))).toBe(false);
    expect(set.has(key(999))).toBe(false);
    expect(set.has(key(1000))).toBe(true);
    expect(set.has(key(1999))).toBe(true);
  });

  it('adding a key it holds changes nothing', () => {
    const set = new KeyHashSet(1000);
    for (let n = 0; n < 5000; n++) set.add(7);
    set.add(8);
    expect(set.has(7)).toBe(true);
    expect(set.has(8)).toBe(true);
  });
});
