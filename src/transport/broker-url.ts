import { UsageError } from '../errors/index.js';

/**
 * A broker URL, parsed the way kombu parses it, so a URL that works for Celery works for camq:
 *
 * - `amqp://user:pass@host:port/vhost`; `amqps://` for TLS (default ports 5672 and 5671).
 * - The vhost is the path without its first `/`, percent-decoded; an empty path and `//` both mean `/`
 *   (`amqp://guest:guest@localhost:5672//` is the default vhost), `/%2Ffoo` and `//foo` mean `/foo`.
 * - Query parameters follow RabbitMQ's URI spec: `heartbeat` (s), `connection_timeout` (ms), `frame_max`,
 *   `channel_max`, `cacertfile`, `certfile`, `keyfile`, `verify` (`verify_none` turns certificate checks off),
 *   `server_name_indication`.
 * - `embedded` and `memory://` ask for camq's in-process broker (src/broker).
 * - `redis://[user]:password@host:port/db` and `rediss://` (TLS) for kombu's Redis transport (default port 6379):
 *   `vhost` holds the database number as text (`0` when the path is empty or `/`), the user is empty unless given.
 *   Their query parameters are in docs/redis-protocol.md.
 *
 * The password is non-enumerable, so it never leaks through JSON.stringify or util.inspect of a BrokerUrl;
 * `masked` is the form every message prints: `amqp://guest:**@localhost:5672//`.
 *
 * A list of URLs, as kombu writes one for a cluster (`amqp://h1//;amqp://h2//;amqp://h3//`), parses to the first
 * URL with the others in `alternates` and the order to try them in `failover` (kombu's `failover_strategy` names:
 * `round-robin`, the default, or `shuffle`). Each URL of the list stands alone, as in kombu: one without user info
 * logs in as guest, it does not borrow the first one's. BrokerConnection connects to the first that answers and, when
 * its node goes away, to the next (src/amqp/broker-connection.ts); `nodesOf` lists them all.
 *
 * Why not WHATWG `URL`: tried, it came out no shorter. It splits user info, host and query well, but a bad port
 * only throws "Invalid URL" (the one line must name the port), port 0 passes, a missing user info must still be told
 * from an empty one, and the vhost rule needs the raw path anyway.
 */
export interface BrokerUrl {
  readonly protocol: 'amqp' | 'amqps' | 'redis' | 'rediss' | 'embedded';
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  /** Non-enumerable. */
  readonly password: string;
  readonly vhost: string;
  readonly query: Readonly<Record<string, string>>;
  /** The URL with the password replaced by `**`. */
  readonly masked: string;
  /** The other URLs of a `;`-separated list, in the order written; empty for one URL. Non-enumerable. */
  readonly alternates: readonly BrokerUrl[];
  /** How to pick the next URL of a list when one goes away. Non-enumerable. */
  readonly failover: FailoverStrategy;
}

/** kombu's `failover_strategy` names: `round-robin` tries the list in order, `shuffle` in a random order. */
export type FailoverStrategy = 'round-robin' | 'shuffle';
export const FAILOVER_STRATEGIES: readonly FailoverStrategy[] = ['round-robin', 'shuffle'];

/** `--failover` or `CAMQ_BROKER_FAILOVER` as text, checked; undefined and '' mean round-robin. */
export function parseFailoverStrategy(text: string | undefined): FailoverStrategy {
  const t = (text ?? '').trim().toLowerCase();
  if (t === '') return 'round-robin';
  if (t === 'round-robin' || t === 'shuffle') return t;
  throw new UsageError(`unknown failover strategy '${text}': use round-robin or shuffle`, 'usage.bad-failover');
}

/** Every URL of a (possibly one-URL) list: the first, then its alternates. */
export function nodesOf(url: BrokerUrl): readonly BrokerUrl[] {
  return [url, ...url.alternates];
}

/** The whole list masked, `;`-separated, for a message that names what was given. */
export function maskedList(url: BrokerUrl): string {
  return nodesOf(url)
    .map((u) => u.masked)
    .join(';');
}

export const DEFAULT_BROKER_URL = 'amqp://guest:guest@localhost:5672//';

const DEFAULT_PORTS = { amqp: 5672, amqps: 5671, redis: 6379, rediss: 6379 } as const;

/** True for a URL kombu's Redis transport serves (redis://, rediss://). */
export function isRedisUrl(url: BrokerUrl): boolean {
  return url.protocol === 'redis' || url.protocol === 'rediss';
}

/**
 * The URL to use: the `-b/--broker` flag, else `CAMQ_BROKER_URL`, else `CELERY_BROKER_URL`, else the default. The
 * caller hands in the environment (the CLI's, or CamqApp's documented fallback); engines read none themselves.
 */
export function resolveBrokerUrl(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  for (const candidate of [flag, env['CAMQ_BROKER_URL'], env['CELERY_BROKER_URL']]) {
    if (candidate !== undefined && candidate.trim() !== '') return candidate.trim();
  }
  return DEFAULT_BROKER_URL;
}

export function isEmbeddedBrokerUrl(text: string): boolean {
  const t = text.trim().toLowerCase();
  return t === 'embedded' || t === 'memory' || t.startsWith('memory://') || t.startsWith('embedded://');
}

/**
 * Parse a broker URL, or a kombu URL list (`;`-separated; empty items ignored) with `failover` saying how to walk it.
 * A list of one is just that URL.
 */
export function parseBrokerUrl(text: string, options: { readonly failover?: FailoverStrategy } = {}): BrokerUrl {
  const parts = text
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const failover = options.failover ?? 'round-robin';
  if (parts.length > 1) {
    if (parts.some(isEmbeddedBrokerUrl)) {
      throw new UsageError(`the embedded broker cannot be part of a URL list ('${maskBrokerUrl(text)}')`, 'usage.bad-broker-url');
    }
    const [first, ...rest] = parts.map((p) => parseOneBrokerUrl(p, [], failover));
    // Failover moves a tool between nodes of one broker kind: an AMQP node and a Redis server hold different queues.
    if (rest.some((url) => isRedisUrl(url) !== isRedisUrl(first!))) {
      throw new UsageError(
        `a URL list mixes AMQP and Redis ('${maskBrokerUrl(text)}'): list nodes of one broker, all amqp:// or all redis://`,
        'usage.bad-broker-url',
      );
    }
    // The spread copies the enumerable fields only: not the password, alternates or toString.
    return withPassword({ ...first! }, first!.password, rest, failover);
  }
  return parseOneBrokerUrl(parts[0] ?? text, [], failover);
}

function parseOneBrokerUrl(text: string, alternates: readonly BrokerUrl[], failover: FailoverStrategy): BrokerUrl {
  const raw = text.trim();
  if (isEmbeddedBrokerUrl(raw)) {
    return withPassword(
      { protocol: 'embedded', hostname: '127.0.0.1', port: 0, username: 'guest', vhost: '/', query: {}, masked: 'embedded' },
      'guest',
      alternates,
      failover,
    );
  }
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(raw);
  if (!match) {
    throw new UsageError(`invalid broker URL '${maskBrokerUrl(raw)}': expected amqp://user:password@host:port/vhost`, 'usage.bad-broker-url');
  }
  const scheme = match[1]!.toLowerCase();
  if (scheme === 'sentinel' || scheme === 'redis+socket' || scheme === 'socket') {
    throw new UsageError(
      `broker URL scheme '${scheme}://' in '${maskBrokerUrl(raw)}' is not supported: camq reaches Redis over TCP only (redis:// or rediss://, no Sentinel)`,
      'usage.bad-broker-url',
    );
  }
  if (scheme !== 'amqp' && scheme !== 'amqps' && scheme !== 'pyamqp' && scheme !== 'librabbitmq' && scheme !== 'redis' && scheme !== 'rediss') {
    throw new UsageError(
      `unsupported broker URL scheme '${scheme}://' in '${maskBrokerUrl(raw)}': camq speaks AMQP 0-9-1 (amqp:// or amqps://) and kombu's Redis transport (redis:// or rediss://)`,
      'usage.bad-broker-url',
    );
  }
  const protocol = scheme === 'amqps' || scheme === 'redis' || scheme === 'rediss' ? scheme : 'amqp';
  const isRedis = protocol === 'redis' || protocol === 'rediss';
  let rest = match[2]!;

  let queryText = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    queryText = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash) : '';

  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : '';
  const hostport = at >= 0 ? authority.slice(at + 1) : authority;

  let username = isRedis ? '' : 'guest';
  let password = isRedis ? '' : 'guest';
  if (at >= 0) {
    const colon = userinfo.indexOf(':');
    username = decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo, raw);
    password = colon >= 0 ? decode(userinfo.slice(colon + 1), raw) : '';
  }

  let hostname = hostport;
  let portText = '';
  const bracket = /^\[([^\]]+)\](?::(\d*))?$/.exec(hostport);
  if (bracket) {
    hostname = bracket[1]!;
    portText = bracket[2] ?? '';
  } else {
    const colon = hostport.lastIndexOf(':');
    if (colon >= 0) {
      hostname = hostport.slice(0, colon);
      portText = hostport.slice(colon + 1);
    }
  }
  if (hostname === '') hostname = 'localhost';
  let port: number = DEFAULT_PORTS[protocol];
  if (portText !== '') {
    if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new UsageError(`invalid port '${portText}' in broker URL '${maskBrokerUrl(raw)}'`, 'usage.bad-broker-url');
    }
    port = Number(portText);
  }

  // kombu: strip one leading '/', then unquote; empty means the default vhost '/'.
  const vhostPath = path.startsWith('/') ? path.slice(1) : path;
  let vhost = vhostPath === '' ? '/' : decode(vhostPath, raw);
  if (isRedis) {
    // kombu's _prepare_virtual_host: '' and '/' are database 0; anything else must be a whole number.
    const db = vhost === '/' ? '0' : vhost.replace(/^\//, '');
    if (!/^\d+$/.test(db)) {
      throw new UsageError(
        `invalid Redis database '${db}' in broker URL '${maskBrokerUrl(raw)}': expected a number, e.g. redis://localhost:6379/0`,
        'usage.bad-broker-url',
      );
    }
    vhost = String(Number(db));
  }

  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(queryText)) query[key] = value;

  const masked = formatMasked(protocol, username, hostname, port, vhost, password !== '');
  return withPassword({ protocol, hostname, port, username, vhost, query, masked }, password, alternates, failover);
}

/**
 * Mask the password of any URL-looking text, even one that does not parse: `amqp://guest:guest@h//` becomes
 * `amqp://guest:**@h//`. Use this on anything that might be printed.
 */
export function maskBrokerUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^@\s]*)@/gi, '$1**@');
}

function formatMasked(protocol: string, username: string, hostname: string, port: number, vhost: string, hasPassword: boolean): string {
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  const user = username === '' ? '' : `${encodeURIComponent(username)}:**@`;
  if (protocol === 'redis' || protocol === 'rediss') {
    const auth = username === '' && !hasPassword ? '' : `${encodeURIComponent(username)}:**@`;
    return `${protocol}://${auth}${host}:${port}/${vhost}`;
  }
  const path = vhost === '/' ? '/' : encodeURIComponent(vhost).replace(/%2F/g, '/');
  return `${protocol}://${user}${host}:${port}/${path}`;
}

function decode(part: string, raw: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new UsageError(`invalid percent-encoding in broker URL '${maskBrokerUrl(raw)}'`, 'usage.bad-broker-url');
  }
}

function withPassword(
  fields: Omit<BrokerUrl, 'password' | 'alternates' | 'failover'>,
  password: string,
  alternates: readonly BrokerUrl[],
  failover: FailoverStrategy,
): BrokerUrl {
  const url = { ...fields } as BrokerUrl;
  Object.defineProperty(url, 'password', { value: password, enumerable: false });
  Object.defineProperty(url, 'alternates', { value: Object.freeze([...alternates]), enumerable: false });
  Object.defineProperty(url, 'failover', { value: failover, enumerable: false });
  Object.defineProperty(url, 'toString', { value: () => fields.masked, enumerable: false });
  return Object.freeze(url);
}
