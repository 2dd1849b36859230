/**
 * The embedded broker's management HTTP API: the subset of RabbitMQ's that camq reads (`GET /api/overview`,
 * `GET /api/queues`, `/api/queues/{vhost}`, `/api/queues/{vhost}/{name}`, with `columns=`, `page`/`page_size` and
 * `disable_stats`; `GET /api/exchanges/{vhost}/{name}/bindings/source`, for the live pidbox mailboxes), in RabbitMQ 3.10's JSON shapes, with basic auth against the broker's users. Off unless asked
 * (`camq broker --management`, BrokerServerOptions.managementPort); the demo turns it on.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { CamqError } from '../errors/index.js';
import type { Clock } from '../util/clock.js';
import { MAX_PAGE_SIZE, bindingJson, overviewJson, pageOf, pickColumns, queueJson, withoutStats, type ListenerJson } from './management-json.js';
import { QueueStatsSampler } from './queue-stats.js';
import type { VirtualHost } from './vhost.js';

export interface ManagementServerOptions {
  readonly host: string;
  /** 0 picks a free one. */
  readonly port: number;
  /** The AMQP port it describes (listed in /api/overview's listeners). */
  readonly amqpPort: () => number;
  readonly users: ReadonlyMap<string, string>;
  readonly vhosts: ReadonlyMap<string, VirtualHost>;
  readonly connectionCount: () => number;
  readonly version: string;
  readonly clock: Clock;
}

const NOT_FOUND = { error: 'Object Not Found', reason: 'Not Found' };

export class ManagementServer {
  readonly node = `camq@${hostname()}`;
  private readonly sampler: QueueStatsSampler;
  private actualPort = 0;

  private constructor(
    private readonly server: Server,
    private readonly options: ManagementServerOptions,
  ) {
    this.sampler = new QueueStatsSampler(() => options.vhosts.values(), options.clock);
  }

  static async start(options: ManagementServerOptions): Promise<ManagementServer> {
    const server = createServer();
    const management = new ManagementServer(server, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => management.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new CamqError(
                'broker.port-in-use',
                `management port ${options.port} on ${options.host} is already in use; pick another with --management <port>`,
                {
                  cause: err,
                },
              )
            : new CamqError('broker.listen-failed', `cannot listen on ${options.host}:${options.port} for the management API: ${err.message}`, {
                cause: err,
              }),
        );
      });
      server.listen(options.port, options.host, () => resolve());
    });
    const address = server.address();
    management.actualPort = typeof address === 'object' && address !== null ? address.port : options.port;
    management.sampler.start();
    return management;
  }

  get port(): number {
    return this.actualPort;
  }

  /** `http://host:port`, what `--api` takes. */
  get url(): string {
    return `http://${this.options.host}:${this.actualPort}`;
  }

  close(): Promise<void> {
    this.sampler.stop();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      if (!this.authorized(req.headers.authorization)) {
        res.setHeader('www-authenticate', 'Basic realm="RabbitMQ Management"');
        return send(res, 401, { error: 'not_authorized', reason: 'Login failed' });
      }
      if (req.method !== 'GET') return send(res, 405, { error: 'Method Not Allowed', reason: 'camq serves GET only' });
      const url = new URL(req.url ?? '/', 'http://localhost');
      const parts = url.pathname
        .split('/')
        .filter((p) => p !== '')
        .map((p) => decodeURIComponent(p));
      if (parts[0] !== 'api') return send(res, 404, NOT_FOUND);
      if (parts.length === 2 && parts[1] === 'overview') return send(res, 200, this.overview());
      if (parts[1] === 'queues' && parts.length <= 4) return this.queues(res, parts[2], parts[3], url.searchParams);
      if (parts[1] === 'exchanges' && parts.length === 6 && parts[4] === 'bindings' && parts[5] === 'source') {
        return this.bindingsFrom(res, parts[2]!, parts[3]!);
      }
      return send(res, 404, NOT_FOUND);
    } catch (err) {
      send(res, 500, { error: 'internal_error', reason: err instanceof Error ? err.message : String(err) });
    }
  }

  private authorized(header: string | undefined): boolean {
    const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
    if (!match) return false;
    const text = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) return false;
    const expected = this.options.users.get(text.slice(0, colon));
    return expected !== undefined && expected === text.slice(colon + 1);
  }

  private overview(): Record<string, unknown> {
    const listener = (protocol: string, port: number): ListenerJson => ({
      node: this.node,
      protocol,
      ip_address: this.options.host,
      port,
      socket_opts: {},
    });
    let queues = 0;
    let consumers = 0;
    let exchanges = 0;
    let ready = 0;
    let unacked = 0;
    for (const vhost of this.options.vhosts.values()) {
      exchanges += vhost.exchanges.size;
      for (const queue of vhost.queues.values()) {
        const stats = this.sampler.stats(queue);
        queues++;
        consumers += stats.consumers;
        ready += stats.ready;
        unacked += stats.unacked;
      }
    }
    return overviewJson({
      node: this.node,
      version: this.options.version,
      listeners: [listener('amqp', this.options.amqpPort()), listener('http', this.actualPort)],
      totals: { queues, consumers, exchanges, connections: this.options.connectionCount() },
      messages: { ready, unacked },
    });
  }

  /**
   * An exchange's bindings to queues, in RabbitMQ's order (by destination, then routing key). Like RabbitMQ 3.10,
   * an unknown vhost or exchange answers an empty list, not 404.
   */
  private bindingsFrom(res: ServerResponse, vhostName: string, exchangeName: string): void {
    const exchange = this.options.vhosts.get(vhostName)?.exchanges.get(exchangeName);
    const items = [...(exchange?.bindings.values() ?? [])]
      .map((b) => bindingJson({ source: exchangeName, vhost: vhostName, destination: b.queue.name, routingKey: b.routingKey, arguments: b.args }))
      .sort((a, b) => compare(a['destination'], b['destination']) || compare(a['routing_key'], b['routing_key']));
    send(res, 200, items);
  }

  private queues(res: ServerResponse, vhostName: string | undefined, queueName: string | undefined, query: URLSearchParams): void {
    const vhosts = vhostName === undefined ? [...this.options.vhosts.values()] : [this.options.vhosts.get(vhostName)].filter((v) => v !== undefined);
    if (vhosts.length === 0) return send(res, 404, NOT_FOUND);
    let items = vhosts.flatMap((vhost) =>
      [...vhost.queues.values()]
        .filter((q) => queueName === undefined || q.name === queueName)
        .map((q) => queueJson(q, vhost.name, this.node, this.sampler.stats(q))),
    );
    if (queueName !== undefined && items.length === 0) return send(res, 404, NOT_FOUND);
    items.sort((a, b) => compare(a['vhost'], b['vhost']) || compare(a['name'], b['name']));
    if (query.get('disable_stats') === 'true') items = items.map(withoutStats);
    const columns = query.get('columns');
    if (columns !== null && columns !== '') {
      const list = columns.split(',').filter((c) => c !== '');
      items = items.map((item) => pickColumns(item, list));
    }
    if (queueName !== undefined) return send(res, 200, items[0]);
    const page = query.get('page');
    if (page === null) return send(res, 200, items);
    const pageNumber = Number(page);
    const pageSize = Number(query.get('page_size') ?? 100);
    if (!Number.isInteger(pageNumber) || pageNumber < 1 || !Number.isInteger(pageSize) || pageSize < 1) {
      return send(res, 400, { error: 'bad_request', reason: 'page and page_size must be positive integers' });
    }
    if (pageSize > MAX_PAGE_SIZE) return send(res, 400, { error: 'bad_request', reason: `Page size must not be greater than ${MAX_PAGE_SIZE}` });
    send(res, 200, pageOf(items, pageNumber, pageSize));
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache' });
  res.end(text);
}

function compare(a: unknown, b: unknown): number {
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
