/** A JSON object as decoded: not null and not an array (a message's body, its headers, a field nested in them). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
