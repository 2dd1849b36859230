/**
 * Read back the Python reprs Celery puts on the wire (`argsrepr`/`kwargsrepr` headers, the `args`/`kwargs` of
 * task-received and task-sent events) into JSON values, and only when nothing is lost on the way: the inverse of
 * python-repr.ts for the values Celery's JSON serializer carries. A retry built from them must send exactly what the
 * caller sent, so anything that is not a complete literal of JSON's types is refused with the reason:
 *
 * - `truncated`: saferepr cut it (senders cap argsrepr at 1,024 characters and end it with `...`), or it holds
 *   reprlib's `...` / `[...]` marks;
 * - `object`: an object repr (`<Foo at 0x7f..>`, `Decimal('1.5')`, `datetime.datetime(...)`) whose value cannot be
 *   rebuilt;
 * - `lossy`: a literal JSON cannot carry as it is: a set or frozenset, bytes, a complex number, nan/inf, a dict
 *   key that is not a str (JSON would turn it into a string), an int past 2^53 (JavaScript would round it);
 * - `syntax`: not a Python literal at all.
 *
 * Tuples become lists, as Celery's JSON serializer turns them anyway (the task received a list on the first run too).
 */

export type LiteralRefusal = 'truncated' | 'object' | 'lossy' | 'syntax';

export type LiteralResult =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: LiteralRefusal; readonly detail: string };

/** What senders cap argsrepr/kwargsrepr at (Celery's `saferepr(args, 1024)`). */
export const REPR_CAP = 1024;

class Refusal extends Error {
  constructor(
    readonly reason: LiteralRefusal,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** Parse one complete Python literal of JSON's types (tuples read as lists); see the module comment for refusals. */
export function parsePythonLiteral(text: string): LiteralResult {
  // saferepr's cut: the text reaches the cap and ends with '...' (a literal never ends that way on its own).
  if (text.length >= REPR_CAP - 3 && text.endsWith('...')) {
    return { ok: false, reason: 'truncated', detail: `the repr was cut at ${text.length} characters (senders cap it at ${REPR_CAP})` };
  }
  try {
    const parser = new LiteralParser(text);
    const value = parser.value(0);
    parser.end();
    return { ok: true, value };
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, reason: err.reason, detail: err.detail };
    throw err;
  }
}

/** The args of a task from its `argsrepr` (a tuple or list literal): a JSON array, or the refusal. */
export function parseArgsRepr(text: string): LiteralResult {
  const parsed = parsePythonLiteral(text);
  if (parsed.ok && !Array.isArray(parsed.value)) return { ok: false, reason: 'syntax', detail: `args ${clip(text)} is not a tuple or list` };
  return parsed;
}

/** The kwargs of a task from its `kwargsrepr` (a dict literal): a JSON object, or the refusal. */
export function parseKwargsRepr(text: string): LiteralResult {
  const parsed = parsePythonLiteral(text);
  if (parsed.ok && (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value))) {
    return { ok: false, reason: 'syntax', detail: `kwargs ${clip(text)} is not a dict` };
  }
  return parsed;
}

const MAX_DEPTH = 100;

function clip(text: string): string {
  return text.length <= 40 ? text : `${text.slice(0, 37)}...`;
}

class LiteralParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  end(): void {
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('syntax', `unexpected ${clip(JSON.stringify(this.text.slice(this.pos)))} after the value`);
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail('lossy', `it nests more than ${MAX_DEPTH} levels deep`);
    this.skipSpace();
    const ch = this.text[this.pos];
    if (ch === undefined) this.fail('syntax', 'it ends where a value should be');
    if (ch === '[') return this.sequence(']', depth);
    if (ch === '(') return this.sequence(')', depth);
    if (ch === '{') return this.dict(depth);
    if (ch === "'" || ch === '"') return this.string();
    if (ch === '<') this.fail('object', `it holds an object repr ${clip(this.text.slice(this.pos))}`);
    if (this.text.startsWith('...', this.pos)) this.fail('truncated', 'it holds "..." where a value was left out');
    if (/[-+0-9.]/.test(ch)) return this.number();
    const word = /^[A-Za-z_][\w.]*/.exec(this.text.slice(this.pos))?.[0];
    if (word === undefined) this.fail('syntax', `unexpected ${JSON.stringify(ch)} at character ${this.pos}`);
    this.pos += word.length;
    if (word === 'None') return null;
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'nan' || word === 'inf') this.fail('lossy', `${word} has no JSON form`);
    const next = this.text[this.pos];
    if ((word === 'b' || word === 'rb' || word === 'br') && (next === "'" || next === '"'))
      this.fail('lossy', 'it holds bytes, which JSON cannot carry');
    if (next === "'" || next === '"') this.fail('syntax', `string prefix ${word} is not read`);
    if (next === '(' || next === '{') {
      if (word === 'set' || word === 'frozenset') this.fail('lossy', `it holds a ${word}, which JSON would send as a list`);
      this.fail('object', `it holds ${word}(...), an object camq cannot rebuild`);
    }
    return this.fail('object', `it holds the name ${word}, not a literal`);
  }

  private fail(reason: LiteralRefusal, detail: string): never {
    throw new Refusal(reason, detail);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private sequence(close: ']' | ')', depth: number): unknown[] {
    this.pos++;
    const out: unknown[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return out;
      }
      if (this.text.startsWith('...', this.pos)) this.fail('truncated', 'it holds "..." where items were left out');
      out.push(this.value(depth + 1));
      this.skipSpace();
      const sep = this.text[this.pos];
      if (sep === ',') this.pos++;
      else if (sep !== close)
        this.fail(
          sep === undefined ? 'truncated' : 'syntax',
          sep === undefined ? 'it ends inside a list' : `expected ',' or '${close}' at character ${this.pos}`,
        );
    }
  }

  private dict(depth: number): Record<string, unknown> {
    this.pos++;
    const out: Record<string, unknown> = {};
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
      if (this.text.startsWith('...', this.pos)) this.fail('truncated', 'it holds "..." where items were left out');
      const key = this.value(depth + 1);
      this.skipSpace();
      if (this.text[this.pos] !== ':') {
        if (this.text[this.pos] === ',' || this.text[this.pos] === '}') this.fail('lossy', 'it holds a set, which JSON would send as a list');
        this.fail(this.pos >= this.text.length ? 'truncated' : 'syntax', `expected ':' at character ${this.pos}`);
      }
      if (typeof key !== 'string') this.fail('lossy', `dict key ${JSON.stringify(key)} is not a str (JSON would make it one)`);
      this.pos++;
      Object.defineProperty(out, key, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
      this.skipSpace();
      const sep = this.text[this.pos];
      if (sep === ',') this.pos++;
      else if (sep !== '}')
        this.fail(
          sep === undefined ? 'truncated' : 'syntax',
          sep === undefined ? 'it ends inside a dict' : `expected ',' or '}' at character ${this.pos}`,
        );
    }
  }

  private number(): number {
    const match = /^[-+]?(?:\d[\d_]*)?(?:\.[\d_]*)?(?:[eE][-+]?\d+)?j?/.exec(this.text.slice(this.pos))![0];
    if (this.text.startsWith('-inf', this.pos) || this.text.startsWith('+inf', this.pos)) this.fail('lossy', 'inf has no JSON form');
    if (match === '' || match === '-' || match === '+' || match === '.')
      this.fail('syntax', `unexpected ${JSON.stringify(this.text[this.pos])} at character ${this.pos}`);
    if (match.endsWith('j')) this.fail('lossy', `complex number ${match} has no JSON form`);
    this.pos += match.length;
    const clean = match.replace(/_/g, '');
    const value = Number(clean);
    if (!Number.isFinite(value)) this.fail('lossy', `${match} is out of JSON's range`);
    const isInt = /^[-+]?\d+$/.test(clean);
    if (isInt && !Number.isSafeInteger(value)) this.fail('lossy', `the int ${clip(match)} is past 2^53 and would be rounded`);
    // JSON.stringify writes 1.0 as 1, which Python reads back as an int.
    if (!isInt && Number.isInteger(value)) this.fail('lossy', `the float ${match} would arrive as an int`);
    return value;
  }

  private string(): string {
    const quote = this.text[this.pos]!;
    const triple = this.text.startsWith(quote.repeat(3), this.pos);
    const delimiter = triple ? quote.repeat(3) : quote;
    this.pos += delimiter.length;
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) this.fail('truncated', 'it ends inside a string');
      if (this.text.startsWith(delimiter, this.pos)) {
        this.pos += delimiter.length;
        break;
      }
      const ch = this.text[this.pos]!;
      if (ch !== '\\') {
        if (!triple && ch === '\n') this.fail('syntax', 'a line break inside a string');
        const code = this.text.codePointAt(this.pos)!;
        out += String.fromCodePoint(code);
        this.pos += code > 0xffff ? 2 : 1;
        continue;
      }
      out += this.escape();
    }
    // Adjacent literals concatenate ('a' 'b'), as in Python; reprs never write them but a hand-written one may.
    this.skipSpace();
    const next = this.text[this.pos];
    if (next === "'" || next === '"') return out + this.string();
    return out;
  }

  private escape(): string {
    const ch = this.text[this.pos + 1];
    this.pos += 2;
    const simple: Record<string, string> = {
      n: '\n',
      r: '\r',
      t: '\t',
      '\\': '\\',
      "'": "'",
      '"': '"',
      a: '\x07',
      b: '\b',
      f: '\f',
      v: '\v',
      '0': '\0',
      '\n': '',
    };
    if (ch === undefined) this.fail('truncated', 'it ends inside an escape');
    if (ch === 'x' || ch === 'u' || ch === 'U') {
      const size = ch === 'x' ? 2 : ch === 'u' ? 4 : 8;
      const hex = this.text.slice(this.pos, this.pos + size);
      if (!new RegExp(`^[0-9a-fA-F]{${size}}$`).test(hex)) this.fail(hex.length < size ? 'truncated' : 'syntax', `bad \\${ch} escape`);
      this.pos += size;
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) this.fail('syntax', `bad \\${ch} escape`);
      // Python strs may hold lone surrogates, which JSON's UTF-8 cannot.
      if (code >= 0xd800 && code <= 0xdfff) this.fail('lossy', 'it holds a lone surrogate, which UTF-8 JSON cannot carry');
      return String.fromCodePoint(code);
    }
    if (ch in simple) {
      if (ch === '0' && /[0-7]/.test(this.text[this.pos] ?? '')) this.fail('syntax', 'octal escapes are not read');
      return simple[ch]!;
    }
    return this.fail('syntax', `unknown escape \\${ch}`);
  }
}
