/**
 * The scaffolding of an integration suite that runs `camq worker` bins on one broker: unique queues, workers and
 * client apps, all stopped, closed and deleted after each test (workers) or after the suite (apps, queues).
 * Call inside a describe block.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach } from 'vitest';
import { CamqApp } from '../../src/worker/index.js';
import { deleteQueues, startCamqWorker, type CamqWorker } from './camq-worker.js';

export interface WorkerSuite {
  /** A queue name of its own, deleted (with its exchange) after the suite. */
  newQueue(): string;
  /** Start a worker on `queue` (stopped after the test); `nodename` and another broker URL are optional. */
  start(queue: string, args?: string[], nodename?: string, brokerUrl?: string): Promise<CamqWorker>;
  /** A client app (closed after the suite). */
  client(brokerUrl?: string): CamqApp;
  /** The workers of the running test, to stop early. */
  readonly workers: CamqWorker[];
}

export function useWorkerSuite(url: string, module: string): WorkerSuite {
  const workers: CamqWorker[] = [];
  const queues: string[] = [];
  const apps: CamqApp[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await deleteQueues(url, queues);
  });
  return {
    workers,
    newQueue: () => {
      const q = `camq-test-${randomUUID()}`;
      queues.push(q);
      return q;
    },
    start: async (queue, args = [], nodename, brokerUrl = url) => {
      const w = await startCamqWorker({ brokerUrl, module, queues: queue, args, ...(nodename ? { nodename } : {}) });
      workers.push(w);
      return w;
    },
    client: (brokerUrl = url) => {
      const app = new CamqApp({ broker: brokerUrl });
      apps.push(app);
      return app;
    },
  };
}
