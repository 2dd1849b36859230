/**
 * Python Celery 5 (Debian's python3-celery: py-amqp and kombu as the clients) on camq's embedded broker: a real
 * worker connects (AMQPLAIN login, heartbeats, pidbox queues with x-expires and x-message-ttl, global QoS),
 * answers `celery inspect ping`, and runs a task a Python client sends, returning the result over rpc://.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBrokerHandle } from '../../../src/broker/embedded.js';
import { usePythonCelery, runCeleryCli, runPython, startPythonWorker, type PythonWorker } from '../../helpers/python-celery.js';

const hasCelery = await usePythonCelery('the embedded broker interop tests are skipped');

describe.skipIf(!hasCelery)('Python Celery on the embedded broker', () => {
  const id = randomUUID().slice(0, 8);
  const nodename = `camq-broker-${id}@camq-test`;
  const queue = `camq-test-celery-${id}`;
  let broker: EmbeddedBrokerHandle;
  let worker: PythonWorker | undefined;

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    worker = await startPythonWorker({ brokerUrl: broker.url, nodename, queues: queue, concurrency: 1 });
  });

  afterAll(async () => {
    await worker?.stop();
    await broker?.close();
  });

  it('the worker logs in and answers `celery inspect ping`', async () => {
    expect(worker!.output()).toContain(`Connected to amqp://guest:**@127.0.0.1:${broker.port}//`);
    const result = await runCeleryCli(broker.url, ['inspect', 'ping', '-d', nodename, '-t', '10']);
    expect(result.stdout).toContain(`->  ${nodename}: OK`);
    expect(result.stdout).toContain('pong');
    expect(result.stdout).toContain('1 node online.');
  });

  it("a Python client's add.delay(2, 2).get() returns 4 through the worker", async () => {
    const output = await runPython(
      broker.url,
      ['import os', `os.environ['CAMQ_TEST_QUEUE'] = '${queue}'`, 'from tasks import add', 'print(add.delay(2, 2).get(timeout=30))'].join('\n'),
    );
    expect(output.trim()).toBe('4');
    await worker!.waitForLog(/Task tasks\.add\[[0-9a-f-]+\] succeeded in [\d.]+s: 4/);
  });
});
