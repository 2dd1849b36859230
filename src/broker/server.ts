/**
 * camq's embedded AMQP 0-9-1 broker as a TCP server: virtual hosts, users, and the client connections. Messages
 * live in memory only; nothing survives a restart, whatever `durable` says.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { FieldTable } from './amqp-codec.js';
import { Connection, type ConnectionSettings } from './connection.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_OUTPUT_BOUND } from './broker-defaults.js';
import { LoginThrottle } from './login-throttle.js';
import { ManagementServer } from './management-server.js';
import { MemoryMonitor, watermarkBytes, type WatermarkSetting } from './memory-monitor.js';
import { VirtualHost, type VhostPolicy } from './vhost.js';
import { CamqError } from '../errors/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';

export const DEFAULT_BROKER_PORT = 5673;

export interface BrokerServerOptions {
  /** TCP port; 0 picks a free one. @defaultValue 5673 */
  readonly port?: number;
  /** @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** Users and their passwords. @defaultValue { guest: 'guest' } */
  readonly users?: Readonly<Record<string, string>>;
  /** Virtual hosts that exist; connecting to any other is RabbitMQ's 530. @defaultValue ['/'] */
  readonly vhosts?: readonly string[];
  /**
   * Virtual hosts whose firehose is on from the start (`rabbitmqctl trace_on`): each publish copied to
   * amq.rabbitmq.trace (docs/tap.md). @defaultValue none
   */
  readonly trace?: readonly string[];
  /** Heartbeat proposed to clients, in seconds. @defaultValue 60 */
  readonly heartbeat?: number;
  /** Largest frame, in bytes. @defaultValue 131072 */
  readonly frameMax?: number;
  /** @defaultValue 2047 */
  readonly channelMax?: number;
  /** Shown to clients in the server properties. */
  readonly version?: string;
  /** @defaultValue systemClock */
  readonly clock?: Clock;
  /** Connection opens, closes and refusals. @defaultValue silentLogger */
  readonly logger?: Logger;
  /** What every virtual host refuses beyond AMQP's rules (RabbitMQ 4.3's defaults, say). @defaultValue {} */
  readonly policy?: VhostPolicy;
  /**
   * A connection that has not finished its handshake (through connection.open) this long after it was accepted is
   * dropped, as RabbitMQ's `handshake_timeout`. @defaultValue 10000 ms
   */
  readonly handshakeTimeoutMs?: number;
  /**
   * Connections logged in at once; a login beyond it is refused with 530 NOT_ALLOWED. RabbitMQ has no
   * default limit (`connection_max`); the embedded broker keeps below the common 1024 open-file limit, so it refuses
   * clearly rather than failing to accept with EMFILE. @defaultValue 1000 (DEFAULT_MAX_CONNECTIONS)
   */
  readonly maxConnections?: number;
  /**
   * The memory high watermark (memory-monitor.ts): a share of the available memory or bytes.
   * @defaultValue RabbitMQ's 0.4 of min(machine memory, cgroup limit, V8 heap limit)
   */
  readonly memoryHighWatermark?: WatermarkSetting;
  /**
   * Output waiting for one client beyond which deliveries to it pause and its input is not read.
   * @defaultValue 4 MiB (DEFAULT_OUTPUT_BOUND)
   */
  readonly outputBound?: number;
  /** Users who may log in only from loopback addresses, as RabbitMQ's `loopback_users`. @defaultValue ['guest'] */
  readonly loopbackUsers?: readonly string[];
  /** The wait after a failed login before the next login from that address is checked. @defaultValue 1000 ms */
  readonly loginFailureDelayMs?: number;
  /**
   * Serve the management HTTP API camq reads (management-server.ts) on this port of `host`; 0 picks a free one.
   * Camq looks for it on the AMQP port + 10,000 (15673 for 5673; see managementPortFor). @defaultValue off
   */
  readonly managementPort?: number;
}

/** Where camq looks for the embedded broker's management API: its AMQP port + 10,000 (src/queues/api-discovery.ts). */
export function managementPortFor(amqpPort: number): number {
  return amqpPort + 10_000;
}

/**
 * Sockets accepted beyond the connection cap, to be told why at connection.open; past these, new sockets are cut
 * at once (net.Server's maxConnections), so a flood of connections cannot exhaust file descriptors.
 */
const REFUSAL_SOCKETS = 100;

export interface QueueInfo {
  readonly name: string;
  /** Ready messages. */
  readonly messages: number;
  readonly unacked: number;
  readonly consumers: number;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly exclusive: boolean;
  readonly arguments: FieldTable;
}

export interface ExchangeInfo {
  readonly name: string;
  readonly type: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
}

export interface BindingInfo {
  readonly source: string;
  readonly destination: string;
  readonly routingKey: string;
  readonly arguments: FieldTable;
}

export class BrokerServer {
  readonly host: string;
  private readonly vhosts = new Map<string, VirtualHost>();
  private readonly connections = new Set<Connection>();
  private readonly sockets = new Set<Socket>();
  private readonly settings: ConnectionSettings;
  private readonly user: readonly [string, string];
  /** The memory alarm and what the broker holds (messages, output): see memory-monitor.ts. */
  readonly memory: MemoryMonitor;
  private readonly loginThrottle: LoginThrottle;
  private actualPort = 0;
  private managementServer: ManagementServer | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    options: BrokerServerOptions,
  ) {
    this.host = options.host ?? '127.0.0.1';
    const clock = options.clock ?? systemClock;
    const users = new Map(Object.entries(options.users ?? { guest: 'guest' }));
    this.user = [...users.entries()][0] ?? ['guest', 'guest'];
    this.memory = new MemoryMonitor(watermarkBytes(options.memoryHighWatermark));
    this.loginThrottle = new LoginThrottle(clock, options.loginFailureDelayMs);
    for (const name of options.vhosts ?? ['/']) this.vhosts.set(name, new VirtualHost(name, clock, options.policy, this.memory));
    for (const name of options.trace ?? []) this.traceOn(name);
    const logger = options.logger ?? silentLogger;
    this.memory.onChange((alarm) => {
      const used = (this.memory.usedBytes / 2 ** 20).toFixed(1);
      const watermark = (this.memory.watermark / 2 ** 20).toFixed(1);
      if (alarm)
        logger.warning(
          `memory alarm set: the broker holds ${used} MiB, at its high watermark of ${watermark} MiB; publishers are blocked until consumers take messages`,
        );
      else logger.warning(`memory alarm cleared: the broker holds ${used} MiB (high watermark ${watermark} MiB); publishers resume`);
    });
    const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    server.maxConnections = maxConnections + REFUSAL_SOCKETS;
    this.settings = {
      users,
      vhosts: this.vhosts,
      heartbeat: options.heartbeat ?? 60,
      frameMax: options.frameMax ?? 131072,
      channelMax: options.channelMax ?? 2047,
      serverProperties: serverProperties(options.version),
      clock,
      logger,
      memory: this.memory,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      outputBound: options.outputBound ?? DEFAULT_OUTPUT_BOUND,
      loopbackUsers: new Set(options.loopbackUsers ?? ['guest']),
      loginThrottle: this.loginThrottle,
      maxConnections,
      admittedConnections: () => this.openConnectionCount,
    };
  }

  /** Start listening; rejects with a CamqError when the port is taken. */
  static async start(options: BrokerServerOptions = {}): Promise<BrokerServer> {
    const server = createServer();
    const broker = new BrokerServer(server, options);
    server.on('connection', (socket) => broker.accept(socket));
    const port = options.port ?? DEFAULT_BROKER_PORT;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new CamqError('broker.port-in-use', `port ${port} on ${broker.host} is already in use; pick another with --port`, { cause: err })
            : new CamqError('broker.listen-failed', `cannot listen on ${broker.host}:${port}: ${err.message}`, { cause: err }),
        );
      });
      server.listen(port, broker.host, () => resolve());
    });
    const address = server.address();
    broker.actualPort = typeof address === 'object' && address !== null ? address.port : port;
    if (options.managementPort !== undefined) {
      try {
        broker.managementServer = await ManagementServer.start({
          host: broker.host,
          port: options.managementPort,
          amqpPort: () => broker.actualPort,
          users: broker.settings.users,
          vhosts: broker.vhosts,
          connectionCount: () => broker.openConnectionCount,
          version: options.version ?? 'embedded',
          clock: options.clock ?? systemClock,
        });
      } catch (err) {
        await broker.close();
        throw err;
      }
    }
    return broker;
  }

  get port(): number {
    return this.actualPort;
  }

  /** amqp:// URL of the default vhost with the first user's credentials. */
  get url(): string {
    const [user, password] = this.user;
    return `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${this.host}:${this.actualPort}//`;
  }

  /** The management API's `http://host:port`, when it was asked for (managementPort). */
  get managementUrl(): string | undefined {
    return this.managementServer?.url;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Connections logged in (past connection.start-ok): what the connection cap counts. */
  get openConnectionCount(): number {
    let open = 0;
    for (const connection of this.connections) if (connection.admitted) open++;
    return open;
  }

  /** Logins waiting for their turn after failed ones from the same address (login-throttle.ts). */
  get waitingLogins(): number {
    return this.loginThrottle.waiting;
  }

  vhost(name = '/'): VirtualHost | undefined {
    return this.vhosts.get(name);
  }

  /** `rabbitmqctl trace_on -p VHOST`: copy every publish in the vhost to amq.rabbitmq.trace. False: no such vhost. */
  traceOn(vhost = '/'): boolean {
    const host = this.vhosts.get(vhost);
    if (host !== undefined) host.tracing = true;
    return host !== undefined;
  }

  /** `rabbitmqctl trace_off -p VHOST`. */
  traceOff(vhost = '/'): boolean {
    const host = this.vhosts.get(vhost);
    if (host !== undefined) host.tracing = false;
    return host !== undefined;
  }

  /** The queues of a vhost, as `rabbitmqctl list_queues` shows them. */
  listQueues(vhost = '/'): QueueInfo[] {
    return [...(this.vhosts.get(vhost)?.queues.values() ?? [])].map((q) => ({
      name: q.name,
      messages: q.messageCount,
      unacked: q.unacked,
      consumers: q.consumerCount,
      durable: q.durable,
      autoDelete: q.autoDelete,
      exclusive: q.owner !== null,
      arguments: q.arguments,
    }));
  }

  /** The exchanges of a vhost, as `rabbitmqctl list_exchanges` shows them. */
  listExchanges(vhost = '/'): ExchangeInfo[] {
    return [...(this.vhosts.get(vhost)?.exchanges.values() ?? [])].map((x) => ({
      name: x.name,
      type: x.type,
      durable: x.durable,
      autoDelete: x.autoDelete,
      internal: x.internal,
      arguments: x.arguments,
    }));
  }

  /** The bindings of a vhost, as `rabbitmqctl list_bindings` shows them (the default exchange's included). */
  listBindings(vhost = '/'): BindingInfo[] {
    const host = this.vhosts.get(vhost);
    if (host === undefined) return [];
    const implicit = [...host.queues.keys()].map((name) => ({ source: '', destination: name, routingKey: name, arguments: {} }));
    const explicit = [...host.exchanges.values()].flatMap((x) =>
      [...x.bindings.values()].map((b) => ({ source: x.name, destination: b.queue.name, routingKey: b.routingKey, arguments: b.args })),
    );
    return [...implicit, ...explicit];
  }

  /**
   * Close, with 320 CONNECTION_FORCED, every connection whose client announced this `connection_name`, as
   * `rabbitmqctl close_connection` does for the ones it names. Returns how many were closed.
   */
  closeConnectionsNamed(connectionName: string, reason = 'Closed via camq broker'): number {
    const named = [...this.connections].filter((c) => c.clientName === connectionName);
    for (const connection of named) connection.forceClose(reason);
    return named.length;
  }

  /** Close every client connection with 320 CONNECTION_FORCED, as `rabbitmqctl close_all_connections` does. */
  closeAllConnections(reason = 'Closed via camq broker'): void {
    for (const connection of this.connections) connection.forceClose(reason);
  }

  /** Stop accepting, close every connection (320 CONNECTION_FORCED), drop all messages. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const management = this.managementServer?.close();
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const connection of this.connections) connection.forceClose("broker forced connection closure with reason 'shutdown'");
      // Clients get a moment to answer close-ok; sockets still open after it are cut.
      const cut = setTimeout(() => {
        for (const socket of this.sockets) socket.destroy();
      }, 500);
      await closed;
      await management;
      clearTimeout(cut);
      for (const vhost of this.vhosts.values()) vhost.clear();
    })();
    return this.closing;
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const connection = new Connection(socket, this.settings, (c) => this.connections.delete(c));
    this.connections.add(connection);
  }
}

function serverProperties(version: string | undefined): FieldTable {
  return {
    product: 'camq embedded broker',
    ...(version === undefined ? {} : { version }),
    platform: `Node.js ${process.version}`,
    information: 'in-memory AMQP 0-9-1 broker for camq; messages do not survive a restart',
    capabilities: {
      publisher_confirms: true,
      exchange_exchange_bindings: false,
      'basic.nack': true,
      consumer_cancel_notify: true,
      'connection.blocked': true,
      authentication_failure_close: true,
      per_consumer_qos: true,
    },
  };
}
