import { describe, expect, it } from 'vitest';
import { ClusterStore } from '../../../src/events/cluster-store.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { taskReceived, workerEvent } from '../../fakes/event-script.js';

describe('ClusterStore', () => {
  it('applies events at once but publishes at most 10 snapshots a second under a burst', () => {
    const clock = new ManualClock();
    const store = new ClusterStore({ clock });
    let notified = 0;
    store.subscribe(() => notified++);
    // 5 seconds of 2000 events a second, delivered every millisecond.
    for (let ms = 0; ms < 5000; ms++) {
      store.dispatch([taskReceived(`t${ms}-a`, 'w1@vm', clock.now()), taskReceived(`t${ms}-b`, 'w1@vm', clock.now())]);
      expect(store.state.eventCount).toBe((ms + 1) * 2);
      clock.advance(1);
    }
    clock.advance(200);
    expect(notified).toBeGreaterThanOrEqual(49);
    expect(notified).toBeLessThanOrEqual(51);
    expect(store.getSnapshot().version).toBe(10_000);
  });

  it('keeps the same snapshot object until it publishes, then a new one (for useSyncExternalStore)', () => {
    const clock = new ManualClock();
    const store = new ClusterStore({ clock, broker: 'amqp://guest:**@h:5672//' });
    const first = store.getSnapshot();
    expect(first.connection).toMatchObject({ phase: 'connecting', broker: 'amqp://guest:**@h:5672//' });
    store.dispatch([workerEvent('online', 'w1@vm', clock.now())]);
    expect(store.getSnapshot()).toBe(first);
    clock.advance(0);
    const second = store.getSnapshot();
    expect(second).not.toBe(first);
    expect(second.version).toBe(1);
    expect(store.getSnapshot()).toBe(second);
  });

  it('publishes a connection change, and nothing after close', () => {
    const clock = new ManualClock();
    const store = new ClusterStore({ clock });
    let notified = 0;
    const unsubscribe = store.subscribe(() => notified++);
    store.setConnection({ phase: 'reconnecting', broker: 'x', reconnects: 0, error: 'lost' });
    clock.advance(0);
    expect(store.getSnapshot().connection.phase).toBe('reconnecting');
    expect(notified).toBe(1);
    unsubscribe();
    store.dispatch([workerEvent('online', 'w1@vm', clock.now())]);
    clock.advance(1000);
    expect(notified).toBe(1);
    store.close();
    store.dispatch([workerEvent('online', 'w2@vm', clock.now())]);
    expect(clock.pending).toBe(0);
  });

  it('routine heartbeats of an idle cluster publish once in 5 s; a worker coming online or a task at once', () => {
    const clock = new ManualClock();
    const store = new ClusterStore({ clock });
    let notified = 0;
    store.subscribe(() => notified++);
    const hosts = Array.from({ length: 10 }, (_, i) => `w${i}@vm`);
    store.dispatch(hosts.map((h) => workerEvent('online', h, clock.now())));
    clock.advance(0);
    expect(notified).toBe(1);

    // 20 s of 10 workers heartbeating every 2 s, each at its own moment: 100 deliveries.
    for (let ms = 0; ms < 20_000; ms += 200) {
      store.dispatch([workerEvent('heartbeat', hosts[(ms / 200) % 10]!, clock.now())]);
      clock.advance(200);
    }
    expect(notified).toBeGreaterThanOrEqual(4);
    expect(notified).toBeLessThanOrEqual(6);
    // Applied at once all the same: the view reads the live state on its own once-a-second tick.
    expect(store.state.workers.get('w9@vm')!.lastHeartbeat * 1000).toBeGreaterThan(clock.now() - 2200);

    const before = notified;
    store.dispatch([workerEvent('heartbeat', 'new@vm', clock.now())]);
    clock.advance(100);
    expect(notified).toBe(before + 1);
    store.dispatch([workerEvent('heartbeat', 'w0@vm', clock.now())]);
    clock.advance(100);
    store.dispatch([taskReceived('t1', 'w0@vm', clock.now())]);
    clock.advance(100);
    expect(notified).toBe(before + 2);
  });
});
