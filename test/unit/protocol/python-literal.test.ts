import { describe, expect, it } from 'vitest';
import { parseArgsRepr, parseKwargsRepr, parsePythonLiteral } from '../../../src/protocol/python-literal.js';
import { pyRepr, pyTupleRepr, truncateRepr } from '../../../src/protocol/python-repr.js';

const ok = (text: string) => {
  const result = parsePythonLiteral(text);
  if (!result.ok) throw new Error(`refused ${text}: ${result.reason} ${result.detail}`);
  return result.value;
};
const reason = (text: string) => {
  const result = parsePythonLiteral(text);
  return result.ok ? 'ok' : result.reason;
};

describe('parsePythonLiteral', () => {
  it('reads the reprs Celery writes for JSON values', () => {
    expect(ok('(2, 2)')).toEqual([2, 2]);
    expect(ok('(1,)')).toEqual([1]);
    expect(ok('()')).toEqual([]);
    expect(ok("[None, True, False, -3, 0.5, 1e-07, 'a', \"it's\"]")).toEqual([null, true, false, -3, 0.5, 1e-7, 'a', "it's"]);
    expect(ok("{'x': {'y': [1, (2, 3)]}, 'z': ''}")).toEqual({ x: { y: [1, [2, 3]] }, z: '' });
    expect(ok("'tab\\there\\nnl \\\\ \\x00 \\u00e9 \\U0001f600'")).toEqual('tab\there\nnl \\ \x00 é 😀');
    expect(ok("'é 😀 中'")).toBe('é 😀 中');
  });

  it('round-trips what pyRepr and pyTupleRepr write (the sender side of the same reprs)', () => {
    const values: unknown[] = [
      [1, 'two', [3.5, null], { k: true, "q'uote": 'd"q' }],
      ['\u0001\u007f\u0085 control', 'emoji 🎉', '', 'both \' and "'],
      [{ nested: [[[[]]]] }, -0.25, 12345678901234],
    ];
    for (const args of values) {
      expect(parseArgsRepr(pyTupleRepr(args as unknown[]))).toEqual({ ok: true, value: args });
      expect(parseKwargsRepr(pyRepr({ a: args }))).toEqual({ ok: true, value: { a: args } });
    }
  });

  it('refuses a repr saferepr cut at the cap, and reprlib’s "..." marks', () => {
    const long = pyTupleRepr(['x'.repeat(2000)]);
    const cut = truncateRepr(long);
    expect(cut.length).toBe(1024);
    expect(parseArgsRepr(cut)).toMatchObject({ ok: false, reason: 'truncated' });
    expect(reason('[1, [...]]')).toBe('truncated');
    expect(reason('{...}')).toBe('truncated');
    expect(reason("(1, 'abc")).toBe('truncated');
    expect(reason('(1, 2')).toBe('truncated');
  });

  it('refuses object reprs', () => {
    expect(reason('(<tasks.Foo object at 0x7f3a2c>,)')).toBe('object');
    expect(reason("(Decimal('1.5'),)")).toBe('object');
    expect(reason('(datetime.datetime(2026, 1, 1, 0, 0),)')).toBe('object');
    expect(reason('(x,)')).toBe('object');
  });

  it('refuses what JSON would change: sets, bytes, complex, nan/inf, non-str keys, big ints, integral floats', () => {
    expect(reason('({1, 2},)')).toBe('lossy');
    expect(reason('(set(),)')).toBe('lossy');
    expect(reason('(frozenset({1}),)')).toBe('lossy');
    expect(reason("(b'raw',)")).toBe('lossy');
    expect(reason('(1j,)')).toBe('lossy');
    expect(reason('(nan,)')).toBe('lossy');
    expect(reason('(-inf,)')).toBe('lossy');
    expect(reason('({1: 2},)')).toBe('lossy');
    expect(reason('(123456789012345678901,)')).toBe('lossy');
    expect(reason('(1.0,)')).toBe('lossy');
    expect(reason("('\\ud800',)")).toBe('lossy');
  });

  it('says what is not a literal, and checks the shape of args and kwargs', () => {
    expect(reason('(1 2)')).toBe('syntax');
    expect(reason("'a' + 'b'")).toBe('syntax');
    expect(parseArgsRepr("{'a': 1}")).toMatchObject({ ok: false, reason: 'syntax' });
    expect(parseKwargsRepr('[1]')).toMatchObject({ ok: false, reason: 'syntax' });
    expect(parseArgsRepr('[1, 2]')).toEqual({ ok: true, value: [1, 2] });
  });

  it('does not let a key named __proto__ change the prototype', () => {
    const value = ok("{'__proto__': {'polluted': 1}}") as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect((value as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('refuses nesting deeper than 100 levels instead of overflowing the stack', () => {
    expect(reason('['.repeat(5000) + ']'.repeat(5000))).toBe('lossy');
  });
});
