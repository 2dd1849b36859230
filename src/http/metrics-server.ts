import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { CamqError, ExitCode } from '../errors/index.js';
import type { ListenAddress } from './listen-address.js';

/** What /health says: healthy (200) or not, and one line why. */
export interface HealthReport {
  readonly ok: boolean;
  readonly reason: string;
}

export interface MetricsSource {
  /** The exposition text (prom-client's `registry.metrics()`), after whatever the caller updates before a scrape. */
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsServerOptions {
  readonly source: MetricsSource;
  readonly health: () => HealthReport;
  /** `user:password` for HTTP basic auth on every path; none by default (TLS is left to a proxy). */
  readonly basicAuth?: string | undefined;
  /** The name on `/`. @defaultValue 'camq exporter' */
  readonly title?: string;
}

/**
 * The HTTP view of the metrics engine (node:http): `/metrics` in Prometheus' text format, `/health` (200 while the
 * broker connection is up, 503 with the reason when it is not), `/` a link to both. A scrape never answers an error
 * page because the broker is down: the engine keeps the last figures and says `camq_broker_up 0`.
 */
export class MetricsServer {
  private readonly server: Server;

  constructor(private readonly options: MetricsServerOptions) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Bind; a port in use or an address not ours is a CamqError (`metrics.listen-failed`, exit 1) saying which. */
  listen(address: ListenAddress): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const where = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
        const why =
          err.code === 'EADDRINUSE'
            ? 'the port is in use; pick another with --listen HOST:PORT'
            : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
              ? 'the address is not one of this machine; use 0.0.0.0, 127.0.0.1 or one of its addresses'
              : err.code === 'EACCES'
                ? 'permission denied (ports below 1024 need privileges); pick a port above 1024'
                : err.message;
        reject(new CamqError('metrics.listen-failed', `cannot serve metrics on ${where}: ${why}`, { exitCode: ExitCode.usage, cause: err }));
      };
      this.server.once('error', onError);
      this.server.listen(address.port, address.host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private authorized(req: IncomingMessage): boolean {
    const expected = this.options.basicAuth;
    if (expected === undefined) return true;
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Basic ')) return false;
    const given = Buffer.from(Buffer.from(header.slice(6), 'base64').toString('utf8'));
    const want = Buffer.from(expected);
    return given.length === want.length && timingSafeEqual(given, want);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.authorized(req)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="camq metrics"', 'Content-Type': 'text/plain' }).end('authentication required\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('only GET and HEAD\n');
      return;
    }
    if (path === '/metrics') {
      try {
        const body = await this.options.source.metrics();
        res.writeHead(200, { 'Content-Type': this.options.source.contentType }).end(body);
      } catch (err) {
        res
          .writeHead(500, { 'Content-Type': 'text/plain' })
          .end(`could not render the metrics: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    } else if (path === '/health') {
      const { ok, reason } = this.options.health();
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(`${reason}\n`);
    } else if (path === '/') {
      const title = this.options.title ?? 'camq exporter';
      res
        .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
        .end(`<!doctype html><title>${title}</title><h1>${title}</h1><p><a href="/metrics">Metrics</a> <a href="/health">Health</a></p>\n`);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics or /health\n');
    }
  }
}
