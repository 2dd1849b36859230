/**
 * rediss:// (docs/redis-protocol.md, URLs): a redis-server of the test's own, TLS only, on a free port, with the
 * self-signed certificate of test/fixtures/tls (CN localhost, SANs localhost and 127.0.0.1, its own CA). With
 * kombu's TLS options in the URL's query, `camq queues` lists and celeryctl pings a camq worker over it; a
 * certificate Node does not trust gives one line saying what to add to the URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from '../../../src/transport/index.js';
import { startCamqWorker } from '../../helpers/camq-worker.js';
import { whenExited } from '../../helpers/child-exit.js';
import { freePort } from '../../helpers/prometheus.js';
import { REQUIRE_REDIS } from '../../helpers/redis.js';
import { runBin } from '../../helpers/run-bin.js';
import { CA, TLS_DIR } from '../../helpers/tls-proxy.js';

const SERVER = 'redis-server';
const hasServer = await new Promise<boolean>((resolve) => {
  const probe = spawn(SERVER, ['--version'], { stdio: 'ignore' });
  probe.on('error', () => resolve(false));
  probe.on('exit', (code) => resolve(code === 0));
});
if (!hasServer && REQUIRE_REDIS) throw new Error(`CAMQ_REQUIRE_REDIS=1 but ${SERVER} is not installed (apt-get install redis-server)`);

describe.skipIf(!hasServer)('rediss://: Redis over TLS', () => {
  let server: ChildProcess;
  let dir: string;
  let port: number;
  /** kombu's names for the TLS options, as a Celery broker URL carries them. */
  const url = (query: string) => `rediss://localhost:${port}/2${query}`;
  const trusted = () => url(`?ssl_cert_reqs=required&ssl_ca_certs=${CA}`);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'camq-rediss-'));
    port = await freePort();
    server = spawn(
      SERVER,
      [
        ...['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
        ...['--tls-cert-file', join(TLS_DIR, 'cert.pem'), '--tls-key-file', join(TLS_DIR, 'key.pem'), '--tls-ca-cert-file', CA],
        ...['--tls-auth-clients', 'no'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (c: Buffer) => {
        log += c.toString();
        if (log.includes('Ready to accept connections')) resolve();
      };
      server.stdout!.on('data', onData);
      server.stderr!.on('data', onData);
      server.once('exit', (code) => reject(new Error(`${SERVER} exited (${code}) before it was ready:\n${log}`)));
      setTimeout(() => reject(new Error(`${SERVER} was not ready within 10 s:\n${log}`)), 10_000).unref();
    });
  });

  afterAll(async () => {
    if (server?.exitCode === null) {
      server.kill('SIGTERM');
      await whenExited(server);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('camq queues lists over TLS with the CA in the URL', async () => {
    const transport = await createTransport(trusted()).connect();
    try {
      const channel = await transport.openChannel();
      for (const priority of [0, 9]) channel.publish('', 'h14.tls', Buffer.from('{}'), { contentType: 'application/json', priority });
      await channel.waitForConfirms().catch(() => {});
      await channel.close();
      const res = await runBin('camq', ['-b', trusted(), 'queues', '-Q', 'h14.tls', '--json']);
      expect(res.code, res.stderr).toBe(0);
      const doc = JSON.parse(res.stdout) as { queues: Record<string, unknown>[] };
      expect(doc.queues).toEqual([expect.objectContaining({ name: 'h14.tls', ready: 2 })]);
    } finally {
      await transport.close();
    }
  });

  it('says in one line that the certificate is not trusted and what to add to the URL', async () => {
    const res = await runBin('camq', ['-b', url(''), 'queues']);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toEqual([
      `Error: the TLS certificate of ${url('')} is not trusted: it is self-signed (DEPTH_ZERO_SELF_SIGNED_CERT); add ?ssl_ca_certs=/path/to/ca.pem to the URL with the CA that signed it (or ?ssl_cert_reqs=none to skip the check)`,
    ]);
  });

  it('names the URL’s CA when the certificate is not signed by it, and the scheme when it does not match the port', async () => {
    const otherCa = join(TLS_DIR, 'client-cert.pem');
    const wrongCa = await runBin('camq', ['-b', url(`?ssl_ca_certs=${otherCa}`), 'queues']);
    expect(wrongCa.code).toBe(2);
    expect(wrongCa.stderr.trim().split('\n')).toEqual([
      `Error: the TLS certificate of ${url('')} is not trusted: it is self-signed (DEPTH_ZERO_SELF_SIGNED_CERT); the CA in ssl_ca_certs=${otherCa} did not sign it: give the one that did (or ?ssl_cert_reqs=none to skip the check)`,
    ]);
    const plain = await runBin('camq', ['-b', `redis://127.0.0.1:${port}/2`, 'queues']);
    expect(plain.code).toBe(2);
    expect(plain.stderr.trim().split('\n')).toEqual([expect.stringMatching(/\(ECONNRESET\).*; if that port speaks TLS, use rediss:\/\/$/)]);
  });

  it('celeryctl pings a camq worker over TLS', async () => {
    const worker = await startCamqWorker({ brokerUrl: trusted(), queues: 'h14.tls.worker' });
    try {
      const ping = await runBin('celeryctl', ['-b', trusted(), 'inspect', 'ping', '-t', '3']);
      expect(ping.stdout, ping.stderr).toMatch(new RegExp(`-> ${worker.nodename.replace(/[.]/g, '\\.')}: OK pong`));
      expect(ping.code).toBe(0);
    } finally {
      await worker.stop();
    }
  }, 30_000);
});
