/**
 * AMQP 0-9-1 `shortstr` fields (queue, exchange and exchange-type names, routing keys, consumer tags, the string
 * properties such as content_type and message_id, the keys of header tables) carry a one-octet length: at most 255
 * BYTES of UTF-8, so 128 × 'é' (256 bytes) is already too long although it is only 128 characters.
 */
export const SHORTSTR_MAX_BYTES = 255;

/** Why `value` cannot be sent as the shortstr `field`, or undefined when it fits. */
export function shortstrProblem(field: string, value: string): string | undefined {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes <= SHORTSTR_MAX_BYTES) return undefined;
  const chars = [...value].length;
  const counted = chars === bytes ? `${bytes} bytes` : `${bytes} bytes in UTF-8 (${chars} characters)`;
  return `${field} is ${counted}; AMQP allows at most ${SHORTSTR_MAX_BYTES} bytes there`;
}
