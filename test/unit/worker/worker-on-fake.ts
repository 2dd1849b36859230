/**
 * A real Worker with `tasks.add` on the shared in-memory transport, consuming queue `q`, its warning and error lines
 * collected: for unit tests whose subject is what the worker logs or answers, not the wire. The test stops it.
 */
import { createLogger } from '../../../src/util/logger.js';
import type { ManualClock } from '../../../src/util/manual-clock.js';
import { CamqApp, Worker, type WorkerOptions } from '../../../src/worker/index.js';
import { FakeTransport, type FakeChannel } from '../../fakes/fake-transport.js';

export interface WorkerOnFake {
  readonly worker: Worker;
  readonly conn: FakeTransport;
  /** The log lines, as written. */
  readonly lines: string[];
  /** The channel consuming `q`. */
  readonly tasks: FakeChannel;
}

export async function startWorkerOnFake(
  options: Partial<Omit<WorkerOptions, 'app' | 'broker' | 'clock'>> & { readonly clock?: ManualClock } = {},
): Promise<WorkerOnFake> {
  const app = new CamqApp();
  app.task('tasks.add', (x: number, y: number) => x + y);
  const conn = new FakeTransport();
  const lines: string[] = [];
  const { clock } = options;
  const worker = new Worker({
    app,
    broker: conn,
    hostname: 'w1@test',
    queues: ['q'],
    logger: createLogger({ level: 'warning', write: (l) => lines.push(l), ...(clock ? { now: () => clock.now() } : {}) }),
    ...options,
  });
  await worker.start();
  return { worker, conn, lines, tasks: conn.consumerOf('q') };
}
