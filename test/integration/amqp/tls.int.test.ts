/**
 * amqps:// on each broker (RabbitMQ, the embedded one), through a TLS-terminating proxy the test runs with the
 * self-signed certificate in test/fixtures/tls (CN localhost, SANs localhost and 127.0.0.1; made with `openssl req
 * -x509 -days 36500`): camqadm, celeryctl and camq worker work over it given the CA with `?cacertfile=`, and a
 * certificate this machine does not trust is one line saying so and what to do, exit 2, without retrying. A second
 * proxy asks for a client certificate (test/fixtures/tls/client-cert.pem, CN camq-test-client, self-signed, made the
 * same way) and accepts only that one: `?certfile=&keyfile=` present it.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseBrokerUrl } from '../../../src/amqp/index.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { deleteQueues, startCamqWorker } from '../../helpers/camq-worker.js';
import { runBin } from '../../helpers/run-bin.js';
import { CA, TLS_DIR, startTlsProxy, type TlsProxy } from '../../helpers/tls-proxy.js';

const CLIENT_CERT = join(TLS_DIR, 'client-cert.pem');
const CLIENT_KEY = join(TLS_DIR, 'client-key.pem');

/** camqadm declares `queue` over `url`, a camq worker consumes it over `url`, and celeryctl pings it over `url`. */
async function declareRunAndPing(url: string, queue: string) {
  const shell = await runBin('camqadm', ['-b', url, 'queue.declare', queue, 'no', 'yes']);
  expect(shell.stdout, shell.stderr).toBe(`ok. queue:${queue} messages:0 consumers:0.\n`);
  const worker = await startCamqWorker({ brokerUrl: url, queues: queue });
  try {
    const ping = await runBin('celeryctl', ['-b', url, 'ping', '-d', worker.nodename, '--json']);
    expect(ping.code, ping.stderr).toBe(0);
    expect(JSON.parse(ping.stdout).replies).toEqual({ [worker.nodename]: { ok: 'pong' } });
  } finally {
    await worker.stop();
  }
  return shell;
}

describeBrokers('amqps://', await brokerTargets({ embedded: 'child-process' }), ({ url }) => {
  const plain = parseBrokerUrl(url);
  let proxy: TlsProxy;
  let mutualProxy: TlsProxy;
  const amqps = (host: string, query: string, via: TlsProxy = proxy) =>
    `amqps://${encodeURIComponent(plain.username)}:${encodeURIComponent(plain.password)}@${host}:${via.port}/${encodeURIComponent(plain.vhost)}${query}`;
  const queues: string[] = [];

  beforeAll(async () => {
    proxy = await startTlsProxy(plain.hostname, plain.port);
    mutualProxy = await startTlsProxy(plain.hostname, plain.port, CLIENT_CERT);
  });
  afterAll(async () => {
    await deleteQueues(url, queues);
    await Promise.all([proxy, mutualProxy].map((p) => new Promise((resolve) => p.close(resolve))));
  });

  it('camqadm, camq worker and celeryctl work over TLS with the CA given by ?cacertfile=', async () => {
    const queue = `camq-test-tls-${randomUUID()}`;
    queues.push(queue);
    const secure = amqps('localhost', `?cacertfile=${CA}`);
    const shell = await declareRunAndPing(secure, queue);
    expect(shell.stderr).toContain(`-> connecting to amqps://${plain.username}:**@localhost:${proxy.port}/`);
  });

  it('connects to an IP address without Node warning that SNI takes host names only', async () => {
    const r = await runBin('camqadm', ['-b', amqps('127.0.0.1', `?cacertfile=${CA}`), 'exchange.declare', 'amq.direct', 'direct', 'yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('DeprecationWarning');
  });

  it('says in one line that the certificate is not trusted and what to do, exit 2, at once', async () => {
    const r = await runBin('camqadm', ['-b', amqps('localhost', ''), 'queue.declare', 'never']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `Error: the TLS certificate of amqps://${plain.username}:**@localhost:${proxy.port}/${plain.vhost === '/' ? '/' : plain.vhost} is not trusted: it is self-signed (DEPTH_ZERO_SELF_SIGNED_CERT); add ?cacertfile=/path/to/ca.pem to the URL`,
    );
    expect(r.ms).toBeLessThan(5000);
    const skipped = await runBin('camqadm', ['-b', amqps('localhost', '?verify=verify_none'), 'exchange.declare', 'amq.direct', 'direct', 'yes']);
    expect(skipped.code, skipped.stderr).toBe(0);
  });

  it('presents a client certificate given by ?certfile=&keyfile= (camqadm, camq worker, celeryctl) to a broker that requires one', async () => {
    const queue = `camq-test-tls-client-${randomUUID()}`;
    queues.push(queue);
    const withCert = amqps('localhost', `?cacertfile=${CA}&certfile=${CLIENT_CERT}&keyfile=${CLIENT_KEY}`, mutualProxy);
    await declareRunAndPing(withCert, queue);
    expect(mutualProxy.clientNames.length).toBeGreaterThanOrEqual(3);
    expect(new Set(mutualProxy.clientNames)).toEqual(new Set(['camq-test-client']));

    // The same URL without the certificate does not get in (the proxy really asks for one), and the line says
    // what the broker wants, not "is the broker running?".
    const refused = await runBin(
      'camqadm',
      ['-b', amqps('localhost', `?cacertfile=${CA}`, mutualProxy), 'exchange.declare', 'amq.direct', 'direct', 'yes'],
      { timeoutMs: 60_000 },
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `Error: amqps://${plain.username}:**@localhost:${mutualProxy.port}/${plain.vhost === '/' ? '/' : plain.vhost} asks for a client certificate and got none (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED); add ?certfile=/path/to/cert.pem&keyfile=/path/to/key.pem to the URL`,
    );
    expect(refused.stderr).not.toContain('is the broker running');
  });
});
