/**
 * Throttles password guessing. RabbitMQ answers a failed login at once (with the authentication_failure_close
 * capability) and leaves rate limiting to the operator; the embedded broker throttles it itself: after a login
 * from an address fails, the next login from that address is checked only `delayMs` later, and logins from there
 * that arrive meanwhile wait their turn, one check per delay while they keep failing. A successful check lets the
 * next one through at once. So 500 wrong passwords from one address take at least 500 delays whether they come one
 * after another or all at once (a correct one among them waits its turn like the rest and cannot be told apart
 * early), while logins from other addresses are not held up. Waiting logins cost a socket each, which the
 * connection cap and the handshake timeout bound.
 */
import type { Clock, TimerHandle } from '../util/clock.js';

/** The default wait after a failed login before the next check from the same address. */
export const DEFAULT_LOGIN_FAILURE_DELAY_MS = 1000;

/** Checks a login; true when it succeeded. */
export type LoginCheck = () => boolean;

interface Gate {
  /** No check before this time (epoch ms). */
  until: number;
  readonly waiting: LoginCheck[];
  timer: TimerHandle | undefined;
}

export class LoginThrottle {
  private readonly gates = new Map<string, Gate>();

  constructor(
    private readonly clock: Clock,
    readonly delayMs = DEFAULT_LOGIN_FAILURE_DELAY_MS,
  ) {}

  /** Logins waiting for their turn, from every address. */
  get waiting(): number {
    let count = 0;
    for (const gate of this.gates.values()) count += gate.waiting.length;
    return count;
  }

  /**
   * Run `check` now when `address` has no failure within the delay and nobody waiting, else in turn. Returns a
   * function that withdraws a check still waiting (its connection went away).
   */
  submit(address: string, check: LoginCheck): () => void {
    const gate = this.gates.get(address);
    if (gate === undefined || (gate.waiting.length === 0 && gate.until <= this.clock.now())) {
      this.run(address, check);
      return () => {};
    }
    gate.waiting.push(check);
    this.arm(address, gate);
    return () => {
      const index = gate.waiting.indexOf(check);
      if (index >= 0) gate.waiting.splice(index, 1);
      this.arm(address, gate);
    };
  }

  private run(address: string, check: LoginCheck): void {
    if (check()) return;
    const gate = this.gates.get(address) ?? { until: 0, waiting: [], timer: undefined };
    gate.until = this.clock.now() + this.delayMs;
    this.gates.set(address, gate);
    this.arm(address, gate);
  }

  /** Keep one timer per address while logins wait there; forget the address once it has none and no failure due. */
  private arm(address: string, gate: Gate): void {
    if (gate.waiting.length === 0) {
      gate.timer?.cancel();
      gate.timer = undefined;
      // The failure time is kept for the next login (it is the throttle) until it passes.
      gate.timer = this.clock
        .setTimeout(
          () => {
            gate.timer = undefined;
            if (gate.waiting.length === 0 && this.gates.get(address) === gate) this.gates.delete(address);
          },
          Math.max(0, gate.until - this.clock.now()),
        )
        .unref();
      return;
    }
    if (gate.timer !== undefined) gate.timer.cancel();
    gate.timer = this.clock
      .setTimeout(
        () => {
          gate.timer = undefined;
          const next = gate.waiting.shift();
          if (next !== undefined) this.run(address, next);
          if (this.gates.get(address) === gate) this.arm(address, gate);
        },
        Math.max(0, gate.until - this.clock.now()),
      )
      .unref();
  }
}
