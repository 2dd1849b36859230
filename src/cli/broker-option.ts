import { Option } from 'commander';
import { isEmbeddedBrokerUrl, maskedList, parseBrokerUrl, parseFailoverStrategy, resolveBrokerUrl, type BrokerUrl } from '../transport/broker-url.js';
import type { CliIO } from './cli-io.js';

/** `-b/--broker URL`, shared by every command that talks to a broker. */
export function brokerOption(): Option {
  return new Option(
    '-b, --broker <url>',
    "broker URL, or a list a;b;c of a cluster's nodes (default: $CAMQ_BROKER_URL, $CELERY_BROKER_URL, amqp://guest:guest@localhost:5672//)",
  );
}

/** `--failover`, beside every `-b`: how a URL list is walked when a node goes away (docs/rabbitmq-cluster.md). */
export function failoverOption(): Option {
  return new Option('--failover <strategy>', 'with a URL list: round-robin (default) or shuffle, as kombu (default: $CAMQ_BROKER_FAILOVER)');
}

/** A broker URL ready to connect to, parsed once, and how to let go of it (stops an in-process embedded broker). */
export interface ResolvedBroker {
  /** What engines connect with (createTransport); nothing parses the URL again. */
  readonly parsed: BrokerUrl;
  /** The URL as text, password included: for a child process's `-b` and the worker command. */
  readonly url: string;
  /** What messages print: the masked URL, `embedded (…)` for the in-process broker. */
  readonly masked: string;
  readonly isEmbedded: boolean;
  /** The embedded broker's management API, when it was asked for (`management`). */
  readonly apiUrl?: string | undefined;
  release(): Promise<void>;
}

/**
 * Resolve the broker for a command: the flag, then the environment, then the default (or a broker the caller
 * resolved already, such as the demo's, as it is). `embedded` (or `memory://`) starts camq's own broker inside this
 * process on a free port and returns its amqp:// URL (and, with `management`, its management API on another free port).
 */
export async function resolveBroker(
  flag: string | ResolvedBroker | undefined,
  io: CliIO,
  options: { readonly management?: boolean; readonly failover?: string | undefined } = {},
): Promise<ResolvedBroker> {
  if (typeof flag === 'object') return flag;
  const text = resolveBrokerUrl(flag, io.env);
  const failover = parseFailoverStrategy(options.failover ?? io.env['CAMQ_BROKER_FAILOVER']);
  if (isEmbeddedBrokerUrl(text)) {
    const { startEmbeddedBroker } = await import('../broker/embedded.js');
    const broker = await startEmbeddedBroker({ port: 0, ...(options.management === true ? { managementPort: 0 } : {}) });
    const parsed = parseBrokerUrl(broker.url);
    return { parsed, url: broker.url, masked: `embedded (${parsed.masked})`, isEmbedded: true, apiUrl: broker.apiUrl, release: () => broker.close() };
  }
  return knownBroker(text, failover);
}

/** A broker someone else started or chose (the demo's): parsed once here, and nothing to release. */
/**
 * The management API a command reads: `--api`, else $CAMQ_API_URL, else the embedded broker's own; undefined lets the
 * queues engine find it from the broker URL (docs/queues.md).
 */
export function managementApiUrl(flag: string | undefined, io: CliIO, broker: ResolvedBroker): string | undefined {
  const fromEnv = io.env['CAMQ_API_URL']?.trim();
  return flag ?? (fromEnv === undefined || fromEnv === '' ? undefined : fromEnv) ?? broker.apiUrl;
}

export function knownBroker(text: string, failover?: BrokerUrl['failover']): ResolvedBroker {
  const parsed = parseBrokerUrl(text, failover === undefined ? {} : { failover });
  // A list prints whole (every password masked): which node answered, the connection's own lines say.
  const masked = parsed.alternates.length > 0 ? maskedList(parsed) : parsed.masked;
  return { parsed, url: text, masked, isEmbedded: false, release: async () => {} };
}

/**
 * Open a connection on `broker` (a control client, a transport), run `fn` with it, then close it (a close that fails
 * changes nothing now) and release the broker, whatever happened; a failed open only releases the broker.
 */
export async function withConnection<C extends { close(): Promise<void> }, T>(
  broker: ResolvedBroker,
  open: () => Promise<C>,
  fn: (connection: C) => Promise<T>,
): Promise<T> {
  try {
    const connection = await open();
    try {
      return await fn(connection);
    } finally {
      await connection.close().catch(() => {});
    }
  } finally {
    await broker.release();
  }
}
