import { CamqError, ManagementApiError, UsageError } from '../errors/index.js';
import { isRedisUrl, type BrokerUrl } from '../transport/broker-url.js';
import type { Clock } from '../util/clock.js';
import { ManagementApi } from './management-api.js';

/** RabbitMQ's management listener: 15672 over HTTP, 15671 over HTTPS (its docs' conventional TLS port). */
export const MANAGEMENT_PORT = 15672;
export const MANAGEMENT_TLS_PORT = 15671;
/**
 * The second place camq looks: the AMQP port plus 10,000, which is 15672 for RabbitMQ's 5672 and 15673 for the
 * embedded broker's 5673 (`camq broker` and the demo serve their management API there).
 */
export const MANAGEMENT_PORT_OFFSET = 10_000;

export interface ApiDiscoveryOptions {
  /** The broker camq is connected to (or about to be): its host, port, credentials and vhost. */
  readonly broker: BrokerUrl;
  /** `--api URL` or `CAMQ_API_URL`: used as given, with no listener check. */
  readonly apiUrl?: string | undefined;
  /** Where to look instead of candidateUrls(broker) (tests point it at a port where nothing listens). */
  readonly candidates?: readonly string[] | undefined;
  readonly timeoutMs?: number | undefined;
  readonly clock?: Clock | undefined;
  readonly fetch?: typeof fetch | undefined;
}

/** The API to use, or why there is none (every place tried, with what each said). */
export type ApiDiscovery = { readonly api: ManagementApi; readonly reason: null } | { readonly api: null; readonly reason: string };

/**
 * Find the management API that describes the broker camq is connected to.
 *
 * - An explicit URL (`--api`) is used as given; credentials in it win over the broker URL's.
 * - Otherwise camq tries the broker's host on 15672 (`amqp://`) or 15671 over HTTPS (`amqps://`), then on the AMQP
 *   port + 10,000, with the broker URL's credentials, and takes the first whose `GET /api/overview` lists an AMQP
 *   listener on the port camq is connected to, so the embedded broker on 5673 is never described by a RabbitMQ on
 *   the same host. HTTPS uses Node's trust store (NODE_EXTRA_CA_CERTS adds to it); the broker URL's `cacertfile`
 *   does not apply to it.
 */
export async function discoverManagementApi(options: ApiDiscoveryOptions): Promise<ApiDiscovery> {
  const { broker } = options;
  const common = {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  };
  if (options.apiUrl !== undefined) {
    const given = parseApiUrl(options.apiUrl);
    const username = given.username === '' ? broker.username : decodeURIComponent(given.username);
    const password = given.username === '' ? broker.password : decodeURIComponent(given.password);
    return { api: new ManagementApi({ ...common, baseUrl: given.href, username, password }), reason: null };
  }
  if (isRedisUrl(broker)) return { api: null, reason: 'Redis has no management API' };
  const reasons: string[] = [];
  for (const baseUrl of options.candidates ?? candidateUrls(broker)) {
    const api = new ManagementApi({ ...common, baseUrl, username: broker.username, password: broker.password });
    try {
      const ports = amqpListenerPorts(await api.get('overview'));
      if (ports.includes(broker.port)) return { api, reason: null };
      const listed = ports.length === 0 ? 'none' : ports.join(', ');
      reasons.push(
        new ManagementApiError(
          'api.other-broker',
          `the management API at ${api.origin} describes another broker (its AMQP ports: ${listed}; camq is connected to ${broker.port})`,
        ).message,
      );
    } catch (err) {
      if (!(err instanceof CamqError)) throw err;
      reasons.push(err.message);
    }
  }
  return { api: null, reason: reasons.join('; ') };
}

/** Where camq looks for the API of `broker` when not told: see discoverManagementApi. */
export function candidateUrls(broker: BrokerUrl): string[] {
  const tls = broker.protocol === 'amqps';
  const scheme = tls ? 'https' : 'http';
  const host = broker.hostname.includes(':') ? `[${broker.hostname}]` : broker.hostname;
  const ports = [tls ? MANAGEMENT_TLS_PORT : MANAGEMENT_PORT];
  const offset = broker.port + MANAGEMENT_PORT_OFFSET;
  if (offset <= 65535 && !ports.includes(offset)) ports.push(offset);
  return ports.map((port) => `${scheme}://${host}:${port}`);
}

/** The ports of the AMQP listeners (`amqp`, `amqp/ssl`) an `/api/overview` answer lists. */
export function amqpListenerPorts(overview: unknown): number[] {
  const listeners = (overview as { listeners?: unknown } | null)?.listeners;
  if (!Array.isArray(listeners)) return [];
  const ports: number[] = [];
  for (const listener of listeners as unknown[]) {
    if (typeof listener !== 'object' || listener === null) continue;
    const { protocol, port } = listener as { protocol?: unknown; port?: unknown };
    const number = typeof port === 'string' ? Number(port) : port;
    if (typeof protocol === 'string' && protocol.startsWith('amqp') && typeof number === 'number' && Number.isInteger(number)) ports.push(number);
  }
  return ports;
}

/** `--api`'s value: an http(s) URL; a trailing `/api` or `/` is dropped (camq adds `/api/...` itself). */
export function parseApiUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new UsageError(
      `invalid management API URL '${maskCredentials(text)}': expected http://host:15672 or https://host:15671`,
      'usage.bad-api-url',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`unsupported management API URL '${maskCredentials(text)}': it must start with http:// or https://`, 'usage.bad-api-url');
  }
  url.pathname = url.pathname.replace(/\/api\/?$/, '').replace(/\/+$/, '');
  url.search = '';
  url.hash = '';
  return url;
}

function maskCredentials(text: string): string {
  return text.replace(/(\/\/[^:/@\s]*:)[^@\s]*@/, '$1**@');
}
