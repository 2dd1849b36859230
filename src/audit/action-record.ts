/**
 * The audit trail's record: one per action camq takes on a cluster (docs/audit.md). Engines hand them to an
 * ActionSink at their boundaries (the control client's mutating broadcasts, queue purge/move/publish, call, retry,
 * camqadm's mutating commands); a journal writes them, tests collect them.
 */
import type { ActionName } from './action-catalog.js';

/** How an action ended: the workers' replies (control commands), a count (purge), the new task id (call, retry). */
export interface ActionOutcome {
  readonly ok: boolean;
  /** One line when it failed (the error's message). */
  readonly error?: string;
  /** Error code when it failed. */
  readonly code?: string;
  /** Per worker node: its reply as sent (control commands). */
  readonly replies?: Readonly<Record<string, unknown>>;
  /** Anything else the engine reports (messages purged, moved; the id of the task sent). */
  readonly result?: Readonly<Record<string, unknown>>;
}

export interface ActionRecord {
  /** `user@host` of the process that acted. */
  readonly who: string;
  readonly what: ActionName;
  /** What it acted on: task ids, a task name, a queue, worker node names ('*' for all). */
  readonly target: string;
  /** The arguments as sent (control arguments, purge selector, task args...). */
  readonly args: Readonly<Record<string, unknown>>;
  /** Epoch milliseconds when the action started. */
  readonly when: number;
  readonly outcome: ActionOutcome;
}

/** Where action records go. `record` must not throw; a slow sink slows the action it records. */
export interface ActionSink {
  record(record: ActionRecord): void | Promise<void>;
}

/** The default: actions are not recorded. */
export const NO_ACTION_SINK: ActionSink = { record: () => {} };

/** Keeps every record in memory, in order (tests; a view showing this session's actions). */
export class CollectingActionSink implements ActionSink {
  readonly records: ActionRecord[] = [];

  record(record: ActionRecord): void {
    this.records.push(record);
  }
}
