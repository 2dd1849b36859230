/** kombu's LamportClock: `forward()` is value+1, `adjust(other)` is max(value, other)+1 (docs/protocol.md, Events). */
export class LamportClock {
  private current: number;

  constructor(initial = 0) {
    this.current = initial;
  }

  get value(): number {
    return this.current;
  }

  forward(): number {
    this.current += 1;
    return this.current;
  }

  adjust(other: number | undefined | null): number {
    if (typeof other === 'number' && Number.isFinite(other)) this.current = Math.max(this.current, Math.trunc(other));
    this.current += 1;
    return this.current;
  }
}
