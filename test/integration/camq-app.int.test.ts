/**
 * CamqApp, the client that sends tasks, against RabbitMQ and the embedded broker.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { CamqApp } from '../../src/worker/index.js';
import { brokerTargets, describeBrokers } from '../helpers/brokers.js';
import { deleteQueues } from '../helpers/camq-worker.js';

const targets = await brokerTargets();

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
