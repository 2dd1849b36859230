import { UsageError } from '../errors/index.js';
import { isHousekeepingQueue } from './housekeeping.js';
import type { QueueFigures } from './queue-figures.js';

/** The columns `--sort` takes; numbers sort largest first, names and types alphabetically, `idle` oldest first. */
export const SORT_KEYS = ['name', 'vhost', 'type', 'ready', 'unacked', 'consumers', 'publish', 'deliver', 'idle'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

const ALIASES: Readonly<Record<string, SortKey>> = {
  'publish/s': 'publish',
  'deliver/s': 'deliver',
  'idle-since': 'idle',
  messages: 'ready',
};

/** `--sort`'s value as a SortKey; a UsageError naming the keys for anything else. */
export function parseSortKey(text: string): SortKey {
  const key = text.trim().toLowerCase();
  const found = (SORT_KEYS as readonly string[]).includes(key) ? (key as SortKey) : ALIASES[key];
  if (found === undefined) throw new UsageError(`unknown sort column '${text}': use one of ${SORT_KEYS.join(', ')}`);
  return found;
}

/**
 * A name pattern: `*` any run of characters, `?` one character, the whole name matched; a pattern with neither
 * matches names that contain it (`camq queues dead` finds `tasks.dead-letter`). Case-sensitive, as queue names are.
 */
export function nameMatcher(pattern: string): (name: string) => boolean {
  if (!/[*?]/.test(pattern)) return (name) => name.includes(pattern);
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  const re = new RegExp(`^${source}$`, 's');
  return (name) => re.test(name);
}

export interface QueueSelection {
  /** The queues to show, sorted. */
  readonly queues: readonly QueueFigures[];
  /** Housekeeping queues matching the pattern: listed apart with `--all`, only counted otherwise. */
  readonly housekeeping: readonly QueueFigures[];
}

/** Filter by name pattern, set housekeeping queues apart, sort both (then by name, so the order is stable). */
export function selectQueues(
  all: readonly QueueFigures[],
  options: { pattern?: string | undefined; sort?: SortKey | undefined } = {},
): QueueSelection {
  const matches = options.pattern === undefined ? () => true : nameMatcher(options.pattern);
  const compare = comparator(options.sort ?? 'name');
  const picked = all.filter((q) => matches(q.name));
  return {
    queues: picked.filter((q) => !isHousekeepingQueue(q.name)).sort(compare),
    housekeeping: picked.filter((q) => isHousekeepingQueue(q.name)).sort(compare),
  };
}

function comparator(key: SortKey): (a: QueueFigures, b: QueueFigures) => number {
  const byName = (a: QueueFigures, b: QueueFigures) => compareText(a.name, b.name) || compareText(a.vhost, b.vhost);
  const desc = (pick: (q: QueueFigures) => number | null) => (a: QueueFigures, b: QueueFigures) => (pick(b) ?? -1) - (pick(a) ?? -1) || byName(a, b);
  switch (key) {
    case 'name':
      return byName;
    case 'vhost':
      return (a, b) => compareText(a.vhost, b.vhost) || byName(a, b);
    case 'type':
      return (a, b) => compareText(a.type ?? '', b.type ?? '') || byName(a, b);
    case 'ready':
      return desc((q) => q.ready);
    case 'unacked':
      return desc((q) => q.unacked);
    case 'consumers':
      return desc((q) => q.consumers);
    case 'publish':
      return desc((q) => q.publishRate);
    case 'deliver':
      return desc((q) => q.deliverRate);
    case 'idle':
      // Oldest idle first; queues in use (no idle_since) last.
      return (a, b) => (a.idleSince ?? Infinity) - (b.idleSince ?? Infinity) || byName(a, b);
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
