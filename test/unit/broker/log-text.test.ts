import { describe, expect, it } from 'vitest';
import { logText } from '../../../src/util/one-line.js';
import { isLoopbackAddress } from '../../../src/broker/loopback-address.js';

describe('logText', () => {
  it('escapes what could end a log line or drive a terminal, and leaves other text alone', () => {
    expect(logText('guest')).toBe('guest');
    expect(logText('é ü 日本')).toBe('é ü 日本');
    expect(logText('a\nb\r\tc')).toBe('a\\nb\\r\\tc');
    expect(logText('\x1b[2K\x00\x7f\x85')).toBe('\\x1b[2K\\x00\\x7f\\x85');
    expect(logText('x\u2028y\u2029')).toBe('x\\u2028y\\u2029');
    expect(logText('back\\slash\\n')).toBe('back\\\\slash\\\\n');
  });
});

describe('isLoopbackAddress', () => {
  it('is true for 127.0.0.0/8, ::1 and IPv4 loopback mapped into IPv6', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(a)).toBe(true);
    for (const a of ['192.0.2.2', '::ffff:10.0.0.1', 'fe80::1', '0.0.0.0', '::', undefined]) expect(isLoopbackAddress(a)).toBe(false);
  });
});
