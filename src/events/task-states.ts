/**
 * Task states as Celery's `events.State` derives them from events, and the precedence that decides which of two
 * states wins when events arrive out of order (docs/protocol.md, Liveness and state, celery/states.py).
 */

export const KNOWN_TASK_STATES = ['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'REJECTED'] as const;
export type KnownTaskState = (typeof KNOWN_TASK_STATES)[number];
/** A known state, or the upper-cased subject of a custom task event (`task-cancelled` → `CANCELLED`). */
export type TaskState = KnownTaskState | (string & {});

/** Event subject (the part after `task-`) → state. */
export const SUBJECT_TO_STATE: Readonly<Record<string, KnownTaskState>> = {
  sent: 'PENDING',
  received: 'RECEIVED',
  started: 'STARTED',
  succeeded: 'SUCCESS',
  failed: 'FAILURE',
  retried: 'RETRY',
  revoked: 'REVOKED',
  rejected: 'REJECTED',
};

/** Lower index wins; unknown (custom) states sit between FAILURE and REVOKED, as in celery.states.PRECEDENCE. */
const PRECEDENCE: Readonly<Record<string, number>> = {
  SUCCESS: 0,
  FAILURE: 1,
  REVOKED: 3,
  STARTED: 4,
  RECEIVED: 5,
  REJECTED: 6,
  RETRY: 7,
  PENDING: 8,
};
const CUSTOM_PRECEDENCE = 2;

/** Celery's `precedence(state)`: a lower number means the state is logically later. */
export function statePrecedence(state: string): number {
  return PRECEDENCE[state] ?? CUSTOM_PRECEDENCE;
}
