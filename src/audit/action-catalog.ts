/**
 * The one place that says what is an action (a change to the cluster, refused by `--read-only` and recorded in the
 * audit trail) and what is a read. Each table is typed over the full list it classifies (the remote-control
 * catalog's methods, camqadm's commands), so a new command does not compile until it is classified here; the unit
 * test (test/unit/audit/action-catalog.test.ts) walks the lists too.
 */
import { findControlCommand, type ControlMethod } from '../protocol/control-catalog.js';
import type { CommandName } from '../shell/command-table.js';

/** Remote-control commands: true = an action. Inspect targets are reads; so are ping, heartbeat and hello. */
export const CONTROL_ACTIONS: Readonly<Record<ControlMethod, boolean>> = {
  rate_limit: true,
  revoke: true,
  terminate: true,
  time_limit: true,
  enable_events: true,
  disable_events: true,
  heartbeat: false,
  add_consumer: true,
  cancel_consumer: true,
  pool_grow: true,
  pool_shrink: true,
  autoscale: true,
  pool_restart: true,
  shutdown: true,
  active: false,
  reserved: false,
  scheduled: false,
  revoked: false,
  registered: false,
  stats: false,
  active_queues: false,
  query_task: false,
  conf: false,
  report: false,
  clock: false,
  ping: false,
  hello: false,
};

/**
 * camqadm's commands: true = an action. basic.get is a read (the message stays unacked on the session's channel and
 * goes back when it closes); acking, rejecting or nacking it removes or moves it.
 */
export const SHELL_ACTIONS: Readonly<Record<CommandName, boolean>> = {
  'exchange.declare': true,
  'exchange.delete': true,
  'queue.declare': true,
  'queue.bind': true,
  'queue.unbind': true,
  'queue.delete': true,
  'queue.purge': true,
  'basic.publish': true,
  'basic.get': false,
  'basic.ack': true,
  'basic.reject': true,
  'basic.nack': true,
  'basic.recover': true,
  help: false,
  exit: false,
};

/** Queue operations (src/queues) that are actions; peek and the listings are reads. */
export const QUEUE_ACTIONS = ['queue.purge', 'queue.move', 'queue.publish'] as const;
/** Sending tasks (src/dispatch). */
export const TASK_ACTIONS = ['task.call', 'task.retry'] as const;

/** An action's name in records and messages: a control method, `camqadm.<command>`, a queue or task action. */
export type ActionName =
  | ControlMethod
  | `camqadm.${CommandName}`
  | (typeof QUEUE_ACTIONS)[number]
  | (typeof TASK_ACTIONS)[number]
  /** A remote-control command camq does not know (a worker's own, sent with `celeryctl call`). */
  | `control.${string}`;

/**
 * Whether sending remote-control `method` is an action. A method the catalog does not know (a worker's own command)
 * counts as one unless it is sent as an inspect target: camq cannot tell what it does.
 */
export function isControlAction(method: string, asInspect = false): boolean {
  const spec = findControlCommand(method);
  if (spec === undefined) return !asInspect;
  return CONTROL_ACTIONS[spec.method];
}

/** The action name of a remote-control method (its canonical name when it is an alias). */
export function controlActionName(method: string): ActionName {
  const spec = findControlCommand(method);
  return spec === undefined ? `control.${method}` : spec.method;
}

export function isShellAction(command: CommandName): boolean {
  return SHELL_ACTIONS[command];
}
