/**
 * The embedded broker's firehose against RabbitMQ's (`rabbitmqctl trace_on` on this run's vhost): the same trace
 * message for the same publishes (routing key, header table, properties, body), nothing while tracing is off, and
 * deliveries left out of a `publish.#` binding. Checked through decodeTraceMessage, as the tap reads them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startEmbeddedBroker } from '../../../src/broker/embedded.js';
import type { IncomingMessage } from '../../../src/protocol/amqp-message.js';
import { decodeTraceMessage, TRACE_EXCHANGE } from '../../../src/protocol/trace-message.js';
import { createTransport } from '../../../src/transport/index.js';
import { useRabbitmq } from '../../helpers/brokers.js';
import { rabbitmqTraceTarget, type TraceTarget } from '../../helpers/trace-target.js';

const targets: TraceTarget[] = [];
if (await useRabbitmq('running against the embedded broker alone')) {
  targets.push(await rabbitmqTraceTarget('trace'));
}
const embedded = await startEmbeddedBroker({ port: 0 });
afterAll(() => embedded.close());
targets.push({
  name: 'embedded',
  url: embedded.url,
  vhost: '/',
  traceOn: async () => void embedded.server.traceOn('/'),
  traceOff: async () => void embedded.server.traceOff('/'),
});

describe.concurrent.each(targets)('$name', (target) => {
  it('copies each publish to amq.rabbitmq.trace with RabbitMQ’s header table, only while tracing is on', async () => {
    const connection = await createTransport(target.url).connect();
    const queue = `camq-test-trace-${randomUUID().slice(0, 8)}`;
    const traced: IncomingMessage[] = [];
    try {
      const channel = await connection.openChannel();
      const tap = (await channel.assertQueue('', { exclusive: true, autoDelete: true })).queue;
      await channel.bindQueue(tap, TRACE_EXCHANGE, 'publish.#');
      await channel.assertQueue(queue, { exclusive: true, autoDelete: true });
      await channel.consume(tap, (m) => void (m && traced.push(m)), { noAck: true });
      // Off by default (and after trace_off): nothing is copied.
      channel.publish('', queue, Buffer.from('before'), {});
      await channel.checkQueue(queue); // a round trip on the same channel: the broker has routed 'before'
      await target.traceOn();
      try {
        const headers = { id: 'abc', task: 't.x', nested: { n: 1 } };
        channel.publish('', queue, Buffer.from('[[1],{},{}]'), {
          contentType: 'application/json',
          contentEncoding: 'utf-8',
          headers,
          correlationId: 'abc',
          priority: 3,
          deliveryMode: 2,
          replyTo: 'rq',
        });
        channel.publish('amq.direct', 'nowhere', Buffer.from('x'), {});
        // A delivery is not a publish: consuming the queue adds no message to a publish.# tap.
        await channel.consume(queue, () => {}, { noAck: true });
        await vi.waitFor(() => expect(traced).toHaveLength(2), { timeout: 10_000 });
      } finally {
        await target.traceOff();
      }
      channel.publish('', queue, Buffer.from('after'), {});
      await channel.checkQueue(queue);
      await new Promise((r) => setTimeout(r, 300));
      expect(traced).toHaveLength(2);
      const [task, unroutable] = traced.map((m) => ({ key: m.fields.routingKey, decoded: decodeTraceMessage(m) }));
      expect(task!.key).toBe('publish.');
      expect(task!.decoded).toMatchObject({
        ok: true,
        publish: {
          exchange: '',
          routingKey: queue,
          properties: {
            contentType: 'application/json',
            contentEncoding: 'utf-8',
            headers: { id: 'abc', task: 't.x', nested: { n: 1 } },
            correlationId: 'abc',
            priority: 3,
            deliveryMode: 2,
            replyTo: 'rq',
          },
          routedQueues: [queue],
          vhost: target.vhost,
          user: 'guest',
        },
      });
      if (task!.decoded.ok) expect(task!.decoded.publish.body.toString()).toBe('[[1],{},{}]');
      expect(unroutable!.key).toBe('publish.amq.direct');
      expect(unroutable!.decoded).toMatchObject({ ok: true, publish: { exchange: 'amq.direct', routingKey: 'nowhere', routedQueues: [] } });
      const raw = traced[0]!.properties.headers!;
      expect(Object.keys(raw).sort()).toEqual([
        'channel',
        'connection',
        'exchange_name',
        'node',
        'properties',
        'routed_queues',
        'routing_keys',
        'user',
        'vhost',
      ]);
      expect(typeof raw['channel']).toBe('number');
    } finally {
      await connection.close();
    }
  });
});
