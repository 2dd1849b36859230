/**
 * What `rabbitmqctl list_queues / list_exchanges / list_bindings / close_all_connections` tells about RabbitMQ,
 * the embedded broker's server object tells about itself, so tests that inspect raw broker state can run on both.
 * This file inspects the embedded broker's raw state on purpose.
 */
import amqp, { type GetMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBrokerHandle } from '../../../src/broker/embedded.js';

describe('embedded broker introspection', () => {
  let broker: EmbeddedBrokerHandle;
  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 });
  });
  afterAll(() => broker.close());

  it('lists queues with ready and unacked counts, exchanges, bindings; closes connections like rabbitmqctl', async () => {
    const conn = await amqp.connect(broker.url);
    conn.on('error', () => {});
    const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
    const ch = await conn.createChannel();
    await ch.assertExchange('events', 'topic', { durable: false, autoDelete: true });
    await ch.assertQueue('work', { durable: true, arguments: { 'x-message-ttl': 60000 } });
    await ch.bindQueue('work', 'events', 'task.#');
    const consumer = await conn.createChannel();
    await consumer.consume('work', () => {});
    await consumer.close();
    for (const body of ['m1', 'm2', 'm3']) ch.sendToQueue('work', Buffer.from(body));
    const held = (await ch.get('work')) as GetMessage;
    expect(held.content.toString()).toBe('m1');

    expect(broker.server.listQueues()).toEqual([
      {
        name: 'work',
        messages: 2,
        unacked: 1,
        consumers: 0,
        durable: true,
        autoDelete: false,
        exclusive: false,
        arguments: { 'x-message-ttl': 60000 },
      },
    ]);
    expect(
      broker.server
        .listExchanges()
        .map((x) => `${x.name}:${x.type}:${x.autoDelete}`)
        .sort(),
    ).toEqual([
      ':direct:false',
      'amq.direct:direct:false',
      'amq.fanout:fanout:false',
      'amq.headers:headers:false',
      'amq.match:headers:false',
      'amq.rabbitmq.trace:topic:false',
      'amq.topic:topic:false',
      'events:topic:true',
    ]);
    expect(broker.server.listBindings()).toEqual([
      { source: '', destination: 'work', routingKey: 'work', arguments: {} },
      { source: 'events', destination: 'work', routingKey: 'task.#', arguments: {} },
    ]);

    broker.server.closeAllConnections('Closed via a test');
    expect((await closed)?.message).toContain('320 (CONNECTION-FORCED) with message "CONNECTION_FORCED - Closed via a test"');
    await vi.waitFor(() => expect(broker.server.listQueues()[0]).toMatchObject({ messages: 3, unacked: 0 }));
    expect(broker.server.listQueues('no-such-vhost')).toEqual([]);
  });

  it('closes only the connections that announced a connection_name, as rabbitmqctl close_connection does', async () => {
    const open = async (name?: string) => {
      const conn = await amqp.connect(broker.url, name === undefined ? {} : { clientProperties: { connection_name: name } });
      conn.on('error', () => {});
      return { conn, closed: new Promise<Error | undefined>((resolve) => conn.once('close', resolve)) };
    };
    const [first, second, other, unnamed] = await Promise.all([open('camq worker w1@h'), open('camq worker w1@h'), open('camq worker w2@h'), open()]);
    expect(broker.server.closeConnectionsNamed('camq worker w1@h', 'camq test: forced close')).toBe(2);
    for (const { closed } of [first, second]) {
      expect((await closed)?.message).toContain('320 (CONNECTION-FORCED) with message "CONNECTION_FORCED - camq test: forced close"');
    }
    expect(broker.server.closeConnectionsNamed('nobody')).toBe(0);
    // The others still work.
    for (const { conn } of [other, unnamed]) {
      await (await conn.createChannel()).checkExchange('amq.direct');
      await conn.close();
    }
  });
});
