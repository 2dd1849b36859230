import { describe, expect, it } from 'vitest';
import { decodeDelivery } from '../../../src/events/decode-delivery.js';
import { buildEventMessage, type EventEnvelope } from '../../../src/protocol/event-message.js';
import { LamportClock } from '../../../src/protocol/lamport-clock.js';
import type { IncomingMessage } from '../../../src/protocol/amqp-message.js';

const base = { hostname: 'w1@vm', utcoffset: 0, pid: 7804, timestamp: 1795287759.01 };

function delivery(body: unknown, routingKey = 'task.multi', contentType = 'application/json'): IncomingMessage {
  return {
    content: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    properties: { contentType },
    fields: { exchange: 'celeryev', routingKey, redelivered: false, deliveryTag: 1 },
  };
}

describe('decodeDelivery (the receiver decode path)', () => {
  it('reads a task.multi batch built like a Python worker sends it, dispatching on each type', () => {
    const events = [
      { ...base, clock: 14, uuid: 'u1', type: 'task-received', name: 'tasks.add', args: '(2, 2)', kwargs: '{}' },
      { ...base, clock: 15, uuid: 'u1', type: 'task-started' },
      { ...base, clock: 16, uuid: 'u1', type: 'task-succeeded', result: '4', runtime: 0.0003 },
    ] as unknown as EventEnvelope[];
    const msg = buildEventMessage(events);
    expect(msg.routingKey).toBe('task.multi');
    const out = decodeDelivery(
      { ...msg, fields: { exchange: 'celeryev', routingKey: msg.routingKey, redelivered: false, deliveryTag: 1 } },
      1795287760.5,
      new LamportClock(),
    );
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.events.map((e) => e.type)).toEqual(['task-received', 'task-started', 'task-succeeded']);
    expect(out.events.every((e) => e.local_received === 1795287760.5)).toBe(true);
  });

  it('reads a single worker event', () => {
    const out = decodeDelivery(delivery({ ...base, clock: 2, type: 'worker-heartbeat', freq: 2.0 }, 'worker.heartbeat'), 10, new LamportClock());
    expect(out.ok && out.events[0]!.type).toBe('worker-heartbeat');
  });

  it('replaces a task-sent clock by the receiver clock minus one and adjusts on worker clocks (Celery rules)', () => {
    const lamport = new LamportClock();
    decodeDelivery(delivery({ ...base, clock: 40, type: 'worker-heartbeat' }), 1, lamport);
    expect(lamport.value).toBe(41);
    const sent = decodeDelivery(delivery({ ...base, hostname: 'gen1@vm', clock: 1, uuid: 'u', type: 'task-sent' }), 1, lamport);
    expect(sent.ok && sent.events[0]!.clock).toBe(40);
    const noClock = decodeDelivery(delivery({ hostname: 'x', type: 'custom-thing' }), 1, lamport);
    expect(noClock.ok && noClock.events[0]!.clock).toBeGreaterThan(41);
  });

  it('refuses non-JSON and broken bodies with a reason, and drops array elements that are not events', () => {
    const pickle = decodeDelivery(delivery('x', 'worker.heartbeat', 'application/x-python-serialize'), 1, new LamportClock());
    expect(pickle).toEqual({ ok: false, error: expect.stringContaining('only JSON is accepted') });
    const broken = decodeDelivery(delivery('{nope'), 1, new LamportClock());
    expect(broken).toEqual({ ok: false, error: expect.stringContaining('not JSON') });
    const mixed = decodeDelivery(delivery([{ ...base, clock: 1, type: 'task-started', uuid: 'u' }, 5, { no: 'type' }]), 1, new LamportClock());
    expect(mixed.ok && mixed.events.length).toBe(1);
  });
});
