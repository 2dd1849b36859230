/**
 * consumer_timeout (issue 16, "Must show"): on an extra RabbitMQ node whose consumer_timeout is 10 s, checked every
 * second (`channel_tick_interval` in its advanced.config; test/helpers/rabbitmq-node.ts), side by side:
 *   - control: a plain amqplib consumer holding a delivery unacked has its channel closed (406);
 *   - a camq worker with `--eta-delay-after 5` (below half the timeout) gets a task with a 60 s countdown: it waits
 *     in the delay queues, runs once at its time, and no channel is closed;
 *   - a camq worker with the default threshold (300 s) gets a 40 s countdown and holds it: its channel is closed once,
 *     one line names the task and what to change, and the redelivered task goes to the delay queues and runs once.
 */
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CamqApp } from '../../src/worker/index.js';
import { startCamqWorker, type CamqWorker } from '../helpers/camq-worker.js';
import { canRunRabbitmqNode, startRabbitmqNode, type RabbitmqNode } from '../helpers/rabbitmq-node.js';

const FIXTURE = 'test/fixtures/worker/tasks.js';
const ADVANCED = '[{rabbit, [{consumer_timeout, 10000}, {channel_tick_interval, 1000}]}].';

describe.skipIf(!canRunRabbitmqNode())('consumer_timeout on a node where it is 10 s', () => {
  let node: RabbitmqNode;
  const workers: CamqWorker[] = [];

  beforeAll(async () => {
    node = await startRabbitmqNode({ port: 5697, advancedConfig: ADVANCED });
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await node?.stop();
  }, 60_000);

  it('closes a plain consumer that holds a delivery; camq runs 60 s and 40 s countdowns once each, closed at most once', async () => {
    const control = (async () => {
      const conn = await amqp.connect(node.url);
      try {
        const ch = await conn.createChannel();
        const closed = new Promise<string>((resolve) => ch.on('error', (err: Error) => resolve(err.message)));
        await ch.assertQueue('control', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
        ch.sendToQueue('control', Buffer.from('held'));
        const started = Date.now();
        await ch.consume('control', () => {}, { noAck: false });
        const reason = await closed;
        return { reason, afterMs: Date.now() - started };
      } finally {
        await conn.close().catch(() => {});
      }
    })();

    const delaying = await startCamqWorker({ brokerUrl: node.url, module: FIXTURE, queues: 'delayed:quorum', args: ['--eta-delay-after', '5'] });
    workers.push(delaying);
    const holding = await startCamqWorker({ brokerUrl: node.url, module: FIXTURE, queues: 'held:quorum' });
    workers.push(holding);
    const app = new CamqApp({ broker: node.url });
    app.queue('delayed', { type: 'quorum' });
    app.queue('held', { type: 'quorum' });
    try {
      const add = app.taskOf<[number, number], number>('tasks.add');
      const sent = Date.now();
      const delayed = await add.applyAsync({ args: [20, 40], countdown: 60, queue: 'delayed' });
      const held = await add.applyAsync({ args: [2, 38], countdown: 40, queue: 'held' });

      const { reason, afterMs } = await control;
      expect(reason).toMatch(/PRECONDITION_FAILED - delivery acknowledgement on channel \d+ timed out\. Timeout value used: 10000 ms/);
      expect(afterMs).toBeGreaterThanOrEqual(9_000);

      expect(await held.get({ timeout: 90 })).toBe(40);
      expect(Date.now() - sent).toBeGreaterThanOrEqual(39_000);
      expect(await delayed.get({ timeout: 90 })).toBe(60);
      expect(Date.now() - sent).toBeGreaterThanOrEqual(59_000);
    } finally {
      await app.close();
    }

    // The delaying worker: the task waited in the broker, ran once, and its channel was never closed.
    expect(delaying.output()).toMatch(/Task tasks\.add\[[0-9a-f-]+\] due at .*: waits in the broker's delay queues/);
    expect(delaying.count(/Task tasks\.add\[[0-9a-f-]+\] succeeded/)).toBe(1);
    expect(delaying.output()).not.toMatch(/consumer_timeout|channel was closed/);

    // The holding worker: closed once, said so in one line, then the redelivery went to the delay queues.
    expect(
      holding.count(
        /consumer_timeout: the broker closed the task channel because tasks\.add\[[0-9a-f-]+\] \(unacked for \d+ s, scheduled\) stayed unacked longer than 10 s: ETAs further away than 5 s now wait in the broker's delay queues/,
      ),
    ).toBe(1);
    expect(holding.count(/consumer_timeout/)).toBe(1);
    expect(holding.output()).toMatch(/Task tasks\.add\[[0-9a-f-]+\] due at .*: waits in the broker's delay queues/);
    expect(holding.count(/Task tasks\.add\[[0-9a-f-]+\] succeeded/)).toBe(1);
  }, 180_000);
});
