/**
 * The fields of a queue.declare as a test sends it in a raw frame (amqplib's defs.encodeMethod): a plain declare
 * that waits for its DeclareOk, every flag off and no arguments, but for what `fields` sets.
 */
export function queueDeclareFields(queue: string, fields: { readonly exclusive?: boolean; readonly arguments?: Record<string, unknown> } = {}) {
  return { ticket: 0, queue, passive: false, durable: false, exclusive: false, autoDelete: false, nowait: false, arguments: {}, ...fields };
}
