import { nodesOf, type BrokerUrl } from './broker-url.js';

/**
 * What a broker (or a cluster of them) is called, independent of which URL of a list a tool connected through: a
 * journal recorded over `amqp://h1//;amqp://h2//` and one recorded over `amqp://h2//` alone, on the same cluster and
 * vhost, belong together.
 */
export interface BrokerIdentity {
  /** RabbitMQ's `cluster_name` (server property, `rabbitmqctl set_cluster_name`), else the first node's host:port. */
  readonly cluster: string;
  /** Where `cluster` came from. */
  readonly from: 'cluster_name' | 'first-host';
  /** The vhost: two Celery apps on one cluster are told apart by it. */
  readonly vhost: string;
  /** `cluster` and `vhost` in one string, for a key or a file name: `rabbit@node1/` , `h1:5672/prod`. */
  readonly key: string;
  /** Every node of the list, masked (the URLs, not broker node names). */
  readonly nodes: readonly string[];
}

/**
 * The identity of the broker behind a URL (list): the cluster's name when the broker announced one at handshake
 * (`serverProperties.cluster_name`, which RabbitMQ always sends: by default its first node's name), else the first
 * URL's `host:port`. Pass the transport's `serverProperties` once connected; without them (offline, before
 * connecting) the first host names it, so compare identities taken the same way.
 */
export function brokerIdentity(url: BrokerUrl, serverProperties?: Readonly<Record<string, unknown>>): BrokerIdentity {
  const announced = propertyText(serverProperties?.['cluster_name']);
  const host = url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname;
  const cluster = announced ?? `${host}:${url.port}`;
  return {
    cluster,
    from: announced === undefined ? 'first-host' : 'cluster_name',
    vhost: url.vhost,
    key: `${cluster}/${url.vhost === '/' ? '' : url.vhost}`,
    nodes: nodesOf(url).map((n) => n.masked),
  };
}

/** A server property as text: amqplib hands long strings over as strings, byte arrays as Buffers. */
function propertyText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (value instanceof Uint8Array) return value.length === 0 ? undefined : Buffer.from(value).toString('utf8');
  return undefined;
}
