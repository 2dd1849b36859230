/**
 * The wire types of a field table's top-level entries, which amqplib's decoder drops (every integer becomes a JS
 * number). RabbitMQ names them in some replies (`received the value '100' of type 'byte' but current is none`)
 * and compares arguments by type class, so the broker reads them from the raw table.
 */

/** RabbitMQ's names for field types, by tag (rabbit_binary_parser; `L` and `U` as py-amqp writes them). */
const TYPE_NAMES: Readonly<Record<string, string>> = {
  t: 'bool',
  b: 'byte',
  B: 'unsignedbyte',
  s: 'short',
  U: 'short',
  u: 'unsignedshort',
  I: 'signedint',
  i: 'unsignedint',
  l: 'long',
  L: 'long',
  f: 'float',
  d: 'double',
  D: 'decimal',
  T: 'timestamp',
  S: 'longstr',
  x: 'binary',
  F: 'table',
  A: 'array',
  V: 'void',
};

const FIXED_SIZES: Readonly<Record<string, number>> = {
  t: 1,
  b: 1,
  B: 1,
  s: 2,
  U: 2,
  u: 2,
  I: 4,
  i: 4,
  f: 4,
  l: 8,
  L: 8,
  d: 8,
  T: 8,
  D: 5,
  V: 0,
};

/** Map each top-level key of a raw field table (without its length prefix) to RabbitMQ's name for its type. */
export function fieldTypes(table: Buffer): Map<string, string> {
  const types = new Map<string, string>();
  let offset = 0;
  while (offset < table.length) {
    const keyLength = table[offset]!;
    const key = table.toString('utf8', offset + 1, offset + 1 + keyLength);
    offset += 1 + keyLength;
    const tag = String.fromCharCode(table[offset]!);
    offset += 1;
    const fixed = FIXED_SIZES[tag];
    offset += fixed ?? 4 + table.readUInt32BE(offset);
    types.set(key, TYPE_NAMES[tag] ?? tag);
  }
  return types;
}

/** RabbitMQ compares values of one class alike: every integer type is `int`, both floating types `float`. */
export function typeClass(type: string): string {
  switch (type) {
    case 'byte':
    case 'unsignedbyte':
    case 'short':
    case 'unsignedshort':
    case 'signedint':
    case 'unsignedint':
    case 'long':
      return 'int';
    case 'float':
    case 'double':
      return 'float';
    default:
      return type;
  }
}

/**
 * The raw arguments table at the end of a method payload (class/method id first) whose fields are a ticket, then
 * `shortStrings` short strings, then one octet of bits, then the table: queue.declare (1) and exchange.declare (2).
 */
export function trailingTable(payload: Buffer, shortStrings: number): Buffer {
  let offset = 4 + 2;
  for (let i = 0; i < shortStrings; i++) offset += 1 + payload[offset]!;
  offset += 1;
  const length = payload.readUInt32BE(offset);
  return payload.subarray(offset + 4, offset + 4 + length);
}
