import { createInterface } from 'node:readline';
import { ExitCode, ExitRequest, UsageError } from '../../errors/index.js';
import { formatNotice, parseCommand, ShellSession, type ShellOutcome } from '../../shell/index.js';
import { createTransport, isRedisUrl } from '../../transport/index.js';
import { resolveBroker } from '../broker-option.js';
import { actionJournalOf, actionPolicyFor } from '../read-only.js';
import type { CliIO } from '../cli-io.js';
import type { ShellCommandOptions } from './shell-options.js';
import { runInteractive } from './interactive.js';
import { LinePrinter } from './line-printer.js';

/**
 * `camqadm` / `camq shell`: connect, then one of three modes. Words on the command line run as one command; else a
 * terminal on stdin gets the interactive shell; else stdin is a script, one command a line, that stops at the first
 * failure unless --keep-going. Exits 0 when every command succeeded, the failed command's code otherwise (1 for a
 * bad line or a broker error, 2 when the broker is unreachable or lost).
 */
export async function runShell(words: readonly string[], options: ShellCommandOptions, io: CliIO): Promise<void> {
  const printer = new LinePrinter(io, options.json === true);
  const broker = await resolveBroker(options.broker, io, { failover: options.failover });
  if (isRedisUrl(broker.parsed)) {
    throw new UsageError(
      `camqadm speaks AMQP and ${broker.parsed.masked} is Redis: use \`camq queues\` to list, peek, purge and move its queues`,
      'usage.bad-broker-url',
    );
  }
  const connection = createTransport(broker.parsed, { reconnect: true, connectionName: 'camqadm' });
  let session: ShellSession | undefined;
  let exitCode: number = ExitCode.ok;
  try {
    // `camqadm help` and a mistyped one-shot command need no broker.
    if (words.length === 0 || needsBroker(words)) {
      printer.notice(`connecting to ${broker.masked}.`);
      await connection.connect();
      printer.notice('connected.', 'ok');
    }
    session = await ShellSession.open({ connection, actions: actionPolicyFor(options.readOnly, io, actionJournalOf(options)) });
    const active = session;
    if (words.length > 0) {
      exitCode = exitCodeOf(await runOne(active, words, printer));
    } else if (io.stdin.isTTY) {
      await runInteractive(active, printer, io);
    } else {
      exitCode = await runScript(active, printer, io, options.keepGoing === true);
    }
  } finally {
    await session?.close();
    await connection.close();
    await broker.release();
  }
  if (exitCode !== ExitCode.ok) throw new ExitRequest(exitCode);
}

function needsBroker(words: readonly string[]): boolean {
  try {
    const name = parseCommand(words).spec.name;
    return name !== 'help' && name !== 'exit';
  } catch {
    return false;
  }
}

async function runOne(session: ShellSession, words: readonly string[], printer: LinePrinter): Promise<ShellOutcome> {
  const unsubscribe = printNotices(session, printer);
  try {
    const outcome = await session.executeWords(words);
    printer.outcome(lastOutcome(outcome));
    return outcome;
  } finally {
    unsubscribe();
  }
}

/** A script on stdin: one command a line, blank lines and `#` comments skipped. */
async function runScript(session: ShellSession, printer: LinePrinter, io: CliIO, keepGoing: boolean): Promise<number> {
  const unsubscribe = printNotices(session, printer);
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
  let exitCode: number = ExitCode.ok;
  try {
    for await (const line of lines) {
      const outcome = await session.execute(line);
      if (!outcome) continue;
      const stops = !outcome.ok && !keepGoing;
      printer.outcome(stops ? lastOutcome(outcome) : outcome);
      if (outcome.result?.kind === 'exit') break;
      if (!outcome.ok) {
        exitCode = Math.max(exitCode, exitCodeOf(outcome));
        if (stops) break;
      }
    }
  } finally {
    lines.close();
    // Stop reading a pipe that still has lines after a stop, so the process can end.
    io.stdin.pause();
    unsubscribe();
  }
  return exitCode;
}

/** The outcome of the last command this process runs: a reopened channel is no news when nothing follows. */
function lastOutcome(outcome: ShellOutcome): ShellOutcome {
  return { ...outcome, channelReopened: undefined };
}

function exitCodeOf(outcome: ShellOutcome): number {
  return outcome.ok ? ExitCode.ok : (outcome.error?.exitCode ?? ExitCode.usage);
}

function printNotices(session: ShellSession, printer: LinePrinter): () => void {
  const onNotice = (notice: Parameters<typeof formatNotice>[0]) => printer.lines([formatNotice(notice)]);
  session.on('notice', onNotice);
  return () => session.off('notice', onNotice);
}
