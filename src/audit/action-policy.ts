/**
 * What engines consult before an action and tell after it: whether actions are allowed (`--read-only`,
 * CAMQ_READ_ONLY=1, read by the CLI and passed in here) and where the record of each one goes. Engines take an
 * optional ActionPolicy; without one, actions run and nothing is recorded (DEFAULT_ACTION_POLICY).
 */
import { hostname, userInfo } from 'node:os';
import { CamqError, UsageError } from '../errors/index.js';
import type { ActionName } from './action-catalog.js';
import { NO_ACTION_SINK, type ActionOutcome, type ActionRecord, type ActionSink } from './action-record.js';

export interface ActionPolicyOptions {
  /** Refuse every action. @defaultValue false */
  readonly readOnly?: boolean;
  /** @defaultValue NO_ACTION_SINK */
  readonly sink?: ActionSink;
  /** @defaultValue `<login name>@<host name>` */
  readonly who?: string;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

/** The one line a refused action prints. */
export function readOnlyMessage(what: string): string {
  return `refused ${what}: it changes the cluster and camq runs read-only (--read-only or CAMQ_READ_ONLY=1); run without it to act`;
}

/** `user@host` of this process. */
export function currentActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the host still says where it came from.
  }
  return `${user}@${hostname()}`;
}

export class ActionPolicy {
  readonly readOnly: boolean;
  readonly sink: ActionSink;
  readonly who: string;
  private readonly now: () => number;

  constructor(options: ActionPolicyOptions = {}) {
    this.readOnly = options.readOnly ?? false;
    this.sink = options.sink ?? NO_ACTION_SINK;
    this.who = options.who ?? currentActor();
    this.now = options.now ?? Date.now;
  }

  /** Throw the read-only refusal (UsageError `usage.read-only`, exit 1) when actions are off. */
  check(what: string): void {
    if (this.readOnly) throw new UsageError(readOnlyMessage(what), 'usage.read-only');
  }

  /** Record an action that has ended. A sink that throws is ignored: the action has happened either way. */
  async record(record: Omit<ActionRecord, 'who'>): Promise<void> {
    try {
      await this.sink.record({ who: this.who, ...record });
    } catch {
      // The audit trail must not turn a done action into a reported failure.
    }
  }

  /**
   * Check, run `act`, record it with the outcome `describe` gives (or the error), and return what `act` returned.
   */
  async run<T>(
    action: { readonly what: ActionName; readonly target: string; readonly args: Readonly<Record<string, unknown>> },
    act: () => Promise<T>,
    describe: (result: T) => ActionOutcome = () => ({ ok: true }),
  ): Promise<T> {
    this.check(action.what);
    const when = this.now();
    let result: T;
    try {
      result = await act();
    } catch (err) {
      const outcome: ActionOutcome =
        err instanceof CamqError
          ? { ok: false, error: err.message, code: err.code }
          : { ok: false, error: err instanceof Error ? err.message : String(err) };
      await this.record({ ...action, when, outcome });
      throw err;
    }
    await this.record({ ...action, when, outcome: describe(result) });
    return result;
  }
}

/** Actions allowed, nothing recorded. */
export const DEFAULT_ACTION_POLICY = new ActionPolicy({ who: 'camq' });
