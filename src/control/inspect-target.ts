import { UsageError } from '../errors/index.js';
import { CONTROL_COMMANDS, cliName, type ControlMethod } from '../protocol/control-catalog.js';
import type { ControlCommand } from './control-command.js';

/**
 * The read-only commands of `inspect <what>`: camq's kebab-case name, the aliases Celery users know (its `dump_*`
 * wire names), and the method that goes on the wire. Derived from the catalog: every inspect command with a CLI.
 */
export interface InspectTarget {
  readonly name: string;
  readonly method: ControlMethod;
  readonly aliases: readonly string[];
  readonly summary: string;
  /** Positional arguments: a list sent under `key`; `required` when the target needs at least one. */
  readonly list?: { readonly label: string; readonly key: string; readonly required: boolean };
}

export const INSPECT_TARGETS: readonly InspectTarget[] = CONTROL_COMMANDS.flatMap((c) => {
  if (c.kind !== 'inspect' || !c.cli) return [];
  const list = c.cli.params?.find((p) => p.wire !== undefined);
  return [
    {
      name: cliName(c.method),
      method: c.method,
      aliases: c.aliases.map(cliName),
      summary: c.cli.summary,
      ...(list ? { list: { label: list.name, key: list.wire!, required: list.optional !== true } } : {}),
    },
  ];
});

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
    throw new UsageError(
      `inspect ${target.name} needs at least one ${target.list.label} (e.g. inspect ${target.name} <${target.list.label}>...)`,
      'usage.missing-task-id',
    );
  }
  return { method: target.method, arguments: values.length > 0 ? { [target.list.key]: values } : {} };
}
