import { CommanderError, type Command } from 'commander';
import { CamqError, ExitCode, ExitRequest } from '../errors/index.js';
import { maskBrokerUrl } from '../transport/broker-url.js';
import { oneLine } from '../util/one-line.js';
import { processIO, writeLine, type CliIO } from './cli-io.js';
import { routeCommanderErrors, withUsageHint } from './usage-hint.js';
import { styleFor } from './output/style.js';

/**
 * Run a commander program and turn its outcome into an exit code. This is the only place that decides how a CLI
 * ends: a CamqError prints one line (`Error: <message>`) and exits with its exitCode; commander's usage errors become
 * such a line with the usage hint, exit 1 (usage-hint.ts); anything else is a bug and prints its stack only
 * with `--debug` or CAMQ_DEBUG=1. Control characters in a message are escaped, so it stays one line.
 */
export async function runCli(program: Command, argv: readonly string[] = process.argv, io: CliIO = processIO): Promise<number> {
  const actingCommand = routeCommanderErrors(program, {
    writeOut: (text) => io.stdout.write(text),
    writeErr: (text) => io.stderr.write(text),
  });
  const debug = argv.includes('--debug') || io.env['CAMQ_DEBUG'] === '1';
  try {
    await program.parseAsync([...argv]);
    return ExitCode.ok;
  } catch (err) {
    return reportError(withUsageHint(err, actingCommand()), io, debug);
  }
}

export function reportError(err: unknown, io: CliIO, debug = false): number {
  if (err instanceof CommanderError) {
    // Help or the version, already printed (routeCommanderErrors turned every other commander error into a UsageError).
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  const style = styleFor(io, 'stderr');
  if (err instanceof ExitRequest) return err.exitCode;
  if (err instanceof CamqError) {
    writeLine(io.stderr, `${style.red.bold('Error:')} ${oneLine(maskBrokerUrl(err.message))}`);
    for (const line of err.details) writeLine(io.stderr, `  ${oneLine(line)}`);
    if (debug && err.stack) writeLine(io.stderr, maskBrokerUrl(err.stack));
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  writeLine(io.stderr, `${style.red.bold('Error:')} ${oneLine(maskBrokerUrl(message))}`);
  if (debug && err instanceof Error && err.stack) writeLine(io.stderr, maskBrokerUrl(err.stack));
  else writeLine(io.stderr, '(run with --debug for the stack trace)');
  return ExitCode.usage;
}

/** The body of every bin launcher: run, then exit with the code once output is flushed. */
export async function main(program: Command, io: CliIO = processIO): Promise<void> {
  const code = await runCli(program, process.argv, io);
  process.exitCode = code;
}
