/**
 * camq's own tools on a broker that refuses queues which are neither durable nor exclusive, as RabbitMQ 4.3 does by
 * default (its deprecated feature `transient_nonexcl_queues`; Celery and kombu changed their queues for it:
 * celery#10287, kombu#2531). This machine's RabbitMQ is 3.10, so `camq broker --deny-transient-nonexcl-queues`
 * stands in for 4.3: the worker, the control client, the event receiver, a Node caller waiting on rpc:// results
 * and the camqadm shell must all work on it, and the shell must say what to do when a user's queue is refused.
 */
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BrokerConnection, parseBrokerUrl } from '../../src/amqp/index.js';
import { ControlClient } from '../../src/control/control-client.js';
import { EventReceiver } from '../../src/events/event-receiver.js';
import type { EventEnvelope } from '../../src/protocol/event-message.js';
import { CamqApp } from '../../src/worker/index.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { startCamqWorker, type CamqWorker } from '../helpers/camq-worker.js';
import { runBin } from '../helpers/run-bin.js';

describe('on a broker with RabbitMQ 4.3 queue rules', () => {
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await startBrokerProcess(['--deny-transient-nonexcl-queues']);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  const connectRaw = () => {
    const u = parseBrokerUrl(broker.url);
    return amqp.connect({ hostname: u.hostname, port: u.port, username: u.username, password: u.password, vhost: u.vhost });
  };

  it('refuses a transient non-exclusive queue with 541 on the whole connection; durable and exclusive ones pass', async () => {
    const conn = await connectRaw();
    const closed = new Promise<Error>((resolve) => conn.once('close', resolve));
    conn.on('error', () => {});
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    await ch.assertQueue('rules-durable', { durable: true });
    await ch.assertQueue('rules-exclusive', { durable: false, exclusive: true });
    await ch.deleteQueue('rules-durable');
    await expect(ch.assertQueue('rules-transient', { durable: false })).rejects.toThrow();
    const error = (await closed) as Error & { code?: number };
    expect(error.code).toBe(541);
    expect(error.message).toContain('INTERNAL_ERROR - Feature `transient_nonexcl_queues` is deprecated.');
    expect(await broker.inspector.queue('rules-transient')).toBeUndefined();
  });

  describe('camq worker with events, driven from Node', () => {
    let worker: CamqWorker;
    let connection: BrokerConnection;
    let app: CamqApp;
    const events: EventEnvelope[] = [];

    beforeAll(async () => {
      worker = await startCamqWorker({ brokerUrl: broker.url, queues: 'celery', args: ['-E'] });
      connection = new BrokerConnection({ url: broker.url, reconnect: true, connectionName: 'rules monitor' });
      const receiver = new EventReceiver({ connection });
      receiver.on('events', (batch) => events.push(...batch));
      await receiver.start();
      await connection.connect();
      app = new CamqApp({ broker: broker.url });
    });
    afterAll(async () => {
      await app?.close();
      await connection?.close();
      await worker?.stop();
    });

    it('starts, answers remote control, runs a task whose caller gets the rpc result, and its events arrive', async () => {
      expect(worker.output()).not.toMatch(/541|transient_nonexcl/);
      const client = await ControlClient.connect(broker.url);
      try {
        const pong = await client.ping({ destination: [worker.nodename], timeout: 5 });
        expect(pong.replies.get(worker.nodename)).toEqual({ ok: 'pong' });
      } finally {
        await client.close();
      }
      const result = await app.taskOf<[number, number], number>('tasks.add').delay(2, 2);
      expect(await result.get({ timeout: 10 })).toBe(4);
      await vi.waitFor(
        () => expect(events.some((e) => e.type === 'task-succeeded' && (e as EventEnvelope & { uuid?: string }).uuid === result.id)).toBe(true),
        { timeout: 5000 },
      );
      const queues = await broker.inspector.listQueues();
      for (const q of queues) expect(q.durable || q.exclusive, `${q.name} is neither durable nor exclusive`).toBe(true);
      expect(queues.map((q) => q.name)).toContain(`${worker.nodename}.celery.pidbox`);
    });

    it('celeryctl works on it', async () => {
      const r = await runBin('celeryctl', ['-b', broker.url, 'inspect', 'active-queues', '-d', worker.nodename, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).replies[worker.nodename][0]).toMatchObject({ name: 'celery' });
    });
  });

  it("camqadm says what to do when the broker refuses a user's transient queue, and the session goes on", async () => {
    const r = await runBin('camqadm', ['--keep-going', '-b', broker.url], {
      input: 'queue.declare rules-mine\nqueue.declare rules-mine no yes\nqueue.delete rules-mine\n',
    });
    expect(r.stderr).toContain(
      "Error: 541 INTERNAL_ERROR - Feature `transient_nonexcl_queues` is deprecated. This broker refuses queues that are neither durable nor exclusive (RabbitMQ 4.3's default): declare the queue durable or exclusive",
    );
    expect(r.stdout).toContain('ok. queue:rules-mine messages:0 consumers:0.');
    expect(await broker.inspector.queue('rules-mine')).toBeUndefined();
  });
});
