import { Option, type Command } from 'commander';
import { ActionPolicy } from '../audit/action-policy.js';
import type { ActionRecord, ActionSink } from '../audit/action-record.js';
import type { Journal } from '../journal/journal.js';
import { isEmbeddedBrokerUrl, parseBrokerUrl, resolveBrokerUrl } from '../transport/broker-url.js';
import type { CliIO } from './cli-io.js';

/**
 * `--read-only` (and CAMQ_READ_ONLY=1) on every tool, for on-call use: actions that change the cluster are refused
 * with one line naming the flag; reads keep working. What is an action: src/audit/action-catalog.ts.
 */
export function readOnlyOption(): Option {
  return new Option('--read-only', 'refuse every action that changes the cluster (revoke, purge, call, ...); also CAMQ_READ_ONLY=1');
}

/** The flag, else CAMQ_READ_ONLY (1, true or yes). */
export function isReadOnly(flag: boolean | undefined, io: CliIO): boolean {
  if (flag === true) return true;
  const env = io.env['CAMQ_READ_ONLY']?.trim().toLowerCase();
  return env === '1' || env === 'true' || env === 'yes';
}

/**
 * Where a tool's actions are recorded (docs/audit.md): the journal it keeps open (the live view's), or the broker's
 * journal opened for each record — `--journal DIR` (a string), `--no-journal` (false: nothing recorded) or the
 * default (undefined: the broker's journal under the data root; none for a throwaway embedded broker).
 */
export type ActionJournal =
  | { readonly journal: Journal | undefined }
  | { readonly choice: string | false | undefined; readonly broker: string | undefined; readonly failover?: string | undefined };

/** The policy the engines get: read-only or not, and each action recorded into the journal when one is given. */
export function actionPolicyFor(flag: boolean | undefined, io: CliIO, journal?: ActionJournal): ActionPolicy {
  const readOnly = isReadOnly(flag, io);
  if (journal === undefined) return new ActionPolicy({ readOnly });
  return new ActionPolicy({ readOnly, sink: journalSink(journal, io) });
}

function journalSink(where: ActionJournal, io: CliIO): ActionSink {
  let warned = false;
  const say = (line: string): void => {
    if (warned) return;
    warned = true;
    io.stderr.write(`camq: the action was not recorded: ${line}\n`);
  };
  return {
    async record(record: ActionRecord) {
      // Loaded only when an action is recorded: celeryctl's start-up stays small.
      const { journalActionSink, recordActionIn } = await import('../journal/journal-action-sink.js');
      if ('journal' in where) return journalActionSink(() => where.journal).record(record);
      if (where.choice === false) return;
      const text = resolveBrokerUrl(where.broker, io.env);
      if (isEmbeddedBrokerUrl(text) && where.choice === undefined) return;
      const { journalDirectoryFor } = await import('../journal/cluster-names.js');
      const failed = recordActionIn(where.choice ?? journalDirectoryFor(parseBrokerUrl(text), io.env), record, say);
      if (failed !== undefined) say(failed);
    },
  };
}

/** The journal an action of a command with these options goes to: `--journal`/`--no-journal` and `-b`, as given. */
export function actionJournalOf(opts: { readonly journal?: string | false | undefined; readonly broker?: string | undefined }): ActionJournal {
  return { choice: opts.journal, broker: opts.broker };
}

/** `--journal DIR` and `--no-journal` on a program that only acts (celeryctl, camqadm): where its actions are recorded. */
export function addActionJournalOptions(command: Command): Command {
  return command
    .option('--journal <dir>', "record actions in this journal directory (default: the broker's journal, docs/audit.md)")
    .option('--no-journal', 'do not record actions in the journal');
}
