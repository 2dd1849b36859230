import { describe, expect, it } from 'vitest';
import { coerceBoolean, coerceInteger } from '../../../src/shell/coerce.js';

describe('coerceBoolean', () => {
  it.each(['yes', 'YES', 'Yes', 'true', 'True', 'on', 'ON', '1', ' yes '])('reads %j as true', (word) => {
    expect(coerceBoolean(word)).toBe(true);
  });

  it.each(['no', 'NO', 'false', 'FALSE', 'off', 'Off', '0'])('reads %j as false', (word) => {
    expect(coerceBoolean(word)).toBe(false);
  });

  it.each(['maybe', 'y', 'n', 't', 'f', '2', '', 'yess', '-1'])('refuses %j', (word) => {
    expect(coerceBoolean(word)).toBeUndefined();
  });
});

describe('coerceInteger', () => {
  it('reads decimal digits', () => {
    expect(coerceInteger('1')).toBe(1);
    expect(coerceInteger('0')).toBe(0);
    expect(coerceInteger('042')).toBe(42);
    expect(coerceInteger(' 7 ')).toBe(7);
  });

  it.each(['-1', '1.5', '1e3', '0x10', 'one', '', '99999999999999999999'])('refuses %j', (word) => {
    expect(coerceInteger(word)).toBeUndefined();
  });
});
