/**
 * A value amqplib cannot encode rejects its one call and leaves the channel usable (src/amqp/encode-guard.ts).
 * Without the guard, amqplib marks the channel as waiting for the reply of a method it never sent, and every later
 * RPC on the channel hangs: this is why camqadm hung after `queue.declare <128 × é>` (issue 9, item 12).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BrokerConnection, UnencodableError } from '../../../src/amqp/index.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';

const TOO_LONG = 'é'.repeat(128); // 128 characters, 256 bytes of UTF-8: one byte over a shortstr
/** A hang fails the test here instead of after the project's 60 s. */
const NO_HANG = 10_000;

describeBrokers('an unencodable method', await brokerTargets(), (target) => {
  let connection: BrokerConnection;
  beforeEach(async () => {
    connection = await new BrokerConnection({ url: target.url }).connect();
  });
  afterEach(async () => {
    await connection.close();
  });

  it('rejects that declare alone; the next RPCs on the channel are answered', { timeout: NO_HANG }, async () => {
    const channel = await connection.createChannel();
    const refused = await channel.assertQueue(TOO_LONG, { exclusive: true }).catch((err: unknown) => err);
    expect(String(refused)).toMatch(/Field 'queue' is the wrong type/);
    const ok = await channel.assertQueue('', { exclusive: true });
    expect(ok.queue).toMatch(/^amq\.gen-/);
    expect(refused).toBeInstanceOf(UnencodableError);
    expect((refused as UnencodableError).message).toMatch(/^cannot send QueueDeclare: Field 'queue' .*; nothing was sent$/);
    await expect(channel.checkQueue(ok.queue)).resolves.toMatchObject({ messageCount: 0 });
    await expect(channel.bindQueue(ok.queue, 'amq.direct', TOO_LONG)).rejects.toBeInstanceOf(UnencodableError);
    await channel.bindQueue(ok.queue, 'amq.direct', ok.queue);
    await channel.close();
  });

  it('rejects an unencodable publish on a confirm channel; the next publish is confirmed and delivered', { timeout: NO_HANG }, async () => {
    const channel = await connection.createConfirmChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    const publish = (headers: Record<string, unknown>) =>
      new Promise<void>((resolve, reject) => {
        channel.publish('', queue, Buffer.from('x'), { headers }, (err: unknown) => (err ? reject(err) : resolve()));
      });
    await expect(publish({ bad: { '!': 'int8', value: 999 } })).rejects.toBeInstanceOf(UnencodableError);
    await expect(publish({ [TOO_LONG]: 1 })).rejects.toBeInstanceOf(UnencodableError);
    await publish({ good: 1 });
    const got = await channel.get(queue, { noAck: true });
    expect(got && got.properties.headers).toEqual({ good: 1 });
    expect(await channel.get(queue, { noAck: true })).toBe(false);
    await channel.close();
  });
});
