/**
 * CamqApp, the client that sends tasks, against RabbitMQ and the embedded broker.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createTransport } from '../../src/transport/index.js';
import { CamqApp } from '../../src/worker/index.js';
import { brokerTargets, describeBrokers, RABBITMQ_URL, useRabbitmq } from '../helpers/brokers.js';
import { deleteQueues } from '../helpers/camq-worker.js';

const targets = await brokerTargets();
const hasRabbit = await useRabbitmq('the publisher-confirm tests are skipped');

describeBrokers('CamqApp', targets, ({ url, inspector }) => {
  const queues: string[] = [];
  afterEach(() => deleteQueues(url, queues.splice(0)));

  it('close() right after send loses nothing: the publish channel closes before the connection', async () => {
    const queue = `camq-app-close-${randomUUID()}`;
    queues.push(queue);
    for (let i = 0; i < 20; i++) {
      const app = new CamqApp({ broker: url, defaultQueue: queue });
      await app.send({ name: 'tasks.add', args: [i, i] });
      await app.close();
    }
    expect((await inspector.queue(queue))?.messages).toBe(20);
  });
});

describe.skipIf(!hasRabbit)('CamqApp with publisher confirms on RabbitMQ', () => {
  const queues: string[] = [];
  afterEach(() => deleteQueues(RABBITMQ_URL, queues.splice(0)));

  it('a confirmed send to a quorum queue resolves once the broker has it; one no queue takes fails with publish.unroutable', async () => {
    const queue = `camq-app-confirm-${randomUUID()}`;
    queues.push(queue);
    const app = new CamqApp({ broker: RABBITMQ_URL, confirm: true });
    app.queue(queue, { type: 'quorum' });
    try {
      const sends = await Promise.all(Array.from({ length: 50 }, (_, i) => app.send({ name: 'tasks.add', args: [i, i], queue })));
      expect(new Set(sends.map((r) => r.id)).size).toBe(50);
      const missing = `camq-app-missing-${randomUUID()}`;
      const error = await app.send({ name: 'tasks.add', queue: missing, exchange: 'amq.direct', routingKey: missing }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'publish.unroutable' });
      expect((error as Error).message).toContain(`exchange 'amq.direct' with routing key '${missing}'`);
      expect((error as Error).message).toContain('NO_ROUTE');
      // The channel stays usable after a return.
      await app.send({ name: 'tasks.add', args: [0, 0], queue });
    } finally {
      await app.close();
    }
    // Declaring it again as quorum succeeds only when it is one (else 406); it holds every confirmed message.
    const conn = createTransport(RABBITMQ_URL);
    await conn.connect();
    try {
      const ch = await conn.openChannel();
      const status = await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      expect(status.messageCount).toBe(51);
    } finally {
      await conn.close();
    }
  });
});
