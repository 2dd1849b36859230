import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { RedisOptions } from 'ioredis';
import { UsageError } from '../errors/index.js';
import type { BrokerUrl } from '../transport/broker-url.js';
import { DEFAULT_VISIBILITY_TIMEOUT_S, type FanoutOptions } from './redis-keys.js';

/** kombu's transport options that change what is on the wire, read from the URL's query (docs/redis-protocol.md). */
export interface RedisSettings extends FanoutOptions {
  /** kombu's `global_keyprefix`: in front of every key and pub/sub channel the transport uses. */
  readonly keyPrefix: string;
  /** kombu's `visibility_timeout`, seconds. */
  readonly visibilityTimeoutS: number;
}

export function redisSettings(url: BrokerUrl): RedisSettings {
  const q = url.query;
  return {
    db: Number(url.vhost),
    keyPrefix: q['global_keyprefix'] ?? '',
    visibilityTimeoutS: positiveSeconds(q['visibility_timeout'], url) ?? DEFAULT_VISIBILITY_TIMEOUT_S,
    fanoutPrefix: flag(q['fanout_prefix'], true, 'fanout_prefix', url),
    fanoutPatterns: flag(q['fanout_patterns'], true, 'fanout_patterns', url),
  };
}

/** ioredis's options for the URL: host, port, database, AUTH, TLS (kombu's `ssl_*` query names), no retries of its own. */
export function ioredisOptions(url: BrokerUrl, connectTimeoutMs: number, connectionName: string | undefined): RedisOptions {
  const options: RedisOptions = {
    host: url.hostname,
    port: url.port,
    db: Number(url.vhost),
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    // The transport reconnects itself (with the Transport's events and setup hooks), as BrokerConnection does.
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: true,
    // How long ioredis waits for a closed stream to end before destroying it. Its timer is not cleared when the
    // stream had already failed (refused, untrusted certificate), so a CLI that could not connect sat out the whole of
    // ioredis's default 2 s before exiting.
    disconnectTimeout: 300,
  };
  if (url.username !== '') options.username = url.username;
  if (url.password !== '') options.password = url.password;
  if (connectionName !== undefined) options.connectionName = connectionName.replace(/\s+/g, '-');
  if (url.protocol === 'rediss') options.tls = tlsOptions(url);
  return options;
}

function tlsOptions(url: BrokerUrl): Record<string, unknown> {
  const q = url.query;
  const read = (key: string) => (q[key] ? readFileSync(q[key]) : undefined);
  const options: Record<string, unknown> = isIP(url.hostname) === 0 ? { servername: url.hostname } : {};
  const ca = read('ssl_ca_certs');
  const cert = read('ssl_certfile');
  const key = read('ssl_keyfile');
  if (ca) options['ca'] = [ca];
  if (cert) options['cert'] = cert;
  if (key) options['key'] = key;
  const reqs = (q['ssl_cert_reqs'] ?? 'required').toLowerCase();
  if (reqs === 'none' || reqs === 'cert_none') options['rejectUnauthorized'] = false;
  return options;
}

function positiveSeconds(text: string | undefined, url: BrokerUrl): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(Number.isFinite(n) && n > 0)) {
    throw new UsageError(`invalid visibility_timeout '${text}' in broker URL '${url.masked}': expected seconds > 0`, 'usage.bad-broker-url');
  }
  return n;
}

function flag(text: string | undefined, fallback: boolean, name: string, url: BrokerUrl): boolean {
  if (text === undefined) return fallback;
  const t = text.toLowerCase();
  if (t === 'true' || t === '1' || t === 'yes') return true;
  if (t === 'false' || t === '0' || t === 'no') return false;
  throw new UsageError(`invalid ${name} '${text}' in broker URL '${url.masked}': expected true or false`, 'usage.bad-broker-url');
}
