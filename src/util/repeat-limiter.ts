import type { Clock, TimerHandle } from './clock.js';

/**
 * One log line per bad message, but not a flood: the first line of a kind in a window is written at once, the
 * repeats within the window are only counted, and when the window ends one line says how many there were:
 * `<the first line> (and 123 more like it in the last 10 s)`. A producer that sends a million broken messages costs
 * one line per window, not a million.
 *
 * "Of a kind" is the line with its variable parts blanked (ids, numbers, quoted values): see `repeatKey`.
 */
export class RepeatLimiter {
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly maxKinds: number;
  private readonly kinds = new Map<string, { line: string; write: (line: string) => void; repeats: number; timer: TimerHandle }>();

  constructor(options: { clock: Clock; windowMs?: number; maxKinds?: number }) {
    this.clock = options.clock;
    this.windowMs = options.windowMs ?? 10_000;
    this.maxKinds = options.maxKinds ?? 256;
  }

  /** Write `line` with `write` unless a line of its kind was written in this window; then count it. */
  log(line: string, write: (line: string) => void): void {
    // Past maxKinds distinct kinds in one window, every further kind shares one entry: memory stays bounded.
    let key = repeatKey(line);
    if (!this.kinds.has(key) && this.kinds.size >= this.maxKinds) key = '\0other';
    const kind = this.kinds.get(key);
    if (kind) {
      kind.repeats++;
      return;
    }
    write(line);
    const timer = this.clock.setTimeout(() => this.endWindow(key), this.windowMs).unref();
    this.kinds.set(key, { line, write, repeats: 0, timer });
  }

  /** Write the pending summaries now and forget every window (shutdown). */
  flush(): void {
    for (const [key, kind] of this.kinds) {
      kind.timer.cancel();
      this.endWindow(key);
    }
  }

  private endWindow(key: string): void {
    const kind = this.kinds.get(key);
    this.kinds.delete(key);
    if (!kind || kind.repeats === 0) return;
    kind.write(`${kind.line.split('\n', 1)[0]!} (and ${kind.repeats} more like it in the last ${Math.round(this.windowMs / 1000)} s)`);
  }
}

/** A line with what varies from message to message blanked: quoted values, ids, numbers. */
export function repeatKey(line: string): string {
  return line
    .split('\n', 1)[0]!
    .replace(/'[^']*'|"[^"]*"/g, '_')
    .replace(/\[[^\]]*\]/g, '[_]')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '_')
    .replace(/\d+(\.\d+)?(e[+-]?\d+)?/gi, '#')
    .slice(0, 200);
}
