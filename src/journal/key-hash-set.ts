/**
 * The writer's memory of recent record keys (event-key.ts hashes: integers below 2^53), in two generations of at most
 * `generation` keys each: a key is remembered for the last `generation` to 2 × `generation` keys added. Open
 * addressing in two Float64Arrays, so adding a key allocates nothing (a Set of such numbers boxes each one and
 * rehashes as it grows; on the append path that was a tenth of the CPU).
 */
export class KeyHashSet {
  private readonly mask: number;
  private readonly generation: number;
  private current: Float64Array;
  private previous: Float64Array;
  private currentSize = 0;
  /** 0 marks an empty slot, so the key 0 is kept apart. */
  private zeroIn: 0 | 1 | 2 = 0;

  constructor(generation: number) {
    this.generation = generation;
    // At most half full: short probe sequences.
    let capacity = 1024;
    while (capacity < generation * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.current = new Float64Array(capacity);
    this.previous = new Float64Array(capacity);
  }

  has(key: number): boolean {
    if (key === 0) return this.zeroIn !== 0;
    return probe(this.current, this.mask, key) >= 0 || probe(this.previous, this.mask, key) >= 0;
  }

  /** Remember `key` (in the current generation; a new generation begins when it is full). */
  add(key: number): void {
    if (key === 0) {
      if (this.zeroIn === 1) return;
      this.zeroIn = 1;
    } else {
      const at = probe(this.current, this.mask, key);
      if (at >= 0) return;
      this.current[~at] = key;
    }
    if (++this.currentSize < this.generation) return;
    const old = this.previous;
    old.fill(0);
    this.previous = this.current;
    this.current = old;
    this.currentSize = 0;
    this.zeroIn = this.zeroIn === 1 ? 2 : 0;
  }
}

/** The slot holding `key` (>= 0), or ~the empty slot where it would go. */
function probe(table: Float64Array, mask: number, key: number): number {
  let i = (key >>> 0) & mask;
  for (;;) {
    const slot = table[i]!;
    if (slot === key) return i;
    if (slot === 0) return ~i;
    i = (i + 1) & mask;
  }
}
