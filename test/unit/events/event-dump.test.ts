import { describe, expect, it } from 'vitest';
import { EventDumper, pythonUtcDatetime } from '../../../src/events/event-dump.js';
import type { EventEnvelope } from '../../../src/protocol/event-message.js';

const ev = (e: Record<string, unknown>) => e as unknown as EventEnvelope;

describe('EventDumper (celery events --dump lines)', () => {
  it('formats a worker heartbeat like Celery: humanized type, sorted key=value fields with Python str()', () => {
    const line = new EventDumper().format(
      ev({
        hostname: 'w1@vm',
        utcoffset: 0,
        pid: 7804,
        clock: 2,
        freq: 2.5,
        active: 0,
        processed: 0,
        loadavg: [0.17, 0.36, 0.19],
        sw_ident: 'py-celery',
        sw_ver: '5.2.6',
        sw_sys: 'Linux',
        timestamp: 1795287747.2458432,
        type: 'worker-heartbeat',
        local_received: 1795287747.25,
      }),
    );
    expect(line).toBe(
      'w1@vm [2026-11-21 19:02:27.245843] heartbeat: active=0, clock=2, freq=2.5, loadavg=[0.17, 0.36, 0.19], local_received=1795287747.25, pid=7804, processed=0, sw_ident=py-celery, sw_sys=Linux, sw_ver=5.2.6, utcoffset=0',
    );
  });

  it('names later task events from the task-received seen before', () => {
    const d = new EventDumper();
    const received = d.format(
      ev({
        hostname: 'w1@vm',
        uuid: 'u1',
        name: 'tasks.add',
        args: '(2, 2)',
        kwargs: '{}',
        retries: 0,
        eta: null,
        timestamp: 1795287759,
        type: 'task-received',
      }),
    );
    expect(received).toBe('w1@vm [2026-11-21 19:02:39] task received: tasks.add(u1) args=(2, 2) kwargs={} eta=None, retries=0');
    const done = d.format(ev({ hostname: 'w1@vm', uuid: 'u1', result: "'ok'", runtime: 0.5, timestamp: 1795287760, type: 'task-succeeded' }));
    expect(done).toBe("w1@vm [2026-11-21 19:02:40] task succeeded: tasks.add(u1) args=(2, 2) kwargs={} result='ok', runtime=0.5");
    expect(d.format(ev({ hostname: 'h', uuid: 'zz', timestamp: 0, type: 'task-started' }))).toBe('h [1970-01-01 00:00:00] task started  ');
  });

  it('prints microseconds like Python, rounding up to the next second', () => {
    expect(pythonUtcDatetime(0.0000004)).toBe('1970-01-01 00:00:00');
    expect(pythonUtcDatetime(1.9999996)).toBe('1970-01-01 00:00:02');
    expect(pythonUtcDatetime(1.5)).toBe('1970-01-01 00:00:01.500000');
  });
});
