import { describe, expect, it } from 'vitest';
import {
  buildEvent,
  buildEventMessage,
  decodeEventMessage,
  eventGroup,
  isTaskEvent,
  isWorkerEvent,
  pythonUtcOffset,
  stampReceived,
  type TaskSucceededEvent,
  type WorkerHeartbeatEvent,
} from '../../../src/protocol/event-message.js';
import { eventRoutingKey } from '../../../src/protocol/topology.js';

const source = { hostname: 'w1@vm', pid: 7804, clock: () => 15, now: () => 1795287759012.3633, utcoffset: 0 };

describe('events (PROTOCOL.md §4)', () => {
  it('stamps the envelope fields as the dispatcher does', () => {
    const event = buildEvent<TaskSucceededEvent>('task-succeeded', { uuid: 'u1', result: '4', runtime: 0.0003 }, source);
    expect(event).toEqual({
      hostname: 'w1@vm',
      utcoffset: 0,
      pid: 7804,
      clock: 15,
      uuid: 'u1',
      result: '4',
      runtime: 0.0003,
      timestamp: 1795287759.0123632,
      type: 'task-succeeded',
    });
  });

  it('sends worker events singly with the type as routing key', () => {
    const event = buildEvent<WorkerHeartbeatEvent>(
      'worker-heartbeat',
      { freq: 2, active: 0, processed: 0, loadavg: [0.17, 0.36, 0.19], sw_ident: 'camq', sw_ver: '0.1.0', sw_sys: 'Linux' },
      source,
    );
    const msg = buildEventMessage(event);
    expect([msg.exchange, msg.routingKey]).toEqual(['celeryev', 'worker.heartbeat']);
    expect(msg.properties).toMatchObject({ deliveryMode: 1, headers: { hostname: 'w1@vm' }, contentType: 'application/json' });
    expect(JSON.parse(msg.content.toString())).toEqual(event);
  });

  it('batches task events as an array on task.multi', () => {
    const a = buildEvent('task-started', { uuid: 'u1' }, source);
    const b = buildEvent('task-succeeded', { uuid: 'u1', result: '4', runtime: 0.1 }, source);
    const msg = buildEventMessage([a, b]);
    expect(msg.routingKey).toBe('task.multi');
    expect(JSON.parse(msg.content.toString())).toEqual([a, b]);
  });

  it('decodes single objects and arrays, dispatching on each type', () => {
    const single = decodeEventMessage(Buffer.from('{"type": "worker-online", "hostname": "w1@vm"}'));
    expect(single.ok && single.events.map((e) => e.type)).toEqual(['worker-online']);
    const multi = decodeEventMessage(Buffer.from('[{"type": "task-started", "uuid": "u"}, 42, {"type": "task-succeeded", "uuid": "u"}]'));
    expect(multi.ok && multi.events.map((e) => e.type)).toEqual(['task-started', 'task-succeeded']);
    expect(decodeEventMessage(Buffer.from('nope')).ok).toBe(false);
    expect(decodeEventMessage(Buffer.from('{"no": "type"}')).ok).toBe(false);
    expect(decodeEventMessage(Buffer.from('[]'))).toEqual({ ok: true, events: [] });
  });

  it('classifies events and their groups', () => {
    expect(isTaskEvent({ type: 'task-started', uuid: 'u' } as never)).toBe(true);
    expect(isTaskEvent({ type: 'task-started' } as never)).toBe(false);
    expect(isWorkerEvent({ type: 'worker-offline' } as never)).toBe(true);
    expect(eventGroup('worker-elect-ack')).toBe('worker');
    expect(eventRoutingKey('worker-elect-ack')).toBe('worker.elect.ack');
  });

  it('computes utcoffset as time.timezone // 3600 (sign inverted, floored)', () => {
    const fakeDate = (minutesWest: number) => ({ getTimezoneOffset: () => minutesWest }) as Date;
    expect(pythonUtcOffset(fakeDate(0))).toBe(0);
    expect(pythonUtcOffset(fakeDate(300))).toBe(5); // New York, UTC-5
    expect(pythonUtcOffset(fakeDate(-330))).toBe(-6); // Kolkata, UTC+5:30
    expect(pythonUtcOffset(fakeDate(-60))).toBe(-1); // Berlin, UTC+1
  });

  it('records the local receipt time without moving the sender timestamp', () => {
    const event = stampReceived({ type: 'worker-heartbeat', hostname: 'w', timestamp: 100.5, utcoffset: 5, pid: 1, clock: 1 }, 101_250);
    expect(event.local_received).toBe(101.25);
    expect(event.timestamp).toBe(100.5);
  });
});
