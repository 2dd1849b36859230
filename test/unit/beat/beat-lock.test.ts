/**
 * BeatLock on a transport whose queues cannot be exclusive (Redis): the lock is the transport's exclusive claim.
 * The claims here are an in-memory table shared by two fake connections, standing for one Redis database.
 */
import { describe, expect, it } from 'vitest';
import { BeatLock } from '../../../src/beat/beat-lock.js';
import type { ExclusiveClaim, ExclusiveClaims } from '../../../src/transport/index.js';
import { FakeTransport } from '../../fakes/fake-transport.js';

class ClaimTable {
  readonly owners = new Map<string, string>();
  readonly onLost = new Map<string, (reason: string) => void>();
}

class ClaimingTransport extends FakeTransport {
  readonly exclusiveClaims: ExclusiveClaims;

  constructor(table: ClaimTable) {
    super();
    this.exclusiveClaims = {
      leaseMs: 10_000,
      claim: (name, owner, onLost): Promise<ExclusiveClaim | null> => {
        const holder = table.owners.get(name);
        if (holder !== undefined && holder !== owner) return Promise.resolve(null);
        table.owners.set(name, owner);
        table.onLost.set(owner, onLost);
        return Promise.resolve({
          release: () => {
            if (table.owners.get(name) === owner) table.owners.delete(name);
            return Promise.resolve();
          },
        });
      },
    };
  }
}

describe('BeatLock with exclusive claims', () => {
  it('is held by one connection at a time, and free for the next once released', async () => {
    const table = new ClaimTable();
    const [a, b] = [new ClaimingTransport(table), new ClaimingTransport(table)];
    await Promise.all([a.connect(), b.connect()]);
    const first = new BeatLock(a);
    const second = new BeatLock(b);
    expect(await first.acquire()).toBe(true);
    // The queue alone would not have refused it: the claim does.
    expect(await second.acquire()).toBe(false);
    expect(second.held).toBe(false);
    await first.release();
    expect(table.owners.size).toBe(0);
    expect(await second.attempt()).toBe(true);
    expect(second.held).toBe(true);
    await second.release();
  });

  it("says 'lost' when its claim is lost (taken by another, or not renewable), and stops holding", async () => {
    const table = new ClaimTable();
    const a = new ClaimingTransport(table);
    await a.connect();
    const lock = new BeatLock(a);
    const lost: string[] = [];
    lock.on('lost', (reason) => lost.push(reason));
    expect(await lock.acquire()).toBe(true);
    const [owner, onLost] = [...table.onLost][0]!;
    table.owners.set('camq.beat.lock', 'someone-else');
    onLost("another owner holds '_camq.claim.camq.beat.lock'");
    expect(lost).toEqual(["the lock's claim was lost: another owner holds '_camq.claim.camq.beat.lock'"]);
    expect(lock.held).toBe(false);
    expect(await lock.attempt()).toBe(false);
    // Free again: the same lock takes it with the same owner token.
    table.owners.delete('camq.beat.lock');
    expect(await lock.attempt()).toBe(true);
    expect(table.owners.get('camq.beat.lock')).toBe(owner);
    await lock.release();
  });
});
