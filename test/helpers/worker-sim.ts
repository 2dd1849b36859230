/**
 * Simulated Celery 5.2 workers in separate processes (bench/worker-sim/run.mjs over src/demo/worker-simulator.ts;
 * needs `npm run build`), split into groups so a test can kill one group (its auto-delete mailboxes go with their
 * consumers) or hang it with SIGSTOP (still bound, never answering).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { whenExited } from './child-exit.js';
import { ROOT } from './run-bin.js';

export const WORKER_SIM = join(ROOT, 'bench/worker-sim/run.mjs');

export interface WorkerSimOptions {
  readonly url: string;
  readonly workers: number;
  /** Processes to split the workers over. @defaultValue 1 */
  readonly groups?: number;
  /** The size of each group instead (adding up to `workers`): `[3, 3, 194]` to kill three and hang three. */
  readonly groupSizes?: readonly number[];
  readonly eventsPerSecond?: number;
  /** Sets this run's node names apart (`payments-0001@sim-<tag>-h1`). */
  readonly tag?: string;
  readonly prefixes?: readonly string[];
  readonly hosts?: number;
  /** Heartbeat interval in seconds. @defaultValue 2 */
  readonly freq?: number;
  /** @defaultValue 60_000 */
  readonly readyTimeoutMs?: number;
}

export interface SimGroup {
  readonly group: number;
  readonly pid: number;
  readonly nodenames: readonly string[];
}

export interface WorkerSim {
  readonly nodenames: readonly string[];
  readonly groups: readonly SimGroup[];
  /** SIGKILL one group's process: no worker-offline, its mailboxes go with the connection. */
  kill(group: number): void;
  /** SIGSTOP one group's process: its workers stay bound and never answer. */
  hang(group: number): void;
  resume(group: number): void;
  /** Every worker sends worker-offline; the processes end. */
  stop(): Promise<void>;
}

export async function startWorkerSim(options: WorkerSimOptions): Promise<WorkerSim> {
  const args = [
    WORKER_SIM,
    '-b',
    options.url,
    '--workers',
    String(options.workers),
    ...(options.groupSizes ? ['--group-sizes', options.groupSizes.join(',')] : ['--groups', String(options.groups ?? 1)]),
    '--events-per-second',
    String(options.eventsPerSecond ?? 0),
    '--freq',
    String(options.freq ?? 2),
    ...(options.tag ? ['--tag', options.tag] : []),
    ...(options.prefixes ? ['--prefixes', options.prefixes.join(',')] : []),
    ...(options.hosts ? ['--hosts', String(options.hosts)] : []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const groups: SimGroup[] = [];
  const exited = whenExited(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the worker simulator was not ready in time: ${stderr}`)), options.readyTimeoutMs ?? 60_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the worker simulator ended (${code}) before it was ready: ${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let msg: { ready?: unknown; group?: number; pid?: number; nodenames?: string[] };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        return;
      }
      if (msg.ready === true) groups.push({ group: msg.group!, pid: msg.pid!, nodenames: msg.nodenames! });
      if (msg.ready === 'all') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  groups.sort((a, b) => a.group - b.group);
  const signal = (group: number, sig: NodeJS.Signals) => {
    const g = groups.find((x) => x.group === group);
    if (!g) throw new RangeError(`no simulator group ${group}`);
    process.kill(g.pid, sig);
  };
  return {
    nodenames: groups.flatMap((g) => g.nodenames),
    groups,
    kill: (group) => signal(group, 'SIGKILL'),
    hang: (group) => signal(group, 'SIGSTOP'),
    resume: (group) => signal(group, 'SIGCONT'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(force);
    },
  };
}
