/**
 * One extra RabbitMQ node for a test that needs broker settings the machine's node must keep (consumer_timeout,
 * channel_tick_interval): its own node name, AMQP and distribution ports, data, log, config, advanced.config and
 * enabled-plugins files and Erlang cookie, all under a temporary directory the `rabbitmq` user can write (the node
 * runs as that user when the tests run as root), so it reads nothing from /etc/rabbitmq and the machine's node on
 * 5672 is never touched. No plugins (no management listener to fight over). `stop` stops the node (SIGKILL to its
 * beam if it does not go) and removes the directory. For a three-node cluster see scripts/rabbitmq-cluster.sh.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const RABBITMQ_BIN = '/usr/lib/rabbitmq/bin';

export interface RabbitmqNodeOptions {
  /** AMQP port; the distribution port is this + 20000. */
  readonly port: number;
  /** Lines of rabbitmq.conf (`consumer_timeout = 10000`), besides the listener. */
  readonly conf?: readonly string[];
  /** The advanced.config text (an Erlang term list ending in a dot). @defaultValue '[].' */
  readonly advancedConfig?: string;
  /** How long to wait for the node to take AMQP connections. @defaultValue 90 s */
  readonly startTimeoutMs?: number;
}

export interface RabbitmqNode {
  /** `amqp://guest:guest@127.0.0.1:PORT//` (the node's own default vhost). */
  readonly url: string;
  readonly nodename: string;
  readonly dir: string;
  /** The node's log so far. */
  log(): string;
  /** rabbitmqctl aimed at this node only. */
  ctl(args: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Whether this machine can run an extra node (RabbitMQ installed; as root, a `rabbitmq` user to run it). */
export function canRunRabbitmqNode(): boolean {
  return existsSync(join(RABBITMQ_BIN, 'rabbitmq-server'));
}

export async function startRabbitmqNode(options: RabbitmqNodeOptions): Promise<RabbitmqNode> {
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'camq-rabbitmq-node-'));
  const nodename = `camqnode${randomUUID().slice(0, 8)}@localhost`;
  mkdirSync(join(dir, 'mnesia'));
  mkdirSync(join(dir, 'log'));
  writeFileSync(
    join(dir, 'rabbitmq.conf'),
    [`listeners.tcp.default = ${options.port}`, 'log.console = false', ...(options.conf ?? [])].join('\n') + '\n',
  );
  writeFileSync(join(dir, 'advanced.config'), `${options.advancedConfig ?? '[].'}\n`);
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  writeFileSync(join(dir, '.erlang.cookie'), randomUUID().replace(/-/g, '').toUpperCase());
  chmodSync(join(dir, '.erlang.cookie'), 0o400);
  chmodSync(dir, 0o700);
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'rabbitmq']);
    const { stdout: gid } = await run('id', ['-g', 'rabbitmq']);
    const uid = Number(stdout.trim());
    for (const p of ['', 'mnesia', 'log', 'rabbitmq.conf', 'advanced.config', 'enabled_plugins', 'rabbitmq-env.conf', '.erlang.cookie']) {
      chownSync(join(dir, p), uid, Number(gid.trim()));
    }
  }
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: dir,
    RABBITMQ_NODENAME: nodename,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(options.port),
    RABBITMQ_DIST_PORT: String(options.port + 20_000),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'beam.pid'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
  };
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const asUser = (cmd: string, args: readonly string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'rabbitmq', '--', 'env', ...envArgs, cmd, ...args]] : ['env', [...envArgs, cmd, ...args]];

  let output = '';
  const [cmd, args] = asUser(join(RABBITMQ_BIN, 'rabbitmq-server'), []);
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));

  const ctl = async (ctlArgs: readonly string[]): Promise<string> => {
    const [c, a] = asUser(join(RABBITMQ_BIN, 'rabbitmqctl'), ['-n', nodename, ...ctlArgs]);
    const { stdout } = await run(c, a, { timeout: 60_000 });
    return stdout;
  };
  const beamPid = (): number | undefined => {
    try {
      const pid = Number(readFileSync(join(dir, 'beam.pid'), 'utf8').trim());
      return pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  const stop = async (): Promise<void> => {
    await ctl(['stop']).catch(() => {});
    const pid = beamPid();
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    if (!exited && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  while (!(await portOpen(options.port))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`the extra RabbitMQ node ${nodename} did not start on port ${options.port}:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return { url: `amqp://guest:guest@127.0.0.1:${options.port}//`, nodename, dir, log: () => output, ctl, stop };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
