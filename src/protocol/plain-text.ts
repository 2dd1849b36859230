/**
 * A value of unknown type as plain text for a line a user reads: a string as it is, a number, boolean or bigint as
 * JavaScript prints it, anything else as its JSON, never `[object Object]`.
 */
export function plainText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null || value === undefined) {
    return String(value);
  }
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return Array.isArray(value) ? '[…]' : '{…}';
  }
}
