/**
 * Which real brokers integration tests run against (DESIGN.md, Testing).
 *
 * - RabbitMQ at CAMQ_TEST_BROKER_URL (default amqp://guest:guest@127.0.0.1:5672//) when it answers. With
 *   CAMQ_REQUIRE_RABBITMQ=1 (set by .ci/run) a RabbitMQ that does not answer fails the run instead of skipping.
 * - camq's embedded broker, always: `brokerTargets()` starts one per test file on a free port, in the test process
 *   or as a `camq broker` child process.
 * e2e files run once, on RabbitMQ where it answers and else on a `camq broker` child (`e2eTarget()`).
 *
 * Point CAMQ_TEST_BROKER_URL at a vhost of your own (amqp://guest:guest@127.0.0.1:5672/camq-dev) to keep
 * concurrent test runs from seeing each other's workers and queues.
 */
import amqp from 'amqplib';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe } from 'vitest';
import { parseBrokerUrl } from '../../src/transport/broker-url.js';
import { startEmbeddedBroker } from '../../src/broker/embedded.js';
import { EmbeddedInspector, type BrokerInspector } from './broker-inspector.js';
import { startBrokerProcess } from './broker-process.js';
import { RabbitmqctlInspector } from './rabbitmqctl.js';

export const RABBITMQ_URL = process.env['CAMQ_TEST_BROKER_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672//';
export const REQUIRE_RABBITMQ = process.env['CAMQ_REQUIRE_RABBITMQ'] === '1';
const runRabbitmqctl = promisify(execFile);

let probe: Promise<boolean> | undefined;

/** Whether RabbitMQ answers at RABBITMQ_URL (checked once per test file). */
export function rabbitmqAvailable(): Promise<boolean> {
  probe ??= (async () => {
    const url = parseBrokerUrl(RABBITMQ_URL);
    try {
      const conn = await amqp.connect(
        { protocol: 'amqp', hostname: url.hostname, port: url.port, username: url.username, password: url.password, vhost: url.vhost },
        { timeout: 2000 },
      );
      await conn.close();
      return true;
    } catch {
      return false;
    }
  })();
  return probe;
}

/**
 * Resolve to true when RabbitMQ tests should run; throw when RabbitMQ is required but absent; otherwise warn once
 * and resolve to false so the caller can `describe.skipIf`.
 */
export async function useRabbitmq(skipped = 'its tests are skipped'): Promise<boolean> {
  const ok = await rabbitmqAvailable();
  if (ok) return true;
  if (REQUIRE_RABBITMQ) {
    throw new Error(`CAMQ_REQUIRE_RABBITMQ=1 but RabbitMQ does not answer at ${parseBrokerUrl(RABBITMQ_URL).masked}`);
  }
  process.stderr.write(`note: RabbitMQ does not answer at ${parseBrokerUrl(RABBITMQ_URL).masked}; ${skipped}\n`);
  return false;
}

let apiProbe: Promise<string | null> | undefined;

/** RabbitMQ's management API beside RABBITMQ_URL (its host, port 15672): null when it answers, else why not. */
export function rabbitmqManagementProblem(): Promise<string | null> {
  apiProbe ??= (async () => {
    const url = parseBrokerUrl(RABBITMQ_URL);
    const api = `http://${url.hostname}:15672/api/overview`;
    try {
      const res = await fetch(api, {
        headers: { authorization: `Basic ${Buffer.from(`${url.username}:${url.password}`).toString('base64')}` },
        signal: AbortSignal.timeout(3000),
      });
      return res.ok ? null : `${api} answers HTTP ${res.status}`;
    } catch (err) {
      return `${api} does not answer (${(err as Error).message})`;
    }
  })();
  return apiProbe;
}

/**
 * For tests of `camq queues` (brokerTargets({ management: true })): whether RabbitMQ's management API answers.
 * Under CAMQ_REQUIRE_RABBITMQ=1 (.ci/run, which enables the plugin) a missing API fails the run by name; locally
 * the RabbitMQ run of those tests is left out with a note.
 */
export async function useRabbitmqManagementApi(): Promise<boolean> {
  const problem = await rabbitmqManagementProblem();
  if (problem === null) return true;
  const hint = 'enable it with `rabbitmq-plugins enable rabbitmq_management`';
  if (REQUIRE_RABBITMQ) throw new Error(`CAMQ_REQUIRE_RABBITMQ=1 but RabbitMQ's management API is missing: ${problem}; ${hint}`);
  process.stderr.write(`note: RabbitMQ's management API is missing (${problem}); camq queues' tests run on the embedded broker alone; ${hint}\n`);
  return false;
}

export interface BrokerTarget {
  readonly name: 'rabbitmq' | 'embedded';
  readonly url: string;
  /** The vhost, as brokers name it in reply texts (`no queue 'x' in vhost '/'`). */
  readonly vhost: string;
  /** What AMQP cannot tell about this broker: queue counts, bindings, closing a connection (broker-inspector.ts). */
  readonly inspector: BrokerInspector;
  /**
   * The management API to read, when camq would not find it from the URL: the embedded broker's (started with
   * `management`, on a free port). Undefined for RabbitMQ, whose API camq finds on port 15672.
   */
  readonly apiUrl?: string | undefined;
}

export interface BrokerTargetOptions {
  /**
   * Where the embedded broker runs: in the test's own process (cheapest; enough when only this process talks to
   * it), or as `camq broker --port 0` in a child process of its own, for suites whose other processes (Python
   * workers, the camq bins, tmux) share it and should not depend on the test process's event loop.
   * @defaultValue 'in-process'
   */
  readonly embedded?: 'in-process' | 'child-process';
  /**
   * Start the embedded broker with its management API (on a free port), and require RabbitMQ's
   * (useRabbitmqManagementApi). @defaultValue false
   */
  readonly management?: boolean;
}

/** RabbitMQ at RABBITMQ_URL as a target (whether it answers is the caller's question: see useRabbitmq). */
export function rabbitmqTarget(): BrokerTarget {
  const vhost = rabbitmqVhost();
  return { name: 'rabbitmq', url: RABBITMQ_URL, vhost, inspector: new RabbitmqctlInspector(vhost) };
}

/** camq's embedded broker on a free port, stopped after the current test file (call at a file's top level). */
export async function embeddedTarget(where: BrokerTargetOptions['embedded'] = 'in-process', management = false): Promise<BrokerTarget> {
  if (where === 'child-process') {
    const broker = await startBrokerProcess(management ? ['--management'] : []);
    afterAll(() => broker.stop());
    return { name: 'embedded', url: broker.url, vhost: '/', inspector: broker.inspector, apiUrl: broker.apiUrl };
  }
  const embedded = await startEmbeddedBroker({ port: 0, ...(management ? { managementPort: 0 } : {}) });
  afterAll(() => embedded.close());
  return { name: 'embedded', url: embedded.url, vhost: '/', inspector: new EmbeddedInspector(embedded.server), apiUrl: embedded.apiUrl };
}

/**
 * The brokers an integration file runs against: RabbitMQ when it answers (see useRabbitmq) and camq's embedded
 * broker, started for this file on a free port and stopped after it. Call at the top of a test file:
 * `describeBrokers('what is tested', await brokerTargets(), ({ url, inspector }) => ...)`.
 */
export async function brokerTargets(options: BrokerTargetOptions = {}): Promise<BrokerTarget[]> {
  const targets: BrokerTarget[] = [];
  if ((await useRabbitmq('running against the embedded broker alone')) && (options.management !== true || (await useRabbitmqManagementApi()))) {
    targets.push(rabbitmqTarget());
  }
  targets.push(await embeddedTarget(options.embedded, options.management));
  return targets;
}

/**
 * `describe(title)` once per target, the targets side by side and the tests of each target one after another, as
 * written. Each target is a broker of its own (and files run one at a time), so the two runs cannot see each other's
 * workers, queues or broadcasts; running them together halves the time a file spends waiting on timers.
 */
export function describeBrokers(title: string, targets: readonly BrokerTarget[], body: (target: BrokerTarget) => void): void {
  describe.concurrent.each(targets)('$name', (target) => {
    describe.sequential(title, () => body(target));
  });
}

/**
 * The one broker an e2e file runs against: RabbitMQ when it answers (always under CAMQ_REQUIRE_RABBITMQ=1),
 * otherwise `camq broker --port 0` started for this file.
 */
export async function e2eTarget(): Promise<BrokerTarget> {
  return (await useRabbitmq('using camq broker --port 0 instead')) ? rabbitmqTarget() : embeddedTarget('child-process');
}

/** The vhost of RABBITMQ_URL, for rabbitmqctl -p. */
export function rabbitmqVhost(): string {
  return parseBrokerUrl(RABBITMQ_URL).vhost;
}

/**
 * A RabbitMQ vhost of the test file's own, for tests that switch something on for a whole vhost (tracing): made with
 * rabbitmqctl (guest gets all permissions), deleted after the file. Returns its name and RABBITMQ_URL pointing at it.
 */
export async function scratchRabbitmqVhost(prefix: string): Promise<{ vhost: string; url: string }> {
  const vhost = `camq-test-${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const ctl = (args: string[]) => runRabbitmqctl('rabbitmqctl', ['-q', ...args], { timeout: 30_000 });
  await ctl(['add_vhost', vhost]);
  await ctl(['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  afterAll(() => ctl(['delete_vhost', vhost]), 60_000);
  const url = new URL(RABBITMQ_URL);
  url.pathname = `/${encodeURIComponent(vhost)}`;
  return { vhost, url: url.toString() };
}
