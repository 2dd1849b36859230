/**
 * A TLS-terminating proxy for tests: the self-signed certificate in test/fixtures/tls (CN localhost, SANs localhost
 * and 127.0.0.1) in front of a plain TCP service (a broker's AMQP port, a management API's HTTP port).
 */
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { ROOT } from './run-bin.js';

export const TLS_DIR = join(ROOT, 'test/fixtures/tls');
/** The proxy's certificate, which is its own CA (what `?cacertfile=` or NODE_EXTRA_CA_CERTS is given). */
export const CA = join(TLS_DIR, 'cert.pem');

export type TlsProxy = Server & { port: number; clientNames: string[] };

/**
 * A TLS server on a free port that forwards each connection's plain bytes to `host:port`. With `clientCa`, it
 * requires a client certificate signed by it (others fail the handshake) and records each client's CN.
 */
export async function startTlsProxy(host: string, port: number, clientCa?: string): Promise<TlsProxy> {
  const clientNames: string[] = [];
  const mutual = clientCa === undefined ? {} : { requestCert: true, rejectUnauthorized: true, ca: [readFileSync(clientCa)] };
  const server = createServer({ key: readFileSync(join(TLS_DIR, 'key.pem')), cert: readFileSync(CA), ...mutual }, (client: TLSSocket) => {
    if (clientCa !== undefined) clientNames.push(String(client.getPeerCertificate().subject?.CN));
    const upstream = netConnect(port, host);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(server, { port: (server.address() as { port: number }).port, clientNames });
}
