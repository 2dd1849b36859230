import { describe, expect, it } from 'vitest';
import { asReprString, exceptionTypeOf, pyExceptionRepr, pyRepr, pyStrRepr, pyTupleRepr, truncateRepr } from '../../../src/protocol/python-repr.js';

// Expected strings are what CPython 3.11 printed for the same values (repr()).
describe('pyRepr', () => {
  it.each<[unknown, string]>([
    [null, 'None'],
    [true, 'True'],
    [false, 'False'],
    [4, '4'],
    [20.5, '20.5'],
    [1e21, '1e+21'],
    [1e-7, '1e-07'],
    [-0.5, '-0.5'],
    ['hello', "'hello'"],
    ["it's", '"it\'s"'],
    ['a"b\'c', "'a\"b\\'c'"],
    ['tab\there\nnl', "'tab\\there\\nnl'"],
    ['éü', "'éü'"],
    ['\x01\x7f', "'\\x01\\x7f'"],
    [{ a: 1, b: [1, 'x', null, true] }, "{'a': 1, 'b': [1, 'x', None, True]}"],
    [[], '[]'],
    [{}, '{}'],
  ])('repr(%j) is %s', (value, expected) => {
    expect(pyRepr(value)).toBe(expected);
  });

  it('writes args tuples as Python does', () => {
    expect(pyTupleRepr([2, 2])).toBe('(2, 2)');
    expect(pyTupleRepr([1])).toBe('(1,)');
    expect(pyTupleRepr([])).toBe('()');
  });

  it('escapes backslashes and keeps the quote choice', () => {
    expect(pyStrRepr('a\\b')).toBe("'a\\\\b'");
    expect(pyStrRepr(`both ' and "`)).toBe(`'both \\' and "'`);
  });

  it('truncates long reprs to the limit', () => {
    const long = 'x'.repeat(2000);
    expect(truncateRepr(long)).toHaveLength(1024);
    expect(truncateRepr(long).endsWith('...')).toBe(true);
    expect(truncateRepr('short')).toBe('short');
  });

  it('formats and reads exception reprs', () => {
    expect(pyExceptionRepr('TypeError', 'bad')).toBe("TypeError('bad')");
    expect(pyExceptionRepr('ValueError', '')).toBe('ValueError()');
    expect(exceptionTypeOf("NotRegistered('tasks.nope')")).toBe('NotRegistered');
    expect(exceptionTypeOf('celery.exceptions.Retry()')).toBe('celery.exceptions.Retry');
    expect(exceptionTypeOf('not an exception')).toBeUndefined();
  });

  it('turns JSON values from non-Python senders into repr strings and keeps strings as they are', () => {
    expect(asReprString([1, 2])).toBe('[1, 2]');
    expect(asReprString('(1, 2)')).toBe('(1, 2)');
  });
});
