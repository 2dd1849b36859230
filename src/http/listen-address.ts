import { UsageError } from '../errors/index.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** celery-exporter's `--host` and `--port` defaults: every interface, port 9808. */
export const DEFAULT_METRICS_LISTEN = '0.0.0.0:9808';

/**
 * `--listen` / `--metrics`: `PORT`, `HOST:PORT`, `:PORT` (every interface) or `[IPv6]:PORT`. Port 0 asks the system
 * for a free one (tests). Anything else is a usage error saying what was expected.
 */
export function parseListenAddress(text: string): ListenAddress {
  const trimmed = text.trim();
  const bad = (why: string) =>
    new UsageError(`bad listen address '${text}': ${why}; expected PORT, HOST:PORT or [IPv6]:PORT (e.g. 0.0.0.0:9808)`, 'usage.bad-listen');
  let host = '0.0.0.0';
  let portText = trimmed;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(trimmed);
  if (v6) [, host, portText] = v6 as unknown as [string, string, string];
  else if (trimmed.includes(':')) {
    const colon = trimmed.lastIndexOf(':');
    if (trimmed.indexOf(':') !== colon) throw bad('an IPv6 address goes in brackets');
    host = trimmed.slice(0, colon) || '0.0.0.0';
    portText = trimmed.slice(colon + 1);
  }
  if (!/^\d+$/.test(portText)) throw bad(portText === '' ? 'no port' : `'${portText}' is not a port number`);
  const port = Number(portText);
  if (port > 65535) throw bad(`port ${port} is above 65535`);
  if (/\s/.test(host)) throw bad('the host has spaces');
  return { host, port };
}
