import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BrokerUrl } from '../transport/broker-url.js';

/**
 * Where a broker's journal lives: `<root>/<identity>`, the root being `$XDG_DATA_HOME/camq`, else
 * `~/.local/share/camq`. The identity is the URL's host, port and vhost (never the user or password): RabbitMQ
 * keeps one event stream per vhost. A kombu URL list (`amqp://a;amqp://b`) is named by its first URL's host and
 * vhost for now; issue 16 names a cluster by its own name instead.
 */
export function journalRoot(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const xdg = env['XDG_DATA_HOME'];
  return xdg !== undefined && xdg !== '' ? join(xdg, 'camq') : join(env['HOME'] || homedir(), '.local', 'share', 'camq');
}

/** `rabbit.example.com_5672_%2Fprod`: a file name that cannot climb out of the root, the same for equal URLs. */
export function journalIdentity(broker: Pick<BrokerUrl, 'protocol' | 'hostname' | 'port' | 'vhost'>): string {
  if (broker.protocol === 'embedded') return 'embedded';
  // A kombu URL list parses to its first URL (the others are `alternates`): that one names the journal.
  return `${safe(broker.hostname.toLowerCase())}_${broker.port}_${safe(broker.vhost)}`;
}

/** The journal directory for a broker: `dir` when given (`--journal DIR`), else under journalRoot(). */
export function journalDirectory(
  broker: Pick<BrokerUrl, 'protocol' | 'hostname' | 'port' | 'vhost'>,
  options: { readonly dir?: string | undefined; readonly env?: Readonly<Record<string, string | undefined>> } = {},
): string {
  return options.dir ?? join(journalRoot(options.env), journalIdentity(broker));
}

function safe(text: string): string {
  return encodeURIComponent(text)
    .replace(/\./g, (dot, i: number) => (i === 0 ? '%2E' : dot))
    .replace(/\*/g, '%2A');
}
