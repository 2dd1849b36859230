import { Command } from 'commander';
import { brokerOption, failoverOption } from './broker-option.js';
import { createBeatCommand } from './commands/beat.js';
import { createBrokerCommand } from './commands/broker.js';
import { createCtlCommand } from './commands/ctl.js';
import { createDemoCommand } from './commands/demo.js';
import { createCallCommand } from './commands/call.js';
import { readOnlyOption } from './read-only.js';
import { processIO, type CliIO } from './cli-io.js';
import { createExporterCommand } from './commands/exporter.js';
import { createHistoryCommand } from './commands/history.js';
import { createReplayCommand } from './commands/replay.js';
import { createRecordCommand } from './commands/record.js';
import { createEventsCommand, loadLiveView, parseMaxTasks } from './commands/events.js';
import { createQueuesCommand } from './commands/queues.js';
import { createShellCommand } from './commands/shell.js';
import { createWorkerCommand } from './commands/worker.js';
import { addQueueOperations } from './commands/queue-operations.js';
import { UsageError } from '../errors/index.js';
import { closestName } from '../util/edit-distance.js';
import { CAMQ_VERSION } from './version.js';

/**
 * The umbrella `camq` program. Each subcommand lives in src/cli/commands/<name>.ts as a factory returning a
 * configured Command; command modules import their engines lazily inside the action, so `camq ctl ping` never
 * loads Ink, React or the worker.
 */
export function createCamqProgram(io: CliIO = processIO): Command {
  const program = new Command('camq')
    .description('Operations console for Celery clusters on RabbitMQ: live view, AMQP shell, remote control, worker')
    .version(CAMQ_VERSION, '-V, --version')
    .addOption(brokerOption())
    .addOption(failoverOption())
    .option('--debug', 'print stack traces for unexpected errors')
    .option('--max-tasks <n>', 'tasks the live view keeps in memory (default 10000)', parseMaxTasks)
    .addOption(readOnlyOption())
    .option('--journal <dir>', "the live view's journal directory (default: under $XDG_DATA_HOME/camq, docs/journal.md)")
    .option('--no-journal', 'do not record what the live view sees')
    // A root with an action would take a mistyped subcommand for an argument; the action says what was meant.
    .allowExcessArguments()
    // `camq` alone opens the live view; Ink and React load only here.
    .action(
      async (options: { broker?: string; failover?: string; maxTasks?: number; readOnly?: boolean; journal?: string | false }, command: Command) => {
        const [typed] = command.args;
        if (typed !== undefined) throw unknownCommand(typed, command);
        const runLiveView = await loadLiveView();
        await runLiveView(
          { broker: options.broker, failover: options.failover, maxTasks: options.maxTasks, readOnly: options.readOnly, journal: options.journal },
          io,
        );
      },
    );
  program.addCommand(createShellCommand(io));
  program.addCommand(createCtlCommand({ io }));
  program.addCommand(addQueueOperations(createQueuesCommand({ io }), { io }));
  program.addCommand(createEventsCommand(io));
  program.addCommand(createWorkerCommand(io));
  program.addCommand(createBeatCommand(io));
  program.addCommand(createExporterCommand(io));
  program.addCommand(createRecordCommand(io));
  program.addCommand(createHistoryCommand(io));
  program.addCommand(createReplayCommand(io));
  program.addCommand(createBrokerCommand({ io }));
  program.addCommand(createDemoCommand(io));
  program.addCommand(createCallCommand(io));
  return program;
}

function unknownCommand(typed: string, program: Command): UsageError {
  const names = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  const meant = closestName(typed, names);
  return new UsageError(`unknown command '${typed}'${meant ? `; did you mean '${meant}'?` : ''}`, 'usage.unknown-command');
}
