import { Command } from 'commander';
import { addActionJournalOptions, readOnlyOption } from '../read-only.js';
import { brokerOption, failoverOption } from '../broker-option.js';
import { processIO, type CliIO } from '../cli-io.js';
import type { ShellCommandOptions } from '../shell/shell-options.js';
import { CAMQ_VERSION } from '../version.js';

const MODES = `
Modes:
  camqadm                        interactive on a terminal: history in ~/.camq_history, Tab completion
  camqadm queue.purge celery     one command from the arguments
  camqadm < setup.camq           a script on stdin: one command a line, '#' comments, stops at a failure

A message that starts with '-' needs -- first:  camqadm -- basic.publish -1 '' myqueue
'camqadm help' lists the shell's commands, 'camqadm help basic.publish' explains one.`;

/** The arguments and options `camq shell` and `camqadm` share, and the action that runs the shell. */
function configureShell(command: Command, io: CliIO): Command {
  return command
    .summary('the AMQP admin shell (camqadm)')
    .description('The AMQP admin shell (camqadm): declare, bind, publish, get and ack from a prompt, a script or one command.')
    .addHelpText('after', MODES)
    .argument('[command...]', "one command and its arguments, e.g. queue.declare myqueue (run 'help' for the list)")
    .addOption(brokerOption())
    .addOption(failoverOption())
    .option('--json', 'print one JSON object per command on stdout')
    .option('--keep-going', 'in a script, run the remaining lines after a failed one (exit non-zero at the end)')
    .action(async (words: string[], _options: ShellCommandOptions, self: Command) => {
      const { runShell } = await import('../shell/run-shell.js');
      await runShell(words, self.optsWithGlobals<ShellCommandOptions>(), io);
    });
}

/** `camq shell` (alias `camq adm`). */
export function createShellCommand(io: CliIO = processIO): Command {
  return configureShell(new Command('shell').alias('adm'), io);
}

/** The classic `camqadm` binary: the same shell as a program of its own. */
export function createCamqadmProgram(io: CliIO = processIO): Command {
  const program = new Command('camqadm')
    .version(CAMQ_VERSION, '-V, --version')
    .option('--debug', 'print stack traces for unexpected errors')
    .addOption(readOnlyOption());
  // Where its actions are recorded (docs/audit.md); `camq shell` has these from the camq program.
  addActionJournalOptions(program);
  return configureShell(program, io);
}
