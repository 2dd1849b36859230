import { describe, expect, it } from 'vitest';
import { CamqError } from '../../../src/errors/index.js';
import { QueueDepthHistory, QueueGrowth, QueueWatcher, queuePaneView, type QueueListing } from '../../../src/queues/index.js';
import { isSameQueuePaneView } from '../../../src/queues/queue-pane-rows.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { queueFigures } from '../../fakes/queue-figures.js';

function listing(takenAt: number, queues: QueueListing['queues'], missing: string | null = null): QueueListing {
  return { source: missing === null ? 'api' : 'amqp', api: null, queues, takenAt, brokerMs: 1, missing };
}

describe('QueueDepthHistory', () => {
  it('keeps ready + unacked per listing, oldest first, up to its length, and forgets queues no longer listed', () => {
    const history = new QueueDepthHistory(3);
    for (let i = 1; i <= 4; i++) history.observe(listing(i, [queueFigures('a', { ready: i * 10, unacked: 1 }), queueFigures('b', { ready: i })]));
    expect(history.of('/', 'a')).toEqual([21, 31, 41]);
    history.observe(listing(5, [queueFigures('a', { ready: 0, unacked: null })]));
    expect(history.of('/', 'a')).toEqual([31, 41, 0]);
    expect(history.of('/', 'b')).toEqual([]);
  });
});

describe('queuePaneView', () => {
  it('rows deepest first without housekeeping queues, the backlog, markers and depths', () => {
    const growth = new QueueGrowth();
    const history = new QueueDepthHistory();
    const first = listing(0, [queueFigures('celery', { ready: 5, consumers: 1, readyRate: 0 }), queueFigures('stuck', { ready: 7 })]);
    const second = listing(5000, [
      queueFigures('celery', { ready: 3, consumers: 1, readyRate: 0 }),
      queueFigures('stuck', { ready: 9, readyRate: 0 }),
      queueFigures('celeryev.1234', { ready: 100 }),
      queueFigures('w1@vm.celery.pidbox', { ready: 0, consumers: 1 }),
    ]);
    for (const l of [first, second]) {
      growth.observe(l);
      history.observe(l);
    }
    const view = queuePaneView({ listing: second, error: null, polls: 2 }, growth, history);
    expect(view.rows.map((r) => r.name)).toEqual(['stuck', 'celery']);
    expect(view.rows[0]).toMatchObject({ ready: 9, markers: ['no-consumer', 'growing'], depths: [7, 9] });
    expect(view.rows[1]).toMatchObject({ ready: 3, consumers: 1, markers: [], depths: [5, 3] });
    expect(view).toMatchObject({ source: 'api', backlog: 12, hiddenHousekeeping: 2, missing: null, error: null, takenAt: 5000 });
  });

  it('says what is missing on the AMQP fallback, and keeps the last rows beside a failed listing', () => {
    const l = listing(0, [queueFigures('celery', { ready: 2, unacked: null })], 'no management API (404)');
    const failed = new CamqError('queues.no-figures', 'the broker went away');
    const view = queuePaneView({ listing: l, error: failed, polls: 2 }, new QueueGrowth(), new QueueDepthHistory());
    expect(view).toMatchObject({ source: 'amqp', missing: 'no management API (404)', error: 'the broker went away', backlog: 2 });
    const none = queuePaneView({ listing: null, error: failed, polls: 1 }, new QueueGrowth(), new QueueDepthHistory());
    expect(none).toMatchObject({ source: null, rows: [], error: 'the broker went away' });
  });
});

describe('QueueWatcher.refresh', () => {
  it('lists now instead of at the next interval, and never twice at once', async () => {
    const clock = new ManualClock();
    let calls = 0;
    let release: (() => void) | undefined;
    const lister = {
      list: () =>
        new Promise<QueueListing>((resolve) => {
          calls++;
          release = () => resolve(listing(clock.now(), [queueFigures('q', { ready: calls })]));
        }),
    };
    const watcher = new QueueWatcher(lister, { clock, intervalMs: 60_000 });
    watcher.start();
    watcher.refresh();
    expect(calls).toBe(1);
    release!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(watcher.history.of('/', 'q')).toEqual([1]);
    watcher.refresh();
    expect(calls).toBe(2);
    release!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(watcher.history.of('/', 'q')).toEqual([1, 2]);
    watcher.stop();
  });
});

describe('isSameQueuePaneView', () => {
  it('is true for a listing that changed nothing shown (the blank sparkline of an idle queue growing by one 0 included)', () => {
    const growth = new QueueGrowth();
    const history = new QueueDepthHistory();
    const queues = [queueFigures('celery', { ready: 0, consumers: 1 }), queueFigures('w1@h.celery.pidbox', { ready: 0, consumers: 1 })];
    const view = (takenAt: number, q = queues) => {
      const l = listing(takenAt, q);
      growth.observe(l);
      history.observe(l);
      return queuePaneView({ listing: l, error: null, polls: 1 }, growth, history);
    };
    const first = view(0);
    const second = view(5000);
    expect(second.rows[0]!.depths).toHaveLength(2);
    expect(isSameQueuePaneView(first, second)).toBe(true);
    const third = view(10_000, [queueFigures('celery', { ready: 4, consumers: 1 }), queues[1]!]);
    expect(isSameQueuePaneView(second, third)).toBe(false);
    expect(isSameQueuePaneView(third, view(15_000, [queueFigures('celery', { ready: 4, consumers: 1 }), queues[1]!]))).toBe(false);
    expect(isSameQueuePaneView(second, { ...second, hiddenHousekeeping: 2 })).toBe(false);
  });
});
