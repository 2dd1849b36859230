import { BrokerConnection, type BrokerConnectionOptions } from '../amqp/broker-connection.js';
import { RedisTransport } from '../redis/redis-transport.js';
import { isRedisUrl, parseBrokerUrl, type BrokerUrl } from './broker-url.js';
import type { Transport } from './transport.js';

/** How to connect: everything a BrokerConnection takes but the URL (retries, reconnect, timeouts, a name, a clock). */
export type TransportOptions = Omit<BrokerConnectionOptions, 'url'>;

/**
 * The transport for a broker URL: the one place that picks the wire by the URL's scheme (amqp:// and amqps:// on
 * amqplib; redis:// and rediss:// with kombu's Redis format, src/redis; the embedded broker is started by the CLI and
 * reached on its amqp:// URL). Engines that connect by themselves (CamqApp, a worker given a URL,
 * ControlClient.connect) call this, never a wire class.
 */
export function createTransport(url: BrokerUrl | string, options: TransportOptions = {}): Transport {
  const parsed = typeof url === 'string' ? parseBrokerUrl(url) : url;
  if (isRedisUrl(parsed)) {
    const { heartbeatSeconds: _heartbeat, ...redisOptions } = options;
    return new RedisTransport({ ...redisOptions, url: parsed });
  }
  return new BrokerConnection({ ...options, url: parsed });
}
