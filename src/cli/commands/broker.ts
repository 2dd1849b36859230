import { Command, InvalidArgumentError } from 'commander';
import { parseBrokerUrl } from '../../transport/broker-url.js';
import { createLogger, parseLogLevel, type LogLevel } from '../../util/logger.js';
import { processIO, writeLine, type CliIO } from '../cli-io.js';
import type { IpcPort } from '../../broker/inspection-ipc.js';
import { parseWatermark, watermarkBytes, type WatermarkSetting } from '../../broker/memory-monitor.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS } from '../../broker/broker-defaults.js';
import { UsageError } from '../../errors/index.js';
import { CAMQ_VERSION } from '../version.js';
import { parseSeconds } from '../seconds-option.js';
import { nextStopSignal } from '../stop-signal.js';

/**
 * `camq broker`: camq's embedded AMQP 0-9-1 broker as a server on 127.0.0.1, in memory. Prints its URL (password
 * masked), logs connections at --loglevel, and stops cleanly on SIGINT or SIGTERM, closing every connection.
 */
export interface BrokerCommandDeps {
  readonly io?: CliIO;
  /** Resolves when the broker should stop. @defaultValue the first SIGINT or SIGTERM */
  readonly waitForStop?: () => Promise<void>;
  /** The IPC channel `--ipc` serves: to the Node parent that forked this process. @defaultValue process */
  readonly ipc?: IpcPort;
}

interface BrokerOptions {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly vhost: string[];
  readonly trace: string[];
  readonly loglevel: LogLevel;
  readonly json?: boolean;
  readonly ipc?: boolean;
  readonly denyTransientNonexclQueues?: boolean;
  readonly maxConnections: number;
  readonly handshakeTimeout: number;
  readonly memoryHighWatermark?: WatermarkSetting;
  /** true: the AMQP port + 10,000 (where camq looks); a number: that port. */
  readonly management?: boolean | number;
}

export function createBrokerCommand(deps: BrokerCommandDeps = {}): Command {
  const io = deps.io ?? processIO;
  return new Command('broker')
    .description("run camq's embedded AMQP 0-9-1 broker on 127.0.0.1 (messages live in memory only)")
    .option('-p, --port <port>', 'TCP port; 0 picks a free one', parsePort, 5673)
    .option('--user <name>', 'the user clients log in as', 'guest')
    .option('--password <password>', 'the password of --user', 'guest')
    .option('--vhost <name>', "another virtual host besides '/' (repeatable)", collect, [])
    .option('-l, --loglevel <level>', 'log connections at this level: debug, info, warning, error', parseLevel, 'warning')
    .option(
      '--deny-transient-nonexcl-queues',
      'refuse queues that are neither durable nor exclusive (541, closing the connection), as RabbitMQ 4.3 does by default',
    )
    .option('--max-connections <n>', 'connections allowed at once; more are refused with 530 after their login', parseCount, DEFAULT_MAX_CONNECTIONS)
    .option(
      '--handshake-timeout <seconds>',
      "drop a connection that has not finished its AMQP handshake in this time (RabbitMQ's handshake_timeout)",
      parseSeconds,
      DEFAULT_HANDSHAKE_TIMEOUT_MS / 1000,
    )
    .option(
      '--memory-high-watermark <share|bytes>',
      "block publishers (connection.blocked) when the broker's memory (its own at start plus the messages and output it holds) reaches this: a share of the memory available, the least of the machine's, the cgroup limit and Node's heap limit (default 0.4, as RabbitMQ), or a size (512MiB, 2GB)",
      parseWatermarkOption,
    )
    .option(
      '--management [port]',
      'serve the management HTTP API camq reads (camq queues) on this port; without one, on the AMQP port + 10000 (15673 for 5673), where camq looks for it',
      parsePort,
    )
    .option(
      '--trace <vhost>',
      'switch on the firehose for this vhost (rabbitmqctl trace_on): every publish copied to amq.rabbitmq.trace (repeatable; docs/tap.md)',
      collect,
      [],
    )
    .option('-j, --json', 'print the URL as JSON')
    .option(
      '--ipc',
      'forked by a Node process: answer its inspection requests (queues, exchanges, bindings, closing connections) on the IPC channel, and stop when it goes',
    )
    .action(async (options: BrokerOptions) => {
      const ipc = options.ipc ? (deps.ipc ?? process) : undefined;
      if (ipc !== undefined && ipc.send === undefined)
        throw new UsageError("--ipc needs an IPC channel: start camq broker with Node's child_process.fork (or stdio 'ipc')");
      const vhosts = ['/', ...options.vhost.filter((v) => v !== '/')];
      const unknown = options.trace.find((v) => !vhosts.includes(v));
      if (unknown !== undefined)
        throw new UsageError(`--trace ${unknown}: no such vhost; add it with --vhost ${unknown} (the broker has ${vhosts.join(', ')})`);
      const { BrokerServer, managementPortFor } = await import('../../broker/server.js');
      const server = await BrokerServer.start({
        port: options.port,
        users: { [options.user]: options.password },
        vhosts,
        version: CAMQ_VERSION,
        logger: createLogger({ level: options.loglevel, write: (line) => writeLine(io.stderr, line) }),
        policy: { denyTransientNonExclusiveQueues: options.denyTransientNonexclQueues ?? false },
        maxConnections: options.maxConnections,
        handshakeTimeoutMs: options.handshakeTimeout * 1000,
        memoryHighWatermark: { bytes: processWatermark(options.memoryHighWatermark) },
        ...managementOption(options, managementPortFor),
        trace: options.trace,
      });
      const masked = parseBrokerUrl(server.url).masked;
      if (options.json) {
        const api = server.managementUrl === undefined ? {} : { api: server.managementUrl };
        writeLine(io.stdout, JSON.stringify({ url: masked, host: server.host, port: server.port, vhosts: ['/', ...options.vhost], ...api }));
      } else {
        writeLine(io.stdout, `camq broker listening on ${masked} (in memory; Ctrl-C to stop)`);
        if (server.managementUrl !== undefined) writeLine(io.stdout, `management API on ${server.managementUrl}`);
      }
      const inspection = ipc === undefined ? undefined : (await import('../../broker/inspection-ipc.js')).serveInspection(server, ipc);
      await Promise.race([(deps.waitForStop ?? nextStopSignal)(), ...(inspection ? [inspection.disconnected] : [])]);
      inspection?.stop();
      await server.close();
      if (!options.json) writeLine(io.stdout, 'camq broker stopped');
    });
}

/** `--management [port]` as BrokerServerOptions: off, the given port, or the AMQP port + 10000 (0 with `--port 0`). */
function managementOption(options: BrokerOptions, portFor: (amqpPort: number) => number): { managementPort?: number } {
  if (options.management === undefined || options.management === false) return {};
  if (options.management === true) return { managementPort: options.port === 0 ? 0 : portFor(options.port) };
  return { managementPort: options.management };
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return Number(text);
}

/**
 * The broker's own process, like RabbitMQ's node, should stay under the watermark as given: the broker counts what it
 * holds (memory-monitor.ts), so what this process uses before any client comes is taken off the watermark.
 */
function processWatermark(setting: WatermarkSetting | undefined): number {
  const watermark = watermarkBytes(setting);
  const own = process.memoryUsage.rss();
  if (watermark - own < 2 ** 20) {
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
    throw new UsageError(
      `--memory-high-watermark of ${mib(watermark)} leaves nothing for messages: camq broker itself uses ${mib(own)}; give more, e.g. ${mib(own + 256 * 2 ** 20)}`,
    );
  }
  return watermark - own;
}

function parseCount(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return Number(text);
}

function parseWatermarkOption(text: string): WatermarkSetting {
  const setting = parseWatermark(text);
  if (setting === undefined)
    throw new InvalidArgumentError('expected a share of memory above 0 and at most 1 (0.4) or a size in bytes (536870912, 512MiB, 2GB).');
  return setting;
}

function parseLevel(text: string): LogLevel {
  const level = parseLogLevel(text);
  if (level === undefined) throw new InvalidArgumentError('expected debug, info, warning or error.');
  return level;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
