import type { Clock } from '../util/clock.js';

/**
 * Where a list element that is not a kombu envelope goes (docs/redis-protocol.md, "A broken message"): the list
 * `_camq.broken.<queue>` (no worker consumes it; `LRANGE` reads it, `LMOVE … <queue>` puts one back). kombu's
 * BRPOP loop raises on such an element after taking it, which loses it; camq keeps it aside instead.
 */
export function brokenList(queue: string): string {
  return `_camq.broken.${queue}`;
}

/** Milliseconds between two log lines about broken messages; the ones in between are counted into the next. */
export const BROKEN_LOG_INTERVAL_MS = 10_000;

/**
 * One log line per interval about broken messages, however many arrive (a flood of bad input never floods the log):
 * the first at once, later ones at most every BROKEN_LOG_INTERVAL_MS, saying how many were set aside meanwhile.
 */
export class BrokenMessageLog {
  private lastAt = -Infinity;
  private unreported = 0;

  constructor(
    private readonly clock: Clock,
    private readonly write: (line: string) => void,
  ) {}

  /** A broken message was taken from `queue` and `where` says what became of it; `reason` is the parse error. */
  report(queue: string, reason: string, where: string): void {
    this.unreported++;
    const now = this.clock.monotonic();
    if (now - this.lastAt < BROKEN_LOG_INTERVAL_MS) return;
    this.lastAt = now;
    const more = this.unreported > 1 ? ` (${this.unreported} since the last note)` : '';
    this.unreported = 0;
    this.write(`camq: a message on Redis queue '${queue}' is not a kombu envelope (${reason}); ${where}${more}`);
  }
}
