/**
 * EventReceiver on the shared in-memory transport (test/fakes/fake-transport.ts): what it declares and consumes, the
 * events it emits, and how it follows a reconnect, a consumer the broker cancelled and a channel the broker closed.
 * The same receiver runs against RabbitMQ, the embedded broker and a Python worker in
 * test/integration/events-receiver.int.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { ConnectionClosedError } from '../../../src/errors/index.js';
import type { ConnectionStatus } from '../../../src/events/connection-status.js';
import { EventReceiver } from '../../../src/events/event-receiver.js';
import { buildEvent, buildEventMessage, type EventEnvelope } from '../../../src/protocol/event-message.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { FakeTransport } from '../../fakes/fake-transport.js';

const SOURCE = { hostname: 'w1@h', pid: 42, clock: () => 3, utcoffset: 0, now: () => 1_699_999_999_000 };

function heartbeat(): ReturnType<typeof buildEventMessage> {
  return buildEventMessage(buildEvent('worker-heartbeat', { freq: 2, active: 0, processed: 1, loadavg: [0, 0, 0], sw_ident: 'py-celery' }, SOURCE));
}

async function started(options: { wakeupWorkers?: boolean } = {}) {
  const transport = new FakeTransport();
  const clock = new ManualClock(1_700_000_000_000);
  const receiver = new EventReceiver({ connection: transport, clock, ...options });
  const events: EventEnvelope[][] = [];
  const statuses: ConnectionStatus[] = [];
  const problems: string[] = [];
  receiver.on('events', (batch) => events.push(batch));
  receiver.on('status', (status) => statuses.push(status));
  receiver.on('decode-error', (reason) => problems.push(reason));
  await receiver.start();
  await transport.connect();
  return { transport, clock, receiver, events, statuses, problems };
}

describe('EventReceiver', () => {
  it("declares celeryev and a queue of its own with Celery's TTL and expiry, bound with #, consumed without acks", async () => {
    const { transport, receiver } = await started();
    const queue = receiver.queue!;
    expect(queue).toMatch(/^celeryev\.[0-9a-f-]{36}$/);
    const channel = transport.consumerOf(queue);
    expect(channel.declared).toEqual(['exchange:celeryev', `queue:${queue}`, `bind:celeryev->${queue}:#`]);
    expect(transport.exchanges.get('celeryev')).toBe('topic');
    expect(transport.queueOptions.get(queue)).toEqual({
      exclusive: true,
      autoDelete: true,
      durable: false,
      arguments: { 'x-message-ttl': 5000, 'x-expires': 60000 },
    });
    expect([...channel.consumers.values()]).toEqual([expect.objectContaining({ queue, noAck: true })]);
    expect(receiver.status).toMatchObject({ phase: 'connected', queue, broker: transport.masked });
  });

  it('wakes the workers with a heartbeat cast on a channel of its own, and closes that channel', async () => {
    const { transport, receiver } = await started();
    const [cast] = transport.published.filter((p) => p.exchange === 'celery.pidbox');
    expect(cast!.body).toMatchObject({ method: 'heartbeat', destination: null });
    expect(cast!.body).not.toHaveProperty('reply_to');
    const castChannel = transport.channels.find((c) => c.published.includes(cast!))!;
    expect(castChannel).not.toBe(transport.consumerOf(receiver.queue!));
    expect(castChannel.closed).toBe(true);
  });

  it('sends no wake-up when told not to', async () => {
    const { transport } = await started({ wakeupWorkers: false });
    expect(transport.published).toEqual([]);
    expect(transport.channels).toHaveLength(1);
  });

  it('emits each delivery as events stamped with local_received, and a body it cannot read as decode-error', async () => {
    const { transport, receiver, events, problems } = await started();
    const queue = receiver.queue!;
    transport.consumerOf(queue).deliver(queue, heartbeat());
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual([expect.objectContaining({ type: 'worker-heartbeat', hostname: 'w1@h', local_received: 1_700_000_000 })]);
    transport.consumerOf(queue).deliver(queue, { content: Buffer.from('{not json'), properties: { contentType: 'application/json' } });
    expect(events).toHaveLength(1);
    expect(problems).toHaveLength(1);
  });

  it('after a reconnect: says so in its status, and consumes a fresh queue on the new connection', async () => {
    const { transport, receiver, statuses, events } = await started();
    const before = receiver.queue!;
    await transport.bounce();
    expect(statuses.map((s) => s.phase)).toContain('reconnecting');
    expect(receiver.status).toMatchObject({ phase: 'connected', reconnects: 1 });
    const after = receiver.queue!;
    expect(after).not.toBe(before);
    expect(transport.consumerOf(after).closed).toBe(false);
    transport.consumerOf(after).deliver(after, heartbeat());
    expect(events).toHaveLength(1);
  });

  it('declares and consumes a new queue when the broker cancels its consumer (the queue was deleted)', async () => {
    const { transport, receiver, events } = await started({ wakeupWorkers: false });
    const first = receiver.queue!;
    transport.consumerOf(first).cancelConsumers(first);
    await vi.waitFor(() => expect(receiver.queue).not.toBe(first));
    const second = receiver.queue!;
    transport.consumerOf(second).deliver(second, heartbeat());
    expect(events).toHaveLength(1);
    expect(receiver.status.queue).toBe(second);
  });

  it('a channel the broker closed does not crash it, and stop() still ends cleanly', async () => {
    const { transport, receiver } = await started({ wakeupWorkers: false });
    const channel = transport.consumerOf(receiver.queue!);
    channel.brokerClose(406, 'PRECONDITION_FAILED - something');
    await expect(receiver.stop()).resolves.toBeUndefined();
    expect(receiver.status.phase).toBe('closed');
  });

  it('declares and consumes anew when the broker closes its channel while the connection stays up', async () => {
    const { transport, receiver, events } = await started({ wakeupWorkers: false });
    const first = receiver.queue!;
    transport.consumerOf(first).brokerClose(406, 'PRECONDITION_FAILED - something');
    await vi.waitFor(() => expect(receiver.queue).not.toBe(first));
    const second = receiver.queue!;
    transport.consumerOf(second).deliver(second, heartbeat());
    expect(events).toHaveLength(1);
  });

  it('a connection loss closes its channel without a second declare: the reconnect declares one queue', async () => {
    const { transport, receiver } = await started({ wakeupWorkers: false });
    await transport.bounce();
    const consuming = transport.channels.filter((c) => !c.closed && c.consumers.size > 0);
    expect(consuming).toHaveLength(1);
    expect(receiver.queue).toBe([...consuming[0]!.consumers.values()][0]!.queue);
  });

  it('stop() deletes its queue, closes its channel, and leaves the transport alone; a later reconnect declares nothing', async () => {
    const { transport, receiver } = await started({ wakeupWorkers: false });
    const queue = receiver.queue!;
    const channel = transport.consumerOf(queue);
    await receiver.stop();
    expect(channel.declared.at(-1)).toBe(`delete-queue:${queue}`);
    expect(channel.closed).toBe(true);
    expect(transport.isOpen).toBe(true);
    await transport.bounce();
    expect(transport.channels).toHaveLength(1);
    expect(receiver.status.phase).toBe('closed');
  });

  it('follows the connection: failed when reconnecting gave up', async () => {
    const { transport, receiver } = await started();
    transport.emit('failed', new ConnectionClosedError('gave up'));
    expect(receiver.status).toMatchObject({ phase: 'failed', error: 'gave up' });
  });
});
