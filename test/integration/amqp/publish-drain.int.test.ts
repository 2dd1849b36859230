/**
 * publishMessage's wait for room (on the AMQP transport channel) in the write buffer, on each broker: when the channel closes before the buffer drains
 * (the connection lost under a full buffer), the wait ends with an error instead of never settling.
 */
import type { Socket } from 'node:net';
import amqp from 'amqplib';
import { expect, it } from 'vitest';
import { parseBrokerUrl } from '../../../src/transport/broker-url.js';
import { AmqpChannel } from '../../../src/amqp/amqp-channel.js';
import { publishMessage } from '../../../src/transport/publish-message.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';

describeBrokers('publishMessage', await brokerTargets(), ({ url }) => {
  it('rejects (does not wait forever) when the channel closes while it waits for drain', async () => {
    const u = parseBrokerUrl(url);
    const conn = await amqp.connect({ hostname: u.hostname, port: u.port, username: u.username, password: u.password, vhost: u.vhost });
    const channel = new AmqpChannel(await conn.createChannel());
    conn.on('error', () => {});
    // Publish synchronously until the channel's write buffer (a count of frames) is full: then publish says "wait".
    let waiting: Promise<void> | void = undefined;
    for (let i = 0; i < 100_000 && !waiting; i++)
      waiting = publishMessage(channel, { exchange: '', routingKey: 'camq-test-nowhere', content: Buffer.alloc(16), properties: {} });
    expect(waiting).toBeInstanceOf(Promise);
    // The connection is lost before a byte of it drains: amqplib closes the channel, and no drain ever comes.
    (conn as unknown as { connection: { stream: Socket } }).connection.stream.destroy(new Error('connection reset (camq test)'));
    await expect(waiting).rejects.toThrow(/channel closed while the message waited/);
  });
});
