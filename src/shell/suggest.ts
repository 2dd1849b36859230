import { closestName } from '../util/edit-distance.js';
import { COMMAND_NAMES, type CommandName } from './command-table.js';

/**
 * The command a mistyped name most likely meant: the name itself with `_` for `.` (`queue_purge`), a name whose
 * part after the dot matches (`purge` → `queue.purge`), else the closest name by edit distance when it is close
 * enough to be a typo (`queue.delcare` → `queue.declare`).
 */
export function suggestCommand(typed: string): CommandName | undefined {
  const word = typed.toLowerCase().replace(/_/g, '.');
  const exact = COMMAND_NAMES.find((name) => name === word);
  if (exact) return exact;
  const byTail = COMMAND_NAMES.filter((name) => name.slice(name.indexOf('.') + 1) === word);
  if (byTail.length === 1) return byTail[0];
  return closestName(word, COMMAND_NAMES) as CommandName | undefined;
}
