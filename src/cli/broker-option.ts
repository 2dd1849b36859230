import { Option } from 'commander';
import { isEmbeddedBrokerUrl, parseBrokerUrl, resolveBrokerUrl } from '../transport/broker-url.js';
import type { CliIO } from './cli-io.js';

/** `-b/--broker URL`, shared by every command that talks to a broker. */
export function brokerOption(): Option {
  return new Option('-b, --broker <url>', 'broker URL (default: $CAMQ_BROKER_URL, $CELERY_BROKER_URL, amqp://guest:guest@localhost:5672//)');
}

/** A broker URL ready to connect to, and how to let go of it (stops an in-process embedded broker). */
export interface ResolvedBroker {
  readonly url: string;
  readonly masked: string;
  readonly isEmbedded: boolean;
  /** The embedded broker's management API, when it was asked for (`management`). */
  readonly apiUrl?: string | undefined;
  release(): Promise<void>;
}

/**
 * Resolve the broker for a command: the flag, then the environment, then the default. `embedded` (or `memory://`)
 * starts camq's own broker inside this process on a free port and returns its amqp:// URL (and, with `management`,
 * its management API on another free port).
 */
export async function resolveBroker(flag: string | undefined, io: CliIO, options: { readonly management?: boolean } = {}): Promise<ResolvedBroker> {
  const text = resolveBrokerUrl(flag, io.env);
  if (isEmbeddedBrokerUrl(text)) {
    const { startEmbeddedBroker } = await import('../broker/embedded.js');
    const broker = await startEmbeddedBroker({ port: 0, ...(options.management === true ? { managementPort: 0 } : {}) });
    const parsed = parseBrokerUrl(broker.url);
    return { url: broker.url, masked: `embedded (${parsed.masked})`, isEmbedded: true, apiUrl: broker.apiUrl, release: () => broker.close() };
  }
  const parsed = parseBrokerUrl(text);
  return { url: text, masked: parsed.masked, isEmbedded: false, release: async () => {} };
}
