import { Command, InvalidArgumentError } from 'commander';
import { processIO, type CliIO } from '../cli-io.js';
import { loadInkModule, parseMaxTasks } from './events.js';

export interface ReplayCommandOptions {
  readonly speed?: number;
  readonly all?: boolean;
  readonly maxTasks?: number;
}

function parseSpeed(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a speed above 0 (1 = real time, 10 = ten times faster), got '${value}'`);
  return n;
}

/**
 * `camq replay <journal-dir-or-jsonl-file>`: the live view over recorded events, an incident review, at real speed,
 * `--speed N` times faster, or `--all` at once. No broker: the view's actions are off.
 */
export function createReplayCommand(io: CliIO = processIO): Command {
  return new Command('replay')
    .description('the live view over recorded events (a journal directory or `camq events --json` lines), no broker needed')
    .argument('<source>', 'a journal directory, or a file of `camq events --json` lines')
    .option('--speed <n>', 'N times real speed (default 1)', parseSpeed)
    .option('--all', 'everything at once')
    .option('--max-tasks <n>', 'tasks the view keeps in memory (default 10000)', parseMaxTasks)
    .action(async (source: string, options: ReplayCommandOptions, cmd: Command) => {
      // `camq`'s own --max-tasks (the live view's) takes the flag when it comes after the subcommand too.
      const maxTasks = options.maxTasks ?? cmd.optsWithGlobals<{ maxTasks?: number }>().maxTasks;
      const run = await loadInkModule(async () => (await import('./replay-view.js')).runReplayView);
      await run({ source, speed: options.all ? Infinity : (options.speed ?? 1), maxTasks }, io);
    });
}
