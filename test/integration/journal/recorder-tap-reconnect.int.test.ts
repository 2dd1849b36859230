/**
 * `camq record --tap` after a lost connection (issue 14): the broker closes the recorder's connection, the recorder
 * reconnects, and the tap's queue and consumer come back with it (the tap is one of the connection's setup hooks),
 * so a task published after the reconnect has its body in the journal. On a scratch vhost of this file's own with
 * the firehose on (`rabbitmqctl trace_on`), and on the embedded broker (`--trace /`).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { TaskDispatcher } from '../../../src/dispatch/task-dispatcher.js';
import { journaledTaskBody, readJournal } from '../../../src/journal/index.js';
import { createTransport } from '../../../src/transport/index.js';
import type { BrokerInspector } from '../../helpers/broker-inspector.js';
import { startBrokerProcess } from '../../helpers/broker-process.js';
import { useRabbitmq } from '../../helpers/brokers.js';
import { startCamqBin, type RunningCamq } from '../../helpers/camq-bin.js';
import { deleteQueues } from '../../helpers/camq-worker.js';
import { RabbitmqctlInspector } from '../../helpers/rabbitmqctl.js';
import { runBin } from '../../helpers/run-bin.js';
import { rabbitmqTraceTarget, type TraceTarget } from '../../helpers/trace-target.js';

const targets: (TraceTarget & { readonly inspector: BrokerInspector })[] = [];
if (await useRabbitmq('running against the embedded broker alone')) {
  const target = await rabbitmqTraceTarget('taprc');
  targets.push({ ...target, inspector: new RabbitmqctlInspector(target.vhost) });
}
const broker = await startBrokerProcess(['--trace', '/']);
afterAll(() => broker.stop());
targets.push({ name: 'embedded', url: broker.url, vhost: '/', traceOn: async () => {}, traceOff: async () => {}, inspector: broker.inspector });

describe.concurrent.each(targets)('$name', (target) => {
  const id = randomUUID().slice(0, 8);
  const queue = `camq-test-taprc-${id}`;
  const recorderQueue = `camq-test-taprc-rec-${id}`;
  const dir = mkdtempSync(join(tmpdir(), 'camq-taprc-'));
  let recorder: RunningCamq | undefined;

  afterAll(async () => {
    await recorder?.stop();
    await runBin('camq', ['-b', target.url, 'record', '--queue', recorderQueue, '--delete-queue']);
    await target.traceOff();
    await deleteQueues(target.url, [queue]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('camq record --tap taps a task published after the recorder reconnected', async () => {
    await target.traceOn();
    recorder = startCamqBin(['-b', target.url, 'record', '--tap', '--journal', dir, '--queue', recorderQueue, '--json']);
    await recorder.waitFor(/"status":"tapping"/);
    await recorder.waitFor(/"status":"consuming"/);
    expect(await target.inspector.closeConnectionsNamed('camq record', 'camq test: forced close')).toBe(1);
    await recorder.waitFor(/"status":"reconnecting"/);
    // Setup hooks run in order on a reconnect: the tap's (added first) is done when the recorder consumes again.
    await recorder.waitFor(/"status":"consuming"[^]*"status":"consuming"/);

    const connection = await createTransport(target.url).connect();
    const dispatcher = new TaskDispatcher({ connection });
    try {
      const sent = await dispatcher.call({ name: 'tasks.after_reconnect', args: [id], queue });
      const body = await vi.waitFor(
        () => {
          const found = journaledTaskBody(readJournal(dir), sent.id);
          expect(found).toBeDefined();
          return found!;
        },
        { timeout: 10_000, interval: 100 },
      );
      expect(body).toMatchObject({ taskId: sent.id, name: 'tasks.after_reconnect', routingKey: queue });
    } finally {
      await dispatcher.close();
      await connection.close();
    }
  }, 40_000);
});
