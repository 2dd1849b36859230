/**
 * Header tables written by publishMessage (through the AMQP transport channel), read back by Python's py-amqp (the library under Celery and kombu):
 * integers amqplib would tag as short ints (`s`), which py-amqp reads as short strings, must arrive as numbers.
 * Reads raw messages with basic_get on a queue this test declares, on each broker (RabbitMQ, the embedded one).
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { createTransport, publishMessage } from '../../../src/transport/index.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { usePythonCelery, runPython } from '../../helpers/python-celery.js';

const hasPython = await usePythonCelery('the py-amqp header test is skipped');
const targets = hasPython ? await brokerTargets() : [];

describeBrokers('publishMessage headers read by Python', targets, ({ url }) => {
  it('integers of every size, in arrays and nested tables, arrive as Python ints', async () => {
    const queue = `camq-test-headers-${randomUUID()}`;
    const headers = { clock: 300, small: 5, neg: -2, big: 70000, huge: 2 ** 40, timelimit: [300, null], nested: { n: 200 }, expires: 1795287770.5 };
    const connection = await createTransport(url).connect();
    try {
      const channel = await connection.openChannel();
      await channel.assertQueue(queue, { durable: false, autoDelete: false });
      await publishMessage(channel, { exchange: '', routingKey: queue, content: Buffer.from('{}'), properties: { headers } });
      const out = await runPython(
        url,
        [
          'import json',
          'from tasks import app',
          'with app.connection_for_read() as conn:',
          `    msg = conn.default_channel.basic_get(queue=${JSON.stringify(queue)}, no_ack=True)`,
          '    print(json.dumps(msg.headers))',
        ].join('\n'),
      );
      expect(JSON.parse(out)).toEqual(headers);
    } finally {
      const channel = await connection.openChannel();
      await channel.deleteQueue(queue);
      await connection.close();
    }
  });
});
