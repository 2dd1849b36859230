/**
 * Failover on a real three-node RabbitMQ cluster (test/helpers/rabbitmq-cluster.ts): every camq tool given the nodes
 * as kombu's URL list connects to the first that answers and, when its node is killed (SIGKILL of the beam), goes on
 * on the next one and says which node it is on.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnection } from '../../src/amqp/index.js';
import { ControlClient } from '../../src/control/control-client.js';
import { ClusterState, isWorkerAlive } from '../../src/events/cluster-state.js';
import type { ConnectionStatus } from '../../src/events/connection-status.js';
import { EventReceiver } from '../../src/events/event-receiver.js';
import { brokerIdentity } from '../../src/transport/broker-identity.js';
import { parseBrokerUrl } from '../../src/transport/broker-url.js';
import { startCamqWorker, type CamqWorker } from '../helpers/camq-worker.js';
import { useRabbitmqCluster } from '../helpers/rabbitmq-cluster.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { scratchDataHome } from '../helpers/scratch-data-home.js';

const cluster = useRabbitmqCluster();

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `camq ARGS` (events --json) for `ms`, then SIGINT: what it printed. */
function eventsFor(ms: number, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}bin/camq`, ...args], {
      cwd: ROOT,
      // Its journal goes to the test process's scratch data home, never the user's.
      env: { ...process.env, XDG_DATA_HOME: scratchDataHome(), NO_COLOR: '1' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
    setTimeout(() => child.kill('SIGINT'), ms);
  });
}

describe.skipIf(!cluster)('on a three-node RabbitMQ cluster', () => {
  const c = cluster!;
  const port = (n: number) => c.info.port + n - 1;
  const on = (n: number) => `amqp://guest:**@127.0.0.1:${port(n)}//`;

  it('a URL list connects to the first node, fails over to the next when that node is killed, and names the node it is on', async () => {
    const conn = new BrokerConnection({ url: c.urlList(), reconnect: true, connectionName: 'failover test' });
    const seen: string[] = [];
    conn.on('disconnected', (e) => seen.push(`lost ${e.message}`));
    conn.on('connected', ({ isReconnect }) => seen.push(`${isReconnect ? 'reconnected' : 'connected'} to ${conn.masked}`));
    await conn.connect();
    try {
      expect(conn.masked).toBe(on(1));
      expect(brokerIdentity(conn.url, conn.serverProperties)).toMatchObject({ cluster: `${c.info.name}-cluster`, from: 'cluster_name' });
      const back = new Promise<number>((resolve) => conn.once('connected', () => resolve(Date.now())));
      const killedAt = Date.now();
      await c.killNode(1);
      const resumedMs = (await back) - killedAt;
      expect(conn.masked).toBe(on(2));
      expect(seen[0]).toBe(`connected to ${on(1)}`);
      expect(seen.at(-1)).toBe(`reconnected to ${on(2)}`);
      expect(seen.join('\n')).not.toContain('guest:guest');
      expect(resumedMs).toBeLessThan(10_000);
      const channel = await conn.openChannel();
      await channel.assertExchange('camq.failover.test', 'fanout', { durable: false, autoDelete: false });
      await channel.deleteExchange('camq.failover.test');
      await channel.close();

      // Node 1 down: a new connection skips it, whichever strategy; the identity stays the cluster's.
      for (const failover of ['round-robin', 'shuffle'] as const) {
        const late = new BrokerConnection({ url: parseBrokerUrl(c.urlList(), { failover }) });
        await late.connect();
        expect(late.masked).not.toBe(on(1));
        expect(brokerIdentity(late.url, late.serverProperties).key).toBe(brokerIdentity(conn.url, conn.serverProperties).key);
        await late.close();
      }
      // No node answering: one line that names each node and why.
      const none = new BrokerConnection({ url: `${c.url(1)};amqp://guest:guest@127.0.0.1:1//`, connectTimeoutMs: 2000 });
      await expect(none.connect()).rejects.toThrow(
        new RegExp(
          `cannot reach any of the 2 brokers of the list: amqp://guest:\\*\\*@127.0.0.1:${port(1)}// \\(connection refused.*\\), amqp://guest:\\*\\*@127.0.0.1:1// \\(connection refused`,
        ),
      );
    } finally {
      await conn.close();
      await c.startNode(1);
    }
  });

  describe('workers, the live view engine and celeryctl across a node kill', () => {
    const queue = 'camq-cluster-failover';
    let workers: CamqWorker[] = [];
    let receiver: EventReceiver;
    let connection: BrokerConnection;
    const state = new ClusterState();
    const statuses: ConnectionStatus[] = [];

    beforeAll(async () => {
      // A classic queue lives on one node: put it on node 3, which stays up, so both workers keep it.
      const setup = new BrokerConnection({ url: c.url(3) });
      await setup.connect();
      const ch = await setup.openChannel();
      await ch.assertQueue(queue, { durable: true });
      await setup.close();
      // w1 sits on node 1 (killed below), w2 on node 2.
      workers = await Promise.all([
        startCamqWorker({ brokerUrl: c.urlList([1, 2, 3]), queues: queue, nodename: 'w1@cluster', args: ['-E'] }),
        startCamqWorker({ brokerUrl: c.urlList([2, 3, 1]), queues: queue, nodename: 'w2@cluster', args: ['-E'] }),
      ]);
      connection = new BrokerConnection({ url: c.urlList(), reconnect: true, connectionName: 'camq live view (test)' });
      receiver = new EventReceiver({ connection });
      receiver.on('events', (batch) => batch.forEach((e) => state.apply(e, Date.now())));
      receiver.on('status', (s) => statuses.push(s));
      await receiver.start();
      await connection.connect();
    });
    afterAll(async () => {
      await connection?.close();
      await Promise.all(workers.map((w) => w.stop()));
      const cleanup = new BrokerConnection({ url: c.urlList([3]) });
      await cleanup.connect();
      const ch = await cleanup.openChannel();
      await ch.deleteQueue(queue);
      await cleanup.close();
    });

    const online = () => [...state.workers.values()].filter((w) => isWorkerAlive(w, Date.now())).map((w) => w.hostname);

    it('keeps showing both workers after the node under the view and one worker is killed, says the reconnect and the node, and celeryctl ping answers from both', async () => {
      await until(() => online().length === 2, 20_000, 'both workers online in the view');
      expect(receiver.status).toMatchObject({ phase: 'connected', broker: on(1), reconnects: 0 });
      expect(workers[0]!.output()).toContain(`Connected to ${on(1)}`);

      await c.killNode(1);
      try {
        await until(() => receiver.status.phase === 'connected' && receiver.status.reconnects === 1, 20_000, 'the view to reconnect');
        expect(statuses.some((s) => s.phase === 'reconnecting')).toBe(true);
        expect(receiver.status.broker).toBe(on(2));
        await workers[0]!.waitForLog(new RegExp(`Connected to ${on(2).replace(/[*/.]/g, '\\$&')}`), 20_000);
        expect(workers[0]!.output()).toMatch(/Connection to broker lost: amqp:\/\/guest:\*\*@127\.0\.0\.1:\d+\/\//);
        // Heartbeats that arrived after the kill, from both.
        const after = Date.now() / 1000;
        await until(() => [...state.workers.values()].filter((w) => w.lastHeartbeat > after).length === 2, 20_000, 'heartbeats from both');

        const client = await ControlClient.connect(c.urlList(), { timeout: 5 });
        try {
          const pong = await client.ping({ destination: ['w1@cluster', 'w2@cluster'], timeout: 5 });
          expect(Object.fromEntries(pong.replies)).toEqual({ 'w1@cluster': { ok: 'pong' }, 'w2@cluster': { ok: 'pong' } });
        } finally {
          await client.close();
        }

        // The command-line tools, given the list with node 1 down, go to the next node.
        const ctl = await runBin('celeryctl', ['-b', c.urlList(), 'ping', '-d', 'w1@cluster,w2@cluster', '-t', '5']);
        expect(ctl.stdout).toContain('w1@cluster: OK');
        expect(ctl.stdout).toContain('w2@cluster: OK');
        expect(ctl.code).toBe(0);
        const adm = await runBin('camqadm', ['-b', c.urlList(), 'queue.declare', queue, 'yes']);
        expect(adm.code).toBe(0);
        expect(adm.stdout + adm.stderr).not.toContain('guest:guest');
        expect(await eventsFor(6000, ['-b', c.urlList(), '--failover', 'shuffle', 'events', '--json'])).toMatch(/"type": ?"worker-heartbeat"/);
      } finally {
        await c.startNode(1);
      }
    });
  });
});
