import { Command, InvalidArgumentError, Option } from 'commander';
import { isEmbeddedBrokerUrl } from '../../transport/broker-url.js';
import { knownBroker } from '../broker-option.js';
import { cleanUpOnClosedPipe, processIO, writeLine, type CliIO } from '../cli-io.js';

export interface DemoOptions {
  readonly workers: number;
  readonly rate: number;
  readonly port: number;
  readonly duration?: number;
}

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
 * traffic generator sending a mix of calls, and the live view. Leaving the view stops everything and removes what
 * the demo made (its queue, its logs), so a demo on the user's own broker leaves nothing there.
 */
export function createDemoCommand(io: CliIO = processIO): Command {
  return new Command('demo')
    .description('a live demo with no setup: embedded broker, two workers running examples/tasks.js, traffic, and the live view')
    .option('--workers <n>', 'how many camq workers to start', positiveInt, 2)
    .option('--rate <n>', 'tasks sent per second', positiveNumber, 3)
    .option('--port <n>', 'port of the embedded broker (0: any free port)', positiveInt, 5673)
    .option('--duration <seconds>', 'stop after this long (default: until q or Ctrl-C)', positiveNumber)
    .addOption(
      new Option(
        '-b, --broker <url>',
        'run the demo on this broker instead of the embedded one; the queue and logs it made there are removed when it ends',
      ),
    )
    .action(async (options: DemoOptions, command: Command) => {
      await runDemo(options, command.optsWithGlobals<{ broker?: string }>().broker, io);
    });
}

export async function runDemo(options: DemoOptions, brokerFlag: string | undefined, io: CliIO): Promise<void> {
  const [{ startEmbeddedBroker }, { managementPortFor }, { DemoCluster }] = await Promise.all([
    import('../../broker/embedded.js'),
    import('../../broker/server.js'),
    import('../../demo/demo-cluster.js'),
  ]);

  // 1. The broker: the embedded one unless -b names another.
  let url: string;
  /** The embedded broker's management API (on a free port with --port 0, where camq would not look for it). */
  let apiUrl: string | undefined;
  let closeBroker = async () => {};
  const ownBroker = brokerFlag === undefined || isEmbeddedBrokerUrl(brokerFlag);
  if (!ownBroker) {
    url = brokerFlag;
  } else {
    // With its management API where camq looks for it (the AMQP port + 10000), so `camq queues` shows its queues.
    const managementPort = options.port === 0 ? 0 : managementPortFor(options.port);
    const broker = await startEmbeddedBroker({ port: options.port, managementPort }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE' && err.code !== 'broker.port-in-use') throw err;
      writeLine(io.stderr, `-> port ${options.port} or ${managementPort} is taken; the embedded broker takes free ports instead`);
      return startEmbeddedBroker({ port: 0, managementPort: 0 });
    });
    url = broker.url;
    apiUrl = broker.apiUrl;
    if (broker.apiUrl !== undefined) writeLine(io.stderr, `-> management API on ${broker.apiUrl}`);
    closeBroker = async () => {
      writeLine(io.stderr, '-> stopping the embedded broker…');
      await broker.close();
    };
  }
  // The live view's queues pane reads the embedded broker's API.
  const broker = { ...knownBroker(url), apiUrl };
  const masked = broker.masked;

  // 2. Workers, as separate processes (what users run, each with its own heartbeat and pid), and 3. traffic, on a
  // queue of the demo's own. Both start once the view is listening, so it sees the workers come online.
  // On a broker of its own the demo's names need no id (and match the README); on the user's they get one.
  const cluster = new DemoCluster({
    url,
    workers: options.workers,
    rate: options.rate,
    ...(ownBroker ? { id: '' } : {}),
    onProgress: (line) => writeLine(io.stderr, `-> ${line}`),
  });
  const startCluster = () => cluster.start();
  // The names a second terminal needs (celeryctl -d, camqadm queue.declare … yes), and the names to look for if a
  // stop was cut short.
  const nodes = Array.from({ length: options.workers }, (_, i) => cluster.nodeName(i + 1));
  writeLine(io.stderr, `-> demo queue ${cluster.queue.name}; workers ${nodes.join(', ')}`);

  // --duration: stop the traffic and the workers first, so the view still sees them go offline, then the view.
  const viewStop = new AbortController();
  const timer =
    options.duration === undefined
      ? undefined
      : setTimeout(() => {
          void cluster.stopWorkers().then(() => viewStop.abort());
        }, options.duration * 1000);
  // `camq demo | head`: when the reader leaves, stop as on q, then end (a closed pipe ends the program).
  let stoppedAll = () => {};
  const allStopped = new Promise<void>((resolve) => (stoppedAll = resolve));
  cleanUpOnClosedPipe(async () => {
    viewStop.abort();
    await allStopped;
  });
  try {
    const { loadLiveView, dumpEvents } = await import('./events.js');
    if (io.stdin.isTTY && io.stdout.isTTY) {
      const runLiveView = await loadLiveView();
      await runLiveView({ broker, until: viewStop.signal, onReady: startCluster }, io);
    } else {
      writeLine(io.stderr, `-> camq demo on ${masked}: no terminal for the live view, printing events instead (Ctrl-C stops)`);
      await dumpEvents({ broker, json: false, until: viewStop.signal, onReady: startCluster }, io);
    }
  } finally {
    if (timer) clearTimeout(timer);
    // Quitting takes seconds (warm shutdowns, the queue's removal): each step says what it waits for.
    const report = await cluster.stop();
    await closeBroker();
    if (report.leftQueue) {
      writeLine(
        io.stderr,
        `-> could not remove the demo queue ${report.leftQueue.name} (${report.leftQueue.reason}); delete it with: camqadm -b ${masked} queue.delete ${report.leftQueue.name}`,
      );
    }
    writeLine(
      io.stderr,
      report.keptLogs ? `-> demo stopped; ${report.keptLogs.reason}: the worker logs are kept in ${report.keptLogs.dir}` : '-> demo stopped',
    );
    cleanUpOnClosedPipe(undefined);
    stoppedAll();
  }
}
