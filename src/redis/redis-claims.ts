import type { ExclusiveClaim, ExclusiveClaims } from '../transport/exclusive-claims.js';
import type { TimerHandle } from '../util/clock.js';
import type { RedisLink } from './redis-link.js';

/** How long a claim outlives a holder killed without releasing it. */
export const CLAIM_LEASE_MS = 10_000;

/** The key of a claim: `_camq.claim.<name>`, with kombu's global_keyprefix in front like every key of the transport. */
export function claimKey(name: string): string {
  return `_camq.claim.${name}`;
}

/**
 * Exclusive claims on Redis: a key holding the owner's token with a lease (`SET NX PX`), renewed every third of the
 * lease by the same script (ours: extend; free: take again; another's: lost), deleted on release only if still ours.
 * A holder that dies keeps the name for at most the lease (docs/redis-protocol.md, Beat's lock).
 */
export class RedisClaims implements ExclusiveClaims {
  readonly leaseMs: number;

  constructor(
    private readonly link: RedisLink,
    leaseMs = CLAIM_LEASE_MS,
  ) {
    this.leaseMs = leaseMs;
  }

  async claim(name: string, owner: string, onLost: (reason: string) => void): Promise<ExclusiveClaim | null> {
    const key = this.link.key(claimKey(name));
    const take = () => this.link.requireClient().claimName(key, owner, String(this.leaseMs));
    let taken: number;
    try {
      taken = await take();
    } catch (err) {
      throw this.link.translate(err);
    }
    if (taken !== 1) return null;
    let released = false;
    const lose = (reason: string) => {
      if (released) return;
      released = true;
      timer.cancel();
      onLost(reason);
    };
    const timer: TimerHandle = this.link.clock.setInterval(() => {
      if (released) return;
      if (!this.link.isOpen) return lose('the connection to Redis was lost');
      take().then(
        (ok) => {
          if (ok !== 1) lose(`another owner holds '${key}'`);
        },
        (err: unknown) => lose(this.link.translate(err).message),
      );
    }, this.leaseMs / 3);
    timer.unref();
    return {
      release: async () => {
        if (released) return;
        released = true;
        timer.cancel();
        if (!this.link.isOpen) return;
        await this.link
          .requireClient()
          .releaseMutex(key, owner)
          .catch(() => 0);
      },
    };
  }
}
