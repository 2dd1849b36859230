import { afterEach, describe, expect, it } from 'vitest';
import { CamqError, UsageError } from '../../../src/errors/index.js';
import { parseListenAddress } from '../../../src/http/listen-address.js';
import { MetricsServer, type HealthReport } from '../../../src/http/metrics-server.js';

describe('parseListenAddress', () => {
  it.each([
    ['9808', { host: '0.0.0.0', port: 9808 }],
    [':9808', { host: '0.0.0.0', port: 9808 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9900', { host: '::1', port: 9900 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
  ])('%s', (text, expected) => expect(parseListenAddress(text)).toEqual(expected));

  it.each(['', 'abc', '1.2.3.4:', '1.2.3.4:x', '70000', '::1:80', 'a b:80'])('rejects %j with one line saying what to give', (text) => {
    let error: unknown;
    try {
      parseListenAddress(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('usage.bad-listen');
    expect((error as UsageError).message).toMatch(/expected PORT, HOST:PORT or \[IPv6\]:PORT/);
    expect((error as UsageError).message).not.toContain('\n');
  });
});

describe('MetricsServer', () => {
  const servers: MetricsServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  const start = async (health: HealthReport, basicAuth?: string) => {
    const server = new MetricsServer({
      source: { metrics: async () => 'up 1\n', contentType: 'text/plain; version=0.0.4' },
      health: () => health,
      basicAuth,
    });
    servers.push(server);
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
    return { server, base: `http://127.0.0.1:${port}` };
  };

  it('serves /metrics, /health 200 or 503 with the reason, 404 elsewhere', async () => {
    const { base } = await start({ ok: false, reason: 'not connected to the broker amqp://x: reconnecting' });
    const metrics = await fetch(`${base}/metrics`);
    expect([metrics.status, metrics.headers.get('content-type'), await metrics.text()]).toEqual([200, 'text/plain; version=0.0.4', 'up 1\n']);
    const health = await fetch(`${base}/health`);
    expect([health.status, await health.text()]).toEqual([503, 'not connected to the broker amqp://x: reconnecting\n']);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('asks for basic auth when given one', async () => {
    const { base } = await start({ ok: true, reason: 'ok' }, 'prom:secret');
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const auth = { Authorization: `Basic ${Buffer.from('prom:secret').toString('base64')}` };
    expect((await fetch(`${base}/metrics`, { headers: auth })).status).toBe(200);
    const wrong = { Authorization: `Basic ${Buffer.from('prom:nope').toString('base64')}` };
    expect((await fetch(`${base}/health`, { headers: wrong })).status).toBe(401);
  });

  it('a port in use is one line with metrics.listen-failed and exit code 1', async () => {
    const { base } = await start({ ok: true, reason: 'ok' });
    const port = Number(new URL(base).port);
    const second = new MetricsServer({ source: { metrics: async () => '', contentType: 'text/plain' }, health: () => ({ ok: true, reason: '' }) });
    const error = await second.listen({ host: '127.0.0.1', port }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CamqError);
    expect((error as CamqError).code).toBe('metrics.listen-failed');
    expect((error as CamqError).exitCode).toBe(1);
    expect((error as CamqError).message).toBe(`cannot serve metrics on 127.0.0.1:${port}: the port is in use; pick another with --listen HOST:PORT`);
    const other = new MetricsServer({ source: { metrics: async () => '', contentType: 'text/plain' }, health: () => ({ ok: true, reason: '' }) });
    const notOurs = await other.listen({ host: '192.0.2.1', port: 0 }).catch((err: unknown) => err);
    expect((notOurs as CamqError).message).toMatch(/cannot serve metrics on 192\.0\.2\.1:0: the address is not one of this machine/);
  });
});
