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
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (depth + 1 > limit) return true;
    const children = Array.isArray(item) ? item : Buffer.isBuffer(item) ? [] : Object.values(item as Record<string, unknown>);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}
