/**
 * The nowait helpers against each broker (RabbitMQ, the embedded one): a declare, bind and consume sent back to back set up a working consumer, and
 * a declare the broker refuses closes the channel with the broker's reason. Uses its own uniquely named exchange and
 * queue (auto-deleted or deleted at the end).
 */
import { randomUUID } from 'node:crypto';
import { expect, it, vi } from 'vitest';
import {
  BrokerConnection,
  bindQueueNowait,
  consumeNowait,
  declareExchangeNowait,
  declareQueueNowait,
  translateAmqpError,
  type ConsumeMessage,
} from '../../../src/amqp/index.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';

describeBrokers('nowait set-up', await brokerTargets(), ({ url }) => {
  it('declare, bind and consume without waiting, then receive what is published to the exchange', async () => {
    const name = `camq-test-nowait-${randomUUID()}`;
    const connection = await new BrokerConnection({ url: url }).connect();
    try {
      const channel = await connection.createChannel();
      const received: (ConsumeMessage | null)[] = [];
      declareExchangeNowait(channel, name, 'direct', { durable: false, autoDelete: true });
      declareQueueNowait(channel, name, { durable: false, exclusive: true, autoDelete: true, arguments: { 'x-message-ttl': 60000 } });
      bindQueueNowait(channel, name, name, 'key');
      consumeNowait(channel, name, 'camq-test', (msg) => received.push(msg), { noAck: true });
      channel.publish(name, 'key', Buffer.from('hello'));
      await vi.waitFor(() => expect(received.map((m) => m?.content.toString())).toEqual(['hello']));
      // An RPC after the nowait methods is answered in order: the queue exists, with our consumer on it.
      expect(await channel.checkQueue(name)).toMatchObject({ queue: name, consumerCount: 1 });
      await channel.deleteExchange(name);
    } finally {
      await connection.close();
    }
  });

  it('a refused declare closes the channel with the broker reason', async () => {
    const name = `camq-test-nowait-${randomUUID()}`;
    const connection = await new BrokerConnection({ url: url }).connect();
    try {
      const setup = await connection.createChannel();
      await setup.assertExchange(name, 'fanout', { durable: false, autoDelete: false });
      const channel = await connection.createChannel();
      const errors: unknown[] = [];
      channel.on('error', (err: unknown) => errors.push(err));
      const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
      declareExchangeNowait(channel, name, 'direct', { durable: false, autoDelete: false });
      await closed;
      expect(translateAmqpError(errors[0], connection.url).message).toMatch(/^406 PRECONDITION_FAILED - inequivalent arg 'type'/);
      await setup.deleteExchange(name);
    } finally {
      await connection.close();
    }
  });
});
