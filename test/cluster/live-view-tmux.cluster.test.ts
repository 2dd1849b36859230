/**
 * The real `camq` live view in tmux, given the cluster's nodes as a URL list: when the node under it is killed, its
 * header says the reconnect and names the next node, and it keeps showing the workers (one of which sat on the killed
 * node). Run `npm run build` first: the bins run dist/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnection } from '../../src/amqp/index.js';
import { startCamqWorker, type CamqWorker } from '../helpers/camq-worker.js';
import { useRabbitmqCluster } from '../helpers/rabbitmq-cluster.js';
import { ROOT } from '../helpers/run-bin.js';
import { shellQuote, TmuxSession } from '../helpers/tmux.js';

const cluster = useRabbitmqCluster();

describe.skipIf(!cluster)('the live view in a terminal across a node kill', () => {
  const c = cluster!;
  const queue = 'camq-cluster-tmux';
  let workers: CamqWorker[] = [];
  let tmux: TmuxSession | undefined;

  beforeAll(async () => {
    // The workers' classic queue on node 3, which stays up.
    const setup = new BrokerConnection({ url: c.url(3) });
    await setup.connect();
    await (await setup.openChannel()).assertQueue(queue, { durable: true });
    await setup.close();
    workers = await Promise.all([
      startCamqWorker({ brokerUrl: c.urlList([1, 2, 3]), queues: queue, nodename: 'tmux-w1@cluster', args: ['-E'] }),
      startCamqWorker({ brokerUrl: c.urlList([2, 3, 1]), queues: queue, nodename: 'tmux-w2@cluster', args: ['-E'] }),
    ]);
  });
  afterAll(async () => {
    tmux?.kill();
    await Promise.all(workers.map((w) => w.stop()));
    const cleanup = new BrokerConnection({ url: c.url(3) });
    await cleanup.connect();
    await (await cleanup.openChannel()).deleteQueue(queue);
    await cleanup.close();
  });

  it('names the node in its header, says the reconnect to the next node, and keeps both workers up', async () => {
    const port = (n: number) => c.info.port + n - 1;
    // The management API of node 3 (the queues pane), which stays up.
    tmux = new TmuxSession(`node ${shellQuote(`${ROOT}bin/camq`)} -b ${shellQuote(c.urlList())}`, {
      width: 160,
      height: 40,
      env: { NO_COLOR: '1', CAMQ_API_URL: `http://guest:guest@127.0.0.1:${port(3) + 10000}` },
    });
    await tmux.waitFor((s) => s.includes(`127.0.0.1:${port(1)}//`) && s.includes('● connected') && s.includes('2/2 workers up'), 30_000);
    await c.killNode(1);
    try {
      const screen = await tmux.waitFor((s) => s.includes(`127.0.0.1:${port(2)}//`) && /● connected ↻1/.test(s), 30_000);
      expect(screen).not.toContain('guest:guest');
      await tmux.waitFor((s) => s.includes('2/2 workers up') && s.includes('tmux-w1@cluster') && s.includes('tmux-w2@cluster'), 30_000);
    } finally {
      await c.startNode(1);
    }
  });
});
