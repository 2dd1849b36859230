import { describe, expect, it } from 'vitest';
import { parseExpiration } from '../../../src/broker/message.js';

describe('parseExpiration', () => {
  it.each([
    ['0', 0],
    ['100', 100],
    ['+5', 5],
    ['86400000', 86400000],
  ])('%j is %d ms', (text, ms) => {
    expect(parseExpiration(text)).toBe(ms);
  });

  it.each([
    ['abc', 'no_integer'],
    ['', 'no_integer'],
    [' 5', 'no_integer'],
    ['-5', '{value_negative,-5}'],
    ['1.5', '{leftover_string,".5"}'],
    ['10s', '{leftover_string,"s"}'],
  ])("%j is RabbitMQ's 406 %s", (text, reason) => {
    expect(() => parseExpiration(text)).toThrow(`PRECONDITION_FAILED - invalid expiration '${text}': ${reason}`);
  });
});
