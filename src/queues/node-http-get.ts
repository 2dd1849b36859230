import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * Connections kept between requests: a view that polls every 5 s opened a new one each time (Node's global agent
 * drops an idle socket after 5 s). RabbitMQ's management server closes an idle one after 60 s; ours go at 30 s, so a
 * request rarely meets a socket the server is closing, and one that does is sent once more on a new connection.
 * Idle sockets are unref'd by the agent: they never keep a process alive.
 */
const IDLE_SOCKET_MS = 30_000;
const agents = {
  http: new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  https: new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
};

/**
 * The part of `fetch` ManagementApi uses (a GET with headers and an abort signal; status, content type and body
 * text back), on node:http and node:https. Node's global fetch loads undici on first use, about 30 ms of CPU: as
 * much as the rest of a celeryctl broadcast, which asks the management API on every run. Errors look like
 * fetch's (a TypeError whose `cause` carries the system error's `code`), so ManagementApi words them the same;
 * HTTPS trusts what Node trusts (NODE_EXTRA_CA_CERTS included). Redirects are not followed (ManagementApi asks
 * fetch for `redirect: 'error'`; here a 3xx comes back as its status). Node's fetch also asks for gzip, which
 * RabbitMQ then spends CPU on and so does the poller; this asks for none.
 */
export const nodeHttpGet = httpGet(false);

/**
 * nodeHttpGet whose requests do not keep the process alive (their sockets are unref'd): for a look-up that may be
 * abandoned, such as celeryctl's live workers. A broadcast that ended at its deadline then exits at once instead
 * of waiting for a management API that does not answer (a firewall that drops packets) to time out.
 */
export const backgroundHttpGet = httpGet(true);

function httpGet(unref: boolean): typeof fetch {
  return ((input: string | URL, init: { headers?: Record<string, string>; signal?: AbortSignal | null } = {}) =>
    get(input, init, unref)) as unknown as typeof fetch;
}

function get(input: string | URL, init: { headers?: Record<string, string>; signal?: AbortSignal | null }, unref: boolean, retry = true) {
  return new Promise((resolve, reject) => {
    const url = new URL(String(input));
    const https = url.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    // A background look-up's socket is unref'd while in use: it gets a connection of its own, not a pooled one.
    const agent = unref ? undefined : https ? agents.https : agents.http;
    const req: ClientRequest = send(url, { method: 'GET', headers: init.headers, ...(agent ? { agent } : {}) }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) => reject(new TypeError('fetch failed', { cause: err })));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: { get: (name: string) => headerText(res.headers[name.toLowerCase()]) },
          text: () => Promise.resolve(body),
        });
      });
    });
    const signal = init.signal ?? undefined;
    const abort = () => req.destroy(Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }));
    if (signal?.aborted) abort();
    signal?.addEventListener('abort', abort, { once: true });
    req.on('error', (err) => {
      if (retry && req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET' && !signal?.aborted) {
        get(input, init, unref, false).then(resolve, reject);
        return;
      }
      reject(err.name === 'AbortError' ? err : new TypeError('fetch failed', { cause: err }));
    });
    req.on('close', () => signal?.removeEventListener('abort', abort));
    if (unref) req.on('socket', (socket) => socket.unref());
    req.end();
  });
}

function headerText(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}
