import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { WorkerMetrics } from '../../../src/metrics/index.js';
import { buildTaskMessage, type TaskSendOptions } from '../../../src/protocol/index.js';
import { systemClock, type Clock } from '../../../src/util/clock.js';
import { startWorkerOnFake } from '../worker/worker-on-fake.js';

/** The worker's public face WorkerMetrics reads, without a broker: its task-done event and inspect lists. */
class WorkerFace extends EventEmitter {
  activeList: unknown[] = [];
  reservedList: unknown[] = [];
  monotonicMs = 10_000;
  readonly clock: Clock = { ...systemClock, monotonic: () => this.monotonicMs };
  active = () => this.activeList;
  reserved = () => this.reservedList;
}

describe('WorkerMetrics', () => {
  it('counts finished tasks by name and state, observes runtime on success, reads active and prefetched at scrape', async () => {
    const face = new WorkerFace();
    const metrics = new WorkerMetrics(face);
    try {
      face.emit('task-done', { name: 'tasks.add', startedAt: 9_700 }, { kind: 'success' });
      face.emit('task-done', { name: 'tasks.add', startedAt: 9_000 }, { kind: 'failure' });
      face.emit('task-done', { name: 'tasks.fail', startedAt: 9_000 }, { kind: 'killed' });
      face.emit('task-done', { name: 'tasks.retry', startedAt: 9_000 }, { kind: 'retry' });
      face.activeList = [1, 2];
      face.reservedList = [1, 2, 3];
      const text = await metrics.registry.metrics();
      expect(text).toContain('camq_worker_tasks_total{name="tasks.add",state="succeeded"} 1');
      expect(text).toContain('camq_worker_tasks_total{name="tasks.add",state="failed"} 1');
      expect(text).toContain('camq_worker_tasks_total{name="tasks.fail",state="failed"} 1');
      expect(text).toContain('camq_worker_tasks_total{name="tasks.retry",state="retried"} 1');
      // 0.3 s: in the 0.5 bucket, not the 0.25 one.
      expect(text).toContain('camq_worker_task_runtime_seconds_bucket{le="0.25",name="tasks.add"} 0');
      expect(text).toContain('camq_worker_task_runtime_seconds_bucket{le="0.5",name="tasks.add"} 1');
      expect(text).toMatch(/^camq_worker_tasks_active 2$/m);
      expect(text).toMatch(/^camq_worker_tasks_prefetched 3$/m);
      expect(text).toMatch(/^camq_worker_event_loop_lag_seconds \d/m);
      expect(text).not.toMatch(/^celery_/m);
    } finally {
      metrics.stop();
    }
    expect(face.listenerCount('task-done')).toBe(0);
  });

  it('counts tasks answered without running: revoked and expired as revoked, an unregistered one as rejected', async () => {
    const s = await startWorkerOnFake();
    const metrics = new WorkerMetrics(s.worker);
    try {
      const send = (opts: Omit<TaskSendOptions, 'queue'>) => {
        const msg = buildTaskMessage({ ...opts, queue: 'q' });
        s.tasks.deliver('q', msg);
      };
      s.worker.revoked.add('revoked-before-it-came');
      send({ name: 'tasks.add', id: 'revoked-before-it-came', args: [1, 2] });
      send({ name: 'tasks.add', args: [1, 2], expires: new Date(Date.now() - 60_000) });
      send({ name: 'tasks.nope', args: [] });
      const text = await metrics.registry.metrics();
      expect(text).toContain('camq_worker_tasks_total{name="tasks.add",state="revoked"} 2');
      expect(text).toContain('camq_worker_tasks_total{name="tasks.nope",state="rejected"} 1');
    } finally {
      metrics.stop();
      await s.worker.stop('cold');
    }
    expect(s.worker.listenerCount('task-discarded')).toBe(0);
  });
});
