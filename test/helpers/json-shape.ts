/**
 * The shape of a JSON value: its type, and for objects the shapes of its fields. Used to hold the embedded broker's
 * management API to RabbitMQ's: every field the embedded broker sends must exist in RabbitMQ's answer with the same
 * type (RabbitMQ sends many more).
 */
export type JsonShape = string | { readonly [key: string]: JsonShape };

export function shapeOf(value: unknown): JsonShape {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  return typeof value;
}

/** Where `ours` differs from `theirs`: fields theirs lacks, or of another type (`path: ours vs theirs`). */
export function shapeDifferences(ours: JsonShape, theirs: JsonShape, path = ''): string[] {
  if (typeof ours === 'string' || typeof theirs === 'string') {
    const a = typeof ours === 'string' ? ours : 'object';
    const b = typeof theirs === 'string' ? theirs : 'object';
    return a === b ? [] : [`${path || '(root)'}: ${a} vs ${b}`];
  }
  return Object.entries(ours).flatMap(([key, shape]) => {
    const at = path === '' ? key : `${path}.${key}`;
    const other = theirs[key];
    return other === undefined ? [`${at}: missing in RabbitMQ's answer`] : shapeDifferences(shape, other, at);
  });
}
