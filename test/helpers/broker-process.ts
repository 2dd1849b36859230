/**
 * camq's embedded broker in a child process of its own, started as a user starts it (`camq broker --port 0`, from
 * dist/: build first), for suites whose other processes (Python workers, the camq bins, tmux) share it. The test
 * inspects it over the IPC channel the broker answers on when forked by Node (src/broker/inspection-ipc.ts); if the
 * test process dies, the channel closes and the broker stops with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { InspectionMethod, InspectionReply } from '../../src/broker/inspection-ipc.js';
import { EmbeddedInspector, type EmbeddedViews } from './broker-inspector.js';
import { ROOT } from './run-bin.js';

export interface BrokerProcess {
  readonly url: string;
  readonly port: number;
  /** Its management API, when started with `--management`. */
  readonly apiUrl: string | undefined;
  readonly process: ChildProcess;
  readonly inspector: EmbeddedInspector;
  /** What it logged to stderr so far. */
  stderr(): string;
  /** SIGTERM and wait for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** `args`: more `camq broker` options (`--deny-transient-nonexcl-queues`). */
export async function startBrokerProcess(args: readonly string[] = []): Promise<BrokerProcess> {
  const child = spawn(process.execPath, [`${ROOT}bin/camq`, 'broker', '--port', '0', '--json', '--ipc', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const { port, api } = await new Promise<{ port: number; api?: string }>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n')) resolve(JSON.parse(line!) as { port: number; api?: string });
    });
    void exited.then((code) => reject(new Error(`camq broker exited (${code}) before printing its URL:\n${stderr}`)));
  });

  let nextId = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  child.on('message', (message) => {
    const reply = message as InspectionReply;
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if ('error' in reply) waiter?.reject(new Error(reply.error));
    else waiter?.resolve(reply.result);
  });
  void exited.then((code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`camq broker exited (${code}):\n${stderr}`));
    pending.clear();
  });
  const call = (method: InspectionMethod, ...args: unknown[]): Promise<never> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, method, args });
    });
  const views: EmbeddedViews = {
    listQueues: (vhost) => call('listQueues', vhost),
    listExchanges: (vhost) => call('listExchanges', vhost),
    listBindings: (vhost) => call('listBindings', vhost),
    closeConnectionsNamed: (name, reason) => call('closeConnectionsNamed', name, reason),
  };

  return {
    url: `amqp://guest:guest@127.0.0.1:${port}//`,
    port,
    apiUrl: api,
    process: child,
    inspector: new EmbeddedInspector(views),
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
