/**
 * An HTTP server on a free loopback port that answers the way a management API should not, one way per path
 * prefix (`<url>/<how>/api/...`): `html` a proxy's 200 HTML page, `text` 200 text/plain, `unauthorized` 401,
 * `forbidden` 403, `notfound` 404, `error` 500 with RabbitMQ's error JSON, `hang` headers never sent, `slowbody`
 * headers at once and the body never. A real peer for the management client's error paths.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface BadApiPeer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startBadApi(): Promise<BadApiPeer> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const how = (req.url ?? '/').split('/')[1];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    switch (how) {
      case 'html':
        return text(res, 200, 'text/html', '<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>');
      case 'text':
        return text(res, 200, 'text/plain', 'OK');
      case 'unauthorized':
        return json(401, { error: 'not_authorized', reason: 'Login failed' });
      case 'forbidden':
        return json(403, { error: 'not_authorised', reason: 'Access refused.' });
      case 'notfound':
        return json(404, { error: 'Object Not Found', reason: 'Not Found' });
      case 'error':
        return json(500, { error: 'internal_error', reason: 'something broke' });
      case 'hang':
        return; // never answers
      case 'slowbody':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[');
        return; // the rest never comes
      default:
        return json(404, { error: 'Object Not Found', reason: 'Not Found' });
    }
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function text(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

/**
 * `http://127.0.0.1:<port>` where nothing listens (a port the system just gave out and took back): what a broker
 * with the management plugin off looks like from camq. Not a well-known port: fetch refuses some (9, 25…) itself.
 */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
}
