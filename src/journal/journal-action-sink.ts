/**
 * The audit trail's sink into the journal (docs/audit.md): each action an engine reports (src/audit ActionRecord) is
 * written as an action record (who, what, when, target, args, and the replies or outcome) and flushed at once, so a
 * `camq history --actions` run right after the command sees it. A journal that cannot be written loses the record,
 * never the action: ActionPolicy ignores a sink that fails.
 */
import type { ActionRecord as AuditRecord, ActionSink } from '../audit/action-record.js';
import { JOURNAL_DEFAULTS } from './journal-defaults.js';
import type { Journal } from './journal.js';
import { describeWriteError, JournalWriter } from './journal-writer.js';
import type { ActionRecord } from './journal-records.js';

/** The journal's form of an audit record: `replies` the workers' replies when there were some, else the outcome. */
export function journalAction(record: AuditRecord): ActionRecord {
  const { outcome } = record;
  return {
    who: record.who,
    what: record.what,
    when: record.when,
    target: record.target,
    args: record.args,
    replies: outcome.replies ?? outcome.result ?? (outcome.ok ? undefined : { error: outcome.error, code: outcome.code }),
    outcome,
  };
}

/**
 * A sink writing into `journal()`: a journal the caller keeps open (the live view's), or one opened for the record
 * and closed after it (`close: true`: a one-shot command that acts once or twice). `journal()` returning undefined
 * (`--no-journal`, an unwritable directory) records nothing.
 */
export function journalActionSink(journal: () => Journal | undefined, options: { readonly close?: boolean } = {}): ActionSink {
  return {
    record(record) {
      const target = journal();
      if (target === undefined || !target.enabled) return;
      try {
        target.appendAction(journalAction(record));
        target.flush();
      } finally {
        if (options.close === true) target.close();
      }
    },
  };
}

/**
 * Write one action into the journal at `dir` and close it again: what a one-shot command (celeryctl, camqadm, `camq
 * queues purge`, `camq call`) does per action. Only the writer loads (no reader, no task history), so celeryctl's
 * start-up graph stays small. Returns why nothing was written (one line), or undefined.
 */
export function recordActionIn(dir: string, record: AuditRecord, warn: (line: string) => void = () => {}): string | undefined {
  let failed: string | undefined;
  let writer: JournalWriter;
  try {
    writer = new JournalWriter({ dir, ...JOURNAL_DEFAULTS, fsync: false, now: Date.now, warn, onDisabled: (reason) => (failed = reason) });
  } catch (err) {
    return describeWriteError(err, dir);
  }
  try {
    writer.appendAction(journalAction(record));
    writer.flush();
  } finally {
    writer.close();
  }
  return failed;
}
