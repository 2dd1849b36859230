/**
 * How deeply a JSON-like value nests, measured without recursion (so measuring never overflows the stack).
 *
 * Celery's JSON decoder gives up near 1000 levels (Python's recursion limit: kombu then reports a DecodeError), and
 * V8's JSON.stringify throws "Maximum call stack size exceeded" a little above 4000 (measured on Node 20 with an
 * empty stack, fewer inside a consumer callback). A task message nested deeper than MAX_MESSAGE_DEPTH is refused
 * before anything walks it, which keeps every later walk (repr, re-encoding for a retry or a callback) safe.
 */
export const MAX_MESSAGE_DEPTH = 1000;

/** True when `value` has arrays/objects nested more than `limit` levels deep (a scalar is depth 0). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  // Two parallel stacks instead of [value, depth] pairs: this runs on every delivery, so it allocates little.
  const values: object[] = [];
  const depths: number[] = [];
  const push = (item: unknown, depth: number) => {
    if (typeof item === 'object' && item !== null && !Buffer.isBuffer(item)) {
      values.push(item);
      depths.push(depth);
    }
  };
  push(value, 1);
  while (values.length > 0) {
    const item = values.pop()!;
    const depth = depths.pop()!;
    if (depth > limit) return true;
    if (Array.isArray(item)) for (const child of item) push(child, depth + 1);
    else for (const key in item) push((item as Record<string, unknown>)[key], depth + 1);
  }
  return false;
}
