import { describe, expect, it } from 'vitest';
import { assertArgumentsEquivalent, QUEUE_EQUIVALENCE_KEYS, queueLimits, sameValue, typedArguments } from '../../../src/broker/declare-arguments.js';

const R = "queue 'q' in vhost '/'";
const typed = (args: Record<string, unknown>, types: Record<string, string>) =>
  typedArguments(args, new Map(Object.entries(types)), QUEUE_EQUIVALENCE_KEYS);
const check = (current: ReturnType<typeof typed>, requested: ReturnType<typeof typed>) => () =>
  assertArgumentsEquivalent(current, requested, QUEUE_EQUIVALENCE_KEYS, R);

describe('queue argument equivalence', () => {
  const ttl100 = typed({ 'x-message-ttl': 100 }, { 'x-message-ttl': 'byte' });

  it('accepts the same values in the same type class, and ignores arguments RabbitMQ does not compare', () => {
    expect(check(ttl100, typed({ 'x-message-ttl': 100, 'x-other': 1 }, { 'x-message-ttl': 'signedint' }))).not.toThrow();
  });

  it('words a difference as RabbitMQ 3.10 does', () => {
    expect(check(ttl100, typed({ 'x-message-ttl': 200 }, { 'x-message-ttl': 'short' }))).toThrow(
      `PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for ${R}: received '200' but current is '100'`,
    );
    expect(check(ttl100, typed({}, {}))).toThrow(
      `PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for ${R}: received none but current is the value '100' of type 'byte'`,
    );
    expect(check(typed({}, {}), typed({ 'x-expires': 60000 }, { 'x-expires': 'signedint' }))).toThrow(
      `inequivalent arg 'x-expires' for ${R}: received the value '60000' of type 'signedint' but current is none`,
    );
    expect(check(ttl100, typed({ 'x-message-ttl': '100' }, { 'x-message-ttl': 'longstr' }))).toThrow(
      `inequivalent arg 'x-message-ttl' for ${R}: received '100' but current is '100'`,
    );
  });
});

describe('queue type equivalence', () => {
  const classic = typed({ 'x-queue-type': Buffer.from('classic') }, { 'x-queue-type': 'longstr' });
  const quorum = typed({ 'x-queue-type': Buffer.from('quorum') }, { 'x-queue-type': 'longstr' });

  it('takes a queue declared without a type as classic, both ways, as RabbitMQ 3.10 does', () => {
    expect(check(typed({}, {}), classic)).not.toThrow();
    expect(check(classic, typed({}, {}))).not.toThrow();
    expect(check(typed({}, {}), quorum)).toThrow(
      `inequivalent arg 'x-queue-type' for ${R}: received the value 'quorum' of type 'longstr' but current is none`,
    );
    expect(check(quorum, classic)).toThrow(`inequivalent arg 'x-queue-type' for ${R}: received 'classic' but current is 'quorum'`);
  });
});

describe('queueLimits', () => {
  it('reads x-message-ttl and x-expires', () => {
    expect(queueLimits(typed({ 'x-message-ttl': 0, 'x-expires': 10 }, { 'x-message-ttl': 'byte', 'x-expires': 'byte' }), R)).toEqual({
      messageTtl: 0,
      expires: 10,
    });
    expect(queueLimits(typed({}, {}), R)).toEqual({ messageTtl: undefined, expires: undefined });
  });

  it.each([
    [{ 'x-expires': 0 }, { 'x-expires': 'byte' }, "invalid arg 'x-expires' for queue 'q' in vhost '/': {value_zero,0}"],
    [{ 'x-expires': -3 }, { 'x-expires': 'byte' }, '{value_negative,-3}'],
    [{ 'x-message-ttl': -1 }, { 'x-message-ttl': 'byte' }, "invalid arg 'x-message-ttl' for queue 'q' in vhost '/': {value_negative,-1}"],
    [{ 'x-message-ttl': 'abc' }, { 'x-message-ttl': 'longstr' }, '"expected integer, got longstr"'],
    [{ 'x-expires': 1.5 }, { 'x-expires': 'double' }, '"expected integer, got double"'],
  ])('%j is a 406', (args, types, text) => {
    expect(() => queueLimits(typed(args, types), R)).toThrow(text);
  });
});

describe('sameValue', () => {
  it('compares field values by type and deeply', () => {
    expect(sameValue(1, 1)).toBe(true);
    expect(sameValue(1, '1')).toBe(false);
    expect(sameValue({ a: [1, { b: 'c' }] }, { a: [1, { b: 'c' }] })).toBe(true);
    expect(sameValue({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameValue([1], { 0: 1 })).toBe(false);
    expect(sameValue(Buffer.from('x'), Buffer.from('x'))).toBe(true);
    expect(sameValue(null, {})).toBe(false);
  });
});
