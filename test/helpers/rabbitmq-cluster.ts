/**
 * A real three-node RabbitMQ cluster for the `cluster` vitest project (`npm run test:cluster`), through
 * scripts/rabbitmq-cluster.sh: its own node names, ports, data directories, cookie and config, never the machine's node.
 *
 * - As the project's globalSetup (the default export), it starts one cluster for the whole run, hands its coordinates
 *   to the test files (`inject('rabbitmqCluster')`, read through `useRabbitmqCluster()`) and stops it afterwards.
 * - `RabbitmqCluster` drives a cluster from a test file: kill a node (SIGKILL of its beam), start it again, read its
 *   URLs. A test that needs other settings (an advanced.config with a low consumer_timeout) starts a cluster of its
 *   own with `startRabbitmqCluster({ name, port, advancedConfig })` on other ports.
 *
 * A cluster already running under the same name and ports (`scripts/rabbitmq-cluster.sh start --name camqt --port
 * 5691`) is used as it is and left running, which saves its 40 s start while writing tests.
 *
 * Where and which ports: CAMQ_CLUSTER_NAME / CAMQ_CLUSTER_PORT / CAMQ_CLUSTER_BASE override the defaults (camqt,
 * 5691..5693, management 15691.., a directory under /tmp), so two runs on one machine can use different ones.
 * Without rabbitmq-server the cluster tests are skipped with a note, and fail under CAMQ_REQUIRE_RABBITMQ=1 (.ci/run).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import type { TestProject } from 'vitest/node';
import { ROOT } from './run-bin.js';

const run = promisify(execFile);
const SCRIPT = `${ROOT}scripts/rabbitmq-cluster.sh`;

export interface RabbitmqClusterOptions {
  /** Node names `<name>1@localhost`.. @defaultValue CAMQ_CLUSTER_NAME or camqt */
  readonly name?: string;
  /** AMQP ports port..port+2, management port+10000.. @defaultValue CAMQ_CLUSTER_PORT or 5691 */
  readonly port?: number;
  /** @defaultValue CAMQ_CLUSTER_BASE or /tmp/camq-cluster-<name>-<port> */
  readonly base?: string;
  /** An Erlang advanced.config file every node loads. */
  readonly advancedConfig?: string;
  /** @defaultValue 3 */
  readonly nodes?: number;
}

/** What a test file needs to reach and drive a running cluster (plain data: it crosses from globalSetup). */
export interface RabbitmqClusterInfo {
  readonly name: string;
  readonly port: number;
  readonly base: string;
  readonly nodes: number;
  /** Why there is no cluster (rabbitmq-server missing, it failed to start); undefined when it runs. */
  readonly unavailable?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    rabbitmqCluster: RabbitmqClusterInfo;
  }
}

export class RabbitmqCluster {
  constructor(readonly info: RabbitmqClusterInfo) {}

  /** `amqp://guest:guest@127.0.0.1:<port>//` of node n (1-based). */
  url(n: number, vhost = '/'): string {
    return `amqp://guest:guest@127.0.0.1:${this.info.port + n - 1}/${vhost === '/' ? '/' : encodeURIComponent(vhost)}`;
  }

  /** Every node's URL as kombu's list, `a;b;c`, in the order given (default 1, 2, 3). */
  urlList(order: readonly number[] = this.numbers(), vhost = '/'): string {
    return order.map((n) => this.url(n, vhost)).join(';');
  }

  apiUrl(n: number): string {
    return `http://guest:guest@127.0.0.1:${this.info.port + 10000 + n - 1}`;
  }

  /** The RabbitMQ node name of node n: `camqt1@localhost`. */
  nodeName(n: number): string {
    return `${this.info.name}${n}@localhost`;
  }

  numbers(): number[] {
    return Array.from({ length: this.info.nodes }, (_, i) => i + 1);
  }

  /** SIGKILL node n's beam process. */
  async killNode(n: number): Promise<void> {
    await this.script('kill-node', String(n));
  }

  /** Start node n again (it rejoins the cluster) and wait until it and its management API answer. */
  async startNode(n: number): Promise<void> {
    await this.script('start-node', String(n));
  }

  async status(): Promise<string> {
    return this.script('status');
  }

  async stop(): Promise<void> {
    await this.script('stop');
  }

  /** rabbitmqctl aimed at node n (never the machine's node). */
  async rabbitmqctl(n: number, ...args: string[]): Promise<string> {
    const asRabbit = process.getuid?.() === 0 ? ['runuser', '-u', 'rabbitmq', '--'] : [];
    const env = [`HOME=${this.info.base}`, `RABBITMQ_CONF_ENV_FILE=${this.info.base}/rabbitmq-env.conf`];
    // Not /usr/sbin/rabbitmqctl: that wrapper sets HOME to /var/lib/rabbitmq, the machine node's cookie.
    const [cmd, ...rest] = [...asRabbit, 'env', ...env, '/usr/lib/rabbitmq/bin/rabbitmqctl', '-n', this.nodeName(n), ...args];
    const { stdout } = await run(cmd!, rest, { timeout: 60_000 });
    return stdout;
  }

  async script(...args: string[]): Promise<string> {
    const { stdout } = await run(SCRIPT, [...args, ...this.flags()], { timeout: 180_000 });
    return stdout;
  }

  private flags(): string[] {
    const { name, port, base, nodes } = this.info;
    return ['--name', name, '--port', String(port), '--base', base, '--nodes', String(nodes)];
  }
}

export function clusterInfo(options: RabbitmqClusterOptions = {}): RabbitmqClusterInfo {
  const name = options.name ?? process.env['CAMQ_CLUSTER_NAME'] ?? 'camqt';
  const port = options.port ?? Number(process.env['CAMQ_CLUSTER_PORT'] ?? 5691);
  const base = options.base ?? process.env['CAMQ_CLUSTER_BASE'] ?? `/tmp/camq-cluster-${name}-${port}`;
  return { name, port, base, nodes: options.nodes ?? 3 };
}

/** Start a cluster (about 40 s on two cores); reject with the script's own words when it cannot. */
export async function startRabbitmqCluster(options: RabbitmqClusterOptions = {}): Promise<RabbitmqCluster> {
  const cluster = new RabbitmqCluster(clusterInfo(options));
  const advanced = options.advancedConfig ? ['--advanced', options.advancedConfig] : [];
  try {
    await cluster.script('start', ...advanced);
  } catch (err) {
    await cluster.stop().catch(() => {});
    const e = err as { stderr?: string; message: string };
    throw new Error(`the RabbitMQ test cluster did not start: ${(e.stderr ?? '').trim() || e.message}`, { cause: err });
  }
  return cluster;
}

export function rabbitmqServerInstalled(): boolean {
  return existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server') || existsSync('/usr/sbin/rabbitmq-server');
}

/**
 * The run's cluster in a test file, or undefined (with a note) when there is none, so the file can `describe.skipIf`.
 * Under CAMQ_REQUIRE_RABBITMQ=1 a missing cluster throws instead.
 */
export function useRabbitmqCluster(): RabbitmqCluster | undefined {
  const info = inject('rabbitmqCluster');
  if (info.unavailable === undefined) return new RabbitmqCluster(info);
  if (process.env['CAMQ_REQUIRE_RABBITMQ'] === '1') throw new Error(`CAMQ_REQUIRE_RABBITMQ=1 but ${info.unavailable}`);
  process.stderr.write(`note: ${info.unavailable}; the cluster tests are skipped\n`);
  return undefined;
}

/** globalSetup of the `cluster` project: one cluster for the run, stopped (and its directory removed) at the end. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const info = clusterInfo();
  if (!rabbitmqServerInstalled()) {
    project.provide('rabbitmqCluster', { ...info, unavailable: 'rabbitmq-server is not installed' });
    return async () => {};
  }
  // One already running with these names and ports (started by hand with the script): use it and leave it running.
  const running = new RabbitmqCluster(info);
  const status = await running.status().catch(() => '');
  if (status.includes('running') && !status.includes(' down')) {
    project.provide('rabbitmqCluster', info);
    return async () => {};
  }
  let cluster: RabbitmqCluster;
  try {
    cluster = await startRabbitmqCluster();
  } catch (err) {
    project.provide('rabbitmqCluster', { ...info, unavailable: (err as Error).message });
    return async () => {};
  }
  project.provide('rabbitmqCluster', cluster.info);
  return () => cluster.stop();
}
