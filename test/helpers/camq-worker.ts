/**
 * Run the built `camq worker` (bin/camq → dist) as a child process, as a user would, and watch its log.
 * Build first (`npm run build`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { whenExited } from './child-exit.js';
import { watchLog } from './process-log.js';
import { ROOT } from './run-bin.js';

export interface CamqWorkerOptions {
  readonly brokerUrl: string;
  /** @defaultValue examples/tasks.js */
  readonly module?: string;
  /** @defaultValue a unique `camq-test-<uuid>@%h` */
  readonly nodename?: string;
  readonly queues: string;
  readonly args?: readonly string[];
  /** Mingle at start-up, as `camq worker` does by default (it waits 1 s for replies). @defaultValue false */
  readonly mingle?: boolean;
  /** Resolve once the worker logs ` ready.`; false: as soon as it is spawned. @defaultValue true */
  readonly waitReady?: boolean;
  /** More environment for the worker process (a task module's settings). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface CamqWorker {
  readonly process: ChildProcess;
  readonly nodename: string;
  output(): string;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Count of log lines matching. */
  count(pattern: RegExp): number;
  /** SIGTERM (warm) and wait for exit; SIGKILL after 20 s. Resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

export async function startCamqWorker(options: CamqWorkerOptions): Promise<CamqWorker> {
  const nodename = options.nodename ?? `camq-test-${randomUUID().slice(0, 8)}@testhost`;
  const child = spawn(
    process.execPath,
    [
      `${ROOT}bin/camq`,
      '-b',
      options.brokerUrl,
      'worker',
      '-A',
      options.module ?? 'examples/tasks.js',
      '-n',
      nodename,
      '-Q',
      options.queues,
      '-l',
      'info',
      '--no-banner',
      ...(options.mingle ? [] : ['--without-mingle']),
      ...(options.args ?? []),
    ],
    { cwd: ROOT, env: { ...process.env, ...options.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = whenExited(child);
  const log = watchLog(child, 'camq worker', exited);
  const worker: CamqWorker = {
    process: child,
    nodename,
    exited,
    output: log.output,
    count: log.count,
    waitForLog: log.waitFor,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  if (options.waitReady !== false) await worker.waitForLog(/ ready\./);
  return worker;
}

/** Delete test queues and their same-named exchanges (Celery's declare pattern), so tests leave nothing behind. */
export async function deleteQueues(brokerUrl: string, names: readonly string[]): Promise<void> {
  const { default: amqp } = await import('amqplib');
  const { parseBrokerUrl } = await import('../../src/amqp/index.js');
  const u = parseBrokerUrl(brokerUrl);
  const conn = await amqp.connect({ hostname: u.hostname, port: u.port, username: u.username, password: u.password, vhost: u.vhost });
  try {
    const ch = await conn.createChannel();
    for (const name of names) {
      await ch.deleteQueue(name);
      await ch.deleteExchange(name);
    }
    await ch.close();
  } finally {
    await conn.close();
  }
}
