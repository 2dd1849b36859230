import { describe, expect, it } from 'vitest';
import { CamqError, ManagementApiError } from '../../../src/errors/index.js';
import { QueueWatcher, STATS_INTERVAL_MS, type QueueListing } from '../../../src/queues/index.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { queueFigures } from '../../fakes/queue-figures.js';

/** A lister that answers from a script, one step per call: a ready count, or an error to throw. */
function scriptedLister(clock: ManualClock, steps: (number | Error)[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    list: async (): Promise<QueueListing> => {
      const step = steps[Math.min(calls++, steps.length - 1)]!;
      if (step instanceof Error) throw step;
      return {
        source: 'api',
        api: null,
        queues: [queueFigures('q', { ready: step, readyRate: null })],
        takenAt: clock.now(),
        brokerMs: 1,
        missing: null,
      };
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('QueueWatcher', () => {
  it('lists now and then one interval after each listing, telling subscribers, and stops', async () => {
    const clock = new ManualClock();
    const lister = scriptedLister(clock, [1, 2, 3]);
    const watcher = new QueueWatcher(lister, { clock });
    const seen: number[] = [];
    watcher.subscribe(() => seen.push(watcher.getSnapshot().listing!.queues[0]!.ready));
    watcher.start();
    await settle();
    expect(seen).toEqual([1]);
    clock.advance(STATS_INTERVAL_MS - 1);
    await settle();
    expect(lister.calls).toBe(1);
    clock.advance(1);
    await settle();
    expect(seen).toEqual([1, 2]);
    clock.advance(STATS_INTERVAL_MS);
    await settle();
    expect(seen).toEqual([1, 2, 3]);
    // Growth over listings 5 s apart: 3 ready now against 1 ten seconds ago.
    expect(watcher.growth.isGrowing(watcher.getSnapshot().listing!.queues[0]!)).toBe(true);
    watcher.stop();
    clock.advance(STATS_INTERVAL_MS * 3);
    await settle();
    expect(lister.calls).toBe(3);
    expect(clock.pending).toBe(0);
  });

  it('keeps the last good listing beside an error, and goes on after it', async () => {
    const clock = new ManualClock();
    const lost = new ManagementApiError('api.unreachable', 'cannot reach the management API at http://h:15672 (ECONNREFUSED)');
    const watcher = new QueueWatcher(scriptedLister(clock, [4, lost, new Error('boom'), 6]), { clock, intervalMs: 1000 });
    watcher.start();
    await settle();
    clock.advance(1000);
    await settle();
    expect(watcher.getSnapshot()).toMatchObject({ error: lost, polls: 2, listing: { queues: [{ ready: 4 }] } });
    clock.advance(1000);
    await settle();
    const wrapped = watcher.getSnapshot().error!;
    expect(wrapped).toBeInstanceOf(CamqError);
    expect(wrapped.message).toBe('boom');
    clock.advance(1000);
    await settle();
    expect(watcher.getSnapshot()).toMatchObject({ error: null, polls: 4, listing: { queues: [{ ready: 6 }] } });
    watcher.stop();
  });
});
