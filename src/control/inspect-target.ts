import { UsageError } from '../errors/index.js';
import type { ControlReplies } from '../protocol/control-replies.js';
import type { ControlCommand } from './control-command.js';

/**
 * The read-only commands of `inspect <what>`: camq's kebab-case name, the aliases Celery users know (its `dump_*`
 * wire names), and the method that goes on the wire.
 */
export interface InspectTarget {
  readonly name: string;
  readonly method: keyof ControlReplies & string;
  readonly aliases: readonly string[];
  readonly summary: string;
  /** Positional arguments: a list sent under `key`; `required` when the target needs at least one. */
  readonly list?: { readonly label: string; readonly key: string; readonly required: boolean };
}

export const INSPECT_TARGETS: readonly InspectTarget[] = [
  { name: 'active', method: 'active', aliases: ['dump-active'], summary: 'tasks being executed' },
  { name: 'reserved', method: 'reserved', aliases: ['dump-reserved'], summary: 'tasks prefetched and waiting for a pool slot' },
  { name: 'scheduled', method: 'scheduled', aliases: ['dump-schedule'], summary: 'tasks held until their ETA or countdown' },
  { name: 'revoked', method: 'revoked', aliases: ['dump-revoked'], summary: 'ids of revoked tasks' },
  {
    name: 'registered',
    method: 'registered',
    aliases: ['dump-tasks'],
    summary: 'registered tasks, with the given task attributes (default: rate_limit and routing)',
    list: { label: 'attr', key: 'taskinfoitems', required: false },
  },
  { name: 'stats', method: 'stats', aliases: [], summary: 'worker statistics: pool, broker, prefetch, totals, rusage' },
  { name: 'active-queues', method: 'active_queues', aliases: [], summary: 'queues each worker consumes from' },
  {
    name: 'query-task',
    method: 'query_task',
    aliases: [],
    summary: 'state of the given task ids (active or reserved; ETA tasks are not found)',
    list: { label: 'id', key: 'ids', required: true },
  },
  { name: 'conf', method: 'conf', aliases: ['dump-conf'], summary: "each worker's configuration (secrets masked)" },
  { name: 'report', method: 'report', aliases: [], summary: 'bug-report information' },
  { name: 'clock', method: 'clock', aliases: [], summary: "each worker's logical clock" },
  { name: 'ping', method: 'ping', aliases: [], summary: 'which workers answer' },
];

/** Find a target by name or alias; `_` and `-` are interchangeable (`active_queues`, `dump_reserved`). */
export function findInspectTarget(name: string): InspectTarget | undefined {
  const key = name.trim().toLowerCase().replace(/_/g, '-');
  return INSPECT_TARGETS.find((t) => t.name === key || t.aliases.includes(key));
}

/** Build the request for `inspect <what> [args...]`; throws a UsageError for an unknown target or bad arguments. */
export function inspectCommand(what: string, args: readonly string[] = []): ControlCommand<InspectTarget['method']> {
  const target = findInspectTarget(what);
  if (!target) {
    throw new UsageError(
      `unknown inspect target '${what}': use one of ${INSPECT_TARGETS.map((t) => t.name).join(', ')}`,
      'usage.unknown-inspect-target',
    );
  }
  const values = args.map((a) => a.trim()).filter((a) => a !== '');
  if (!target.list) {
    if (values.length > 0) throw new UsageError(`inspect ${target.name} takes no arguments (got '${values.join(' ')}')`);
    return { method: target.method, arguments: {} };
  }
  if (target.list.required && values.length === 0) {
    throw new UsageError(`inspect ${target.name} needs at least one ${target.list.label} (e.g. inspect ${target.name} <${target.list.label}>...)`, 'usage.missing-task-id');
  }
  return { method: target.method, arguments: values.length > 0 ? { [target.list.key]: values } : {} };
}
