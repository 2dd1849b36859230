/**
 * A name only one owner holds at a time, on a broker whose queues cannot be exclusive to a connection (Redis: kombu
 * ignores `exclusive`, and a queue is only data). On AMQP an exclusive queue is that lock, and its transport does not
 * offer this; a transport that does offers it as `Transport.exclusiveClaims`, and an engine that needs a lock (beat's,
 * src/beat/beat-lock.ts) takes it when it is there: by capability, never by URL scheme.
 */
export interface ExclusiveClaims {
  /** How long a holder that died without releasing keeps the name, in milliseconds (it is renewed while held). */
  readonly leaseMs: number;
  /**
   * Take `name` for `owner` (a token the caller keeps, so a reconnect finds its own claim again), renewed while held.
   * Resolves to null when another owner holds it. `onLost` is called (once) when a renewal finds it held by another
   * owner or cannot reach the server.
   */
  claim(name: string, owner: string, onLost: (reason: string) => void): Promise<ExclusiveClaim | null>;
}

export interface ExclusiveClaim {
  /** Stop renewing and give the name up (if still ours). */
  release(): Promise<void>;
}
