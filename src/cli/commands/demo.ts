import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { isEmbeddedBrokerUrl, parseBrokerUrl } from '../../amqp/broker-url.js';
import { processIO, writeLine, type CliIO } from '../cli-io.js';

export interface DemoOptions {
  readonly workers: number;
  readonly rate: number;
  readonly port: number;
  readonly duration?: number;
}

const ROOT = new URL('../../../', import.meta.url);
const CAMQ_BIN = fileURLToPath(new URL('bin/camq', ROOT));
const EXAMPLE_TASKS = fileURLToPath(new URL('examples/tasks.js', ROOT));

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got '${value}'`);
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number above 0, got '${value}'`);
  return n;
}

/**
 * `camq demo` (`npm start`): the whole product with nothing installed. It starts the embedded broker (or uses
 * `-b URL`), two camq workers running examples/tasks.js as child processes (their logs go to a temp folder), a
 * traffic generator sending a mix of calls, and the live view. Leaving the view stops everything.
 */
export function createDemoCommand(io: CliIO = processIO): Command {
  return new Command('demo')
    .description('a live demo with no setup: embedded broker, two workers running examples/tasks.js, traffic, and the live view')
    .option('--workers <n>', 'how many camq workers to start', positiveInt, 2)
    .option('--rate <n>', 'tasks sent per second', positiveNumber, 3)
    .option('--port <n>', 'port of the embedded broker (0: any free port)', positiveInt, 5673)
    .option('--duration <seconds>', 'stop after this long (default: until q or Ctrl-C)', positiveNumber)
    .action(async (options: DemoOptions, command: Command) => {
      await runDemo(options, (command.optsWithGlobals() as { broker?: string }).broker, io);
    });
}

export async function runDemo(options: DemoOptions, brokerFlag: string | undefined, io: CliIO): Promise<void> {
  const [{ startEmbeddedBroker }, { CamqApp }, { TrafficGenerator }] = await Promise.all([
    import('../../broker/embedded.js'),
    import('../../worker/app.js'),
    import('../../demo/traffic-generator.js'),
  ]);

  // 1. The broker: the embedded one unless -b names another.
  let url: string;
  let closeBroker = async () => {};
  if (brokerFlag !== undefined && !isEmbeddedBrokerUrl(brokerFlag)) {
    url = brokerFlag;
  } else {
    const broker = await startEmbeddedBroker({ port: options.port }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE') throw err;
      writeLine(io.stderr, `-> port ${options.port} is taken; the embedded broker takes a free port instead`);
      return startEmbeddedBroker({ port: 0 });
    });
    url = broker.url;
    closeBroker = () => broker.close();
  }
  const masked = parseBrokerUrl(url).masked;

  // 2. Workers, as separate processes (what users run, each with its own heartbeat and pid), and 3. traffic, sent
  // the way any Node client would, through the app's task objects. Both start once the view is listening, so it
  // sees the workers come online.
  const logDir = mkdtempSync(join(tmpdir(), 'camq-demo-'));
  const workers: ChildProcess[] = [];
  const app = new CamqApp({ broker: url });
  const traffic = new TrafficGenerator({
    rate: options.rate,
    send: (name, call) => app.taskOf(name).applyAsync({ ...call, ignoreResult: true }),
  });
  const startCluster = () => {
    for (let i = 1; i <= options.workers; i++) workers.push(startWorker(i, url, logDir));
    traffic.start();
  };

  // --duration: stop the traffic and the workers first, so the view still sees them go offline, then the view.
  const viewStop = new AbortController();
  const timer =
    options.duration === undefined
      ? undefined
      : setTimeout(() => {
          traffic.stop();
          void Promise.all(workers.map(stopWorker)).then(() => viewStop.abort());
        }, options.duration * 1000);
  try {
    const { loadLiveView, dumpEvents } = await import('./events.js');
    if (io.stdin.isTTY && io.stdout.isTTY) {
      const runLiveView = await loadLiveView();
      await runLiveView({ broker: url, until: viewStop.signal, onReady: startCluster }, io);
    } else {
      writeLine(io.stderr, `-> camq demo on ${masked}: no terminal for the live view, printing events instead (Ctrl-C stops)`);
      await dumpEvents({ broker: url, json: false, until: viewStop.signal, onReady: startCluster }, io);
    }
  } finally {
    if (timer) clearTimeout(timer);
    traffic.stop();
    await app.close();
    await Promise.all(workers.map(stopWorker));
    await closeBroker();
    writeLine(io.stderr, `-> demo stopped; worker logs are in ${logDir}`);
  }
}

/**
 * Worker `demo<i>@<host>`: odd ones on the async pool, even ones on worker threads, all sending events. A demo
 * stops promptly: a warm shutdown gives running tasks (the long sleeps) 3 s.
 */
function startWorker(i: number, url: string, logDir: string): ChildProcess {
  const log = openSync(join(logDir, `demo${i}.log`), 'a');
  const pool = i % 2 === 0 ? ['--pool', 'threads', '-c', '2'] : ['-c', '4'];
  const child = spawn(process.execPath, [CAMQ_BIN, '-b', url, 'worker', '-A', EXAMPLE_TASKS, '-n', `demo${i}@%h`, '-E', '-l', 'info', '--shutdown-timeout', '3', ...pool], {
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  return child;
}

/** Warm shutdown (SIGTERM), then SIGKILL if the worker is still there after 10 s. */
function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
