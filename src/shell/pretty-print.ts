import { pyRepr, pyStrRepr } from '../protocol/python-repr.js';

/**
 * Python's `pprint.pformat` for JSON-like values, as Celery's camqadm prints a `basic.get` message: keys sorted,
 * a container on one line when it fits in `width`, else one item per line aligned after its opening bracket.
 *
 *     {'body': 'This is a message',
 *      'delivery_info': {'delivery_tag': 1,
 *                        'exchange': 'testexchange',
 *                        ...
 */
export function pformat(value: unknown, width = 80): string {
  return format(value, 0, 0, width);
}

/** Python's repr of bytes: `b'\x00ab'`, in double quotes when it holds a `'` and no `"`. */
export function pyBytesRepr(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('latin1');
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = 'b' + quote;
  for (const byte of bytes) {
    const ch = String.fromCharCode(byte);
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (byte < 0x20 || byte >= 0x7f) out += '\\x' + byte.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

/** A value already rendered as Python source (a bytes repr), printed as is. */
export class PyLiteral {
  constructor(readonly text: string) {}
}

function oneLine(value: unknown): string {
  if (value instanceof PyLiteral) return value.text;
  if (Array.isArray(value)) return `[${value.map(oneLine).join(', ')}]`;
  if (isPlainObject(value))
    return `{${sortedEntries(value)
      .map(([k, v]) => `${pyStrRepr(k)}: ${oneLine(v)}`)
      .join(', ')}}`;
  return pyRepr(value);
}

/** `allowance` is how many closing characters follow this value on its last line. */
function format(value: unknown, indent: number, allowance: number, width: number): string {
  const flat = oneLine(value);
  if (flat.length + indent + allowance <= width) return flat;
  if (Array.isArray(value) && value.length > 0) {
    const pad = ' '.repeat(indent + 1);
    const items = value.map((item, i) => format(item, indent + 1, i === value.length - 1 ? allowance + 1 : 1, width));
    return `[${items.join(`,\n${pad}`)}]`;
  }
  if (isPlainObject(value)) {
    const entries = sortedEntries(value);
    if (entries.length === 0) return flat;
    const pad = ' '.repeat(indent + 1);
    const items = entries.map(([key, item], i) => {
      const keyText = `${pyStrRepr(key)}: `;
      const last = i === entries.length - 1;
      return keyText + format(item, indent + 1 + keyText.length, last ? allowance + 1 : 1, width);
    });
    return `{${items.join(`,\n${pad}`)}}`;
  }
  return flat;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof PyLiteral);
}

function sortedEntries(value: Record<string, unknown>): [string, unknown][] {
  return Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
