/**
 * Exponential backoff with "equal jitter", as used for broker reconnects: attempt n waits a random time in
 * [base·(1 − jitter), base], where base = min(maxMs, initialMs · factor^(n−1)).
 *
 * The defaults (0.2 s doubling to a 2.5 s cap, jitter 0.5) bound the wait after a broker comes back to 2.5 s, where
 * the former 10 s cap left a worker idle up to 10 s. A broker that is down sees at most one attempt per 1.25 s from
 * each client (a refused TCP connect or a failed handshake, cheap for it), and clients that lost it together spread
 * their attempts over half the cap instead of arriving at once. For comparison: amqplib 2.3's own recovery starts at
 * 100 ms and doubles to 30 s with ±20 % jitter; kombu (Celery's worker) waits 2 s, 4 s, 6 s … up to 30 s, linearly.
 * Both favour the broker over the time to resume; a worker's queue is what waits meanwhile.
 */
export interface BackoffOptions {
  /** @defaultValue 200 */
  readonly initialMs?: number;
  /** @defaultValue 2_500 */
  readonly maxMs?: number;
  /** @defaultValue 2 */
  readonly factor?: number;
  /** Fraction of the delay that is random, 0..1: the delay is in [base·(1 − jitter), base]. @defaultValue 0.5 */
  readonly jitter?: number;
  /** Returns [0, 1); injectable for tests. @defaultValue Math.random */
  readonly random?: () => number;
}

export const DEFAULT_BACKOFF = { initialMs: 200, maxMs: 2_500, factor: 2, jitter: 0.5 } as const;

/** The delay before retry number `attempt` (1-based). Never above `maxMs`. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = options.random ?? Math.random): number {
  const initial = options.initialMs ?? DEFAULT_BACKOFF.initialMs;
  const max = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const factor = options.factor ?? DEFAULT_BACKOFF.factor;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? DEFAULT_BACKOFF.jitter));
  const base = Math.min(max, initial * factor ** Math.max(0, attempt - 1));
  return Math.max(0, Math.round(base * (1 - jitter * random())));
}
