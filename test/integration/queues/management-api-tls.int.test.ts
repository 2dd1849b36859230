/**
 * The management API over HTTPS, as behind a TLS-terminating proxy (nginx in front of RabbitMQ's 15672): the
 * test's proxy with the self-signed certificate in test/fixtures/tls in front of the embedded broker's API. Given
 * the CA (NODE_EXTRA_CA_CERTS, as docs/queues.md says), `camq queues --api https://…` lists; without it, one line
 * naming the certificate problem and what to do, exit 2.
 */
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBrokerHandle } from '../../../src/broker/embedded.js';
import { runBin } from '../../helpers/run-bin.js';
import { CA, startTlsProxy, type TlsProxy } from '../../helpers/tls-proxy.js';

describe('camq queues over HTTPS', () => {
  let broker: EmbeddedBrokerHandle;
  let proxy: TlsProxy;
  const queue = `camq-test-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0, managementPort: 0 });
    const api = new URL(broker.apiUrl!);
    proxy = await startTlsProxy(api.hostname, Number(api.port));
    const conn = await amqp.connect(broker.url);
    const ch = await conn.createChannel();
    await ch.assertQueue(queue, { durable: false });
    ch.sendToQueue(queue, Buffer.from('x'));
    await ch.checkQueue(queue);
    await conn.close();
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await broker.close();
  });

  it('lists through the proxy when Node trusts its CA', async () => {
    const res = await runBin('camq', ['queues', '-b', broker.url, '--api', `https://localhost:${proxy.port}`, '--json'], {
      env: { NODE_EXTRA_CA_CERTS: CA },
    });
    expect(res.code, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout) as { source: string; api: string; queues: { name: string; ready: number }[] };
    expect(doc).toMatchObject({ source: 'api', api: `https://localhost:${proxy.port}`, queues: [{ name: queue, ready: 1 }] });
  });

  it('says in one line that the certificate is not trusted, and how to trust it', async () => {
    const res = await runBin('camq', ['queues', '-b', broker.url, '--api', `https://localhost:${proxy.port}`]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Error: the management API at https://localhost:${proxy.port} presented a certificate this machine does not trust \\((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)[^)]*\\); trust its CA with NODE_EXTRA_CA_CERTS=/path/ca.pem, or give --api$`,
        ),
      ),
    ]);
  });
});
