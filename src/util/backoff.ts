/** Exponential backoff with jitter, as used for broker reconnects. */
export interface BackoffOptions {
  /** @defaultValue 200 */
  readonly initialMs?: number;
  /** @defaultValue 10_000 */
  readonly maxMs?: number;
  /** @defaultValue 2 */
  readonly factor?: number;
  /** Fraction of the delay added or removed at random, 0..1. @defaultValue 0.2 */
  readonly jitter?: number;
}

/** The delay before retry number `attempt` (1-based). `random` returns [0, 1); injectable for tests. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialMs ?? 200;
  const max = options.maxMs ?? 10_000;
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 0.2;
  const base = Math.min(max, initial * factor ** Math.max(0, attempt - 1));
  const spread = base * jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(max, base + spread)));
}
