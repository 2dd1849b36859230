import { CommanderError, type Command } from 'commander';
import { ExitCode, isErrorCode, UsageError, type ErrorCode } from '../errors/index.js';

/**
 * One style for every usage error of camq, celeryctl and camqadm: one `Error: ...` line that ends with the usage
 * hint of the command that failed, `(run 'celeryctl rate-limit --help' for usage)`, exit code 1. commander's own
 * errors (unknown option or command, missing or excess arguments, an option value its parser refused) would
 * otherwise print as `error: ...` plus a second `(run with --help for usage)` line.
 */

/** commander exits through these after printing help or the version itself: nothing more to say. */
const ALREADY_PRINTED = new Set(['commander.help', 'commander.helpDisplayed', 'commander.version']);

/**
 * Codes of the UsageErrors an action raises for a bad argument it was given (the rest already say what to do:
 * a broker URL, a task module, a cancelled confirmation).
 */
const ARGUMENT_CODES = new Set<string>([
  'usage.bad-argument',
  'usage.bad-rate',
  'usage.bad-signal',
  'usage.missing-task-id',
  'usage.unknown-command',
  'usage.unknown-inspect-target',
]);

/**
 * Make every command of the tree report through runCli: no printing of its own errors, output to `output`, and a
 * thrown UsageError (or the CommanderError of help and version) instead of process.exit. Returns the command whose
 * action is running, once one is.
 */
export function routeCommanderErrors(
  root: Command,
  output: { writeOut(text: string): void; writeErr(text: string): void },
): () => Command | undefined {
  const visit = (command: Command) => {
    command
      .configureOutput({ ...output, outputError: () => {} })
      .showHelpAfterError(false)
      .exitOverride((err) => {
        if (err.exitCode === ExitCode.ok || ALREADY_PRINTED.has(err.code)) throw err;
        throw commanderUsageError(err, command);
      });
    command.commands.forEach(visit);
  };
  visit(root);
  let acting: Command | undefined;
  root.hook('preAction', (_root, action) => {
    acting = action;
  });
  return () => acting;
}

/** The one line for a commander error raised by `command`. */
export function commanderUsageError(err: CommanderError, command: Command): UsageError {
  const message = err.message
    .replace(/^error: /, '')
    // suggestSimilar appends "\n(Did you mean x?)" or "\n(Did you mean one of x, y?)".
    .replace(
      /\n\(Did you mean (?:one of )?(.*)\?\)$/s,
      (_all, names: string) =>
        `; did you mean ${names
          .split(', ')
          .map((n) => `'${n}'`)
          .join(' or ')}?`,
    )
    .replace(/ is invalid\. /, ' is invalid: ')
    .replace(/\. Expected /, ': expected ')
    .replace(/\.$/, '');
  return new UsageError(`${message} ${hint(command)}`, usageCode(err.code), { cause: err });
}

/** `commander.unknownOption` → `usage.unknown-option` (each is in ERROR_CODES); a code commander adds later → usage.bad-argument. */
function usageCode(commanderCode: string): ErrorCode {
  const code = `usage.${kebab(commanderCode.replace(/^commander\./, ''))}`;
  return isErrorCode(code) ? code : 'usage.bad-argument';
}

/** A bad-argument UsageError from `command`'s action, with the usage hint added; any other error as it is. */
export function withUsageHint(err: unknown, command: Command | undefined): unknown {
  if (!command || !(err instanceof UsageError) || !ARGUMENT_CODES.has(err.code) || err.message.includes('--help')) return err;
  return new UsageError(`${err.message} ${hint(command)}`, err.code, { cause: err });
}

/** commander's `unknownOption` as camq's codes spell it: `unknown-option`. */
function kebab(code: string): string {
  return code.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function hint(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return `(run '${names.join(' ')} --help' for usage)`;
}
