import type { Command } from 'commander';
import { parseBrokerUrl, resolveBrokerUrl, type BrokerUrl } from '../../transport/broker-url.js';
import type { CliIO } from '../cli-io.js';

/** `--journal DIR` and `--no-journal`, for the commands that write or read the journal (docs/journal.md). */
export function addJournalOptions(command: Command, { optOut }: { readonly optOut: boolean }): Command {
  command.option('--journal <dir>', 'the journal directory (default: $XDG_DATA_HOME/camq/<host>_<port>_<vhost>, else ~/.local/share/camq/...)');
  if (optOut) command.option('--no-journal', 'do not record what this command sees in the journal');
  return command;
}

/**
 * `--journal DIR` (a string) or `--no-journal` (false), undefined for the default. The root program defines both
 * too (for `camq` alone), and commander gives an option the root knows to the root wherever it is typed, so the
 * command's own value is read first, then the root's.
 */
export function journalChoice(local: string | false | undefined, command: Command): string | false | undefined {
  return local ?? command.optsWithGlobals<{ journal?: string | false }>().journal;
}

/** The broker a journal is named after, from the -b flag or the environment, without connecting. */
export function journalBroker(flag: string | undefined, io: CliIO): BrokerUrl {
  return parseBrokerUrl(resolveBrokerUrl(flag, io.env));
}

/**
 * The journal a view (the live view, `camq events`) writes what it sees to, or undefined: `--no-journal`, a
 * throwaway in-process embedded broker without `--journal`, or a journal that cannot be written (one line on
 * stderr says why; the view goes on without it).
 */
export async function openViewJournal(
  choice: string | false | undefined,
  broker: { readonly parsed: BrokerUrl; readonly isEmbedded: boolean },
  io: CliIO,
): Promise<import('../../journal/journal.js').Journal | undefined> {
  if (choice === false || (broker.isEmbedded && choice === undefined)) return undefined;
  const { openJournal } = await import('../../journal/journal.js');
  const { journalDirectoryFor } = await import('../../journal/cluster-names.js');
  const say = (line: string): void => {
    io.stderr.write(`camq: ${line}\n`);
  };
  const journal = openJournal({ dir: choice ?? journalDirectoryFor(broker.parsed, io.env), warn: say, onDisabled: say });
  if (journal.enabled) return journal;
  say(journal.disabledReason ?? 'journal off');
  return undefined;
}
