import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCredentials } from '../../../src/broker/connection.js';

const require = createRequire(import.meta.url);
const codec = require(path.join(path.dirname(require.resolve('amqplib')), 'lib/codec.js')) as {
  encodeTable(buffer: Buffer, value: object, offset: number): number;
};

describe('readCredentials', () => {
  it('reads PLAIN (authzid, user, password separated by NUL)', () => {
    expect(readCredentials('PLAIN', Buffer.from('\u0000guest\u0000secret'))).toEqual({ user: 'guest', password: 'secret' });
    expect(readCredentials('PLAIN', Buffer.from('guest'))).toBeUndefined();
  });

  it('reads AMQPLAIN as py-amqp sends it: a field table without its length prefix', () => {
    const scratch = Buffer.alloc(256);
    const size = codec.encodeTable(scratch, { LOGIN: 'guest', PASSWORD: 'secret' }, 0);
    expect(readCredentials('AMQPLAIN', scratch.subarray(4, size))).toEqual({ user: 'guest', password: 'secret' });
    expect(readCredentials('AMQPLAIN', Buffer.from([1, 2, 3]))).toBeUndefined();
  });

  it("an unknown mechanism is RabbitMQ's 503", () => {
    expect(() => readCredentials('EXTERNAL', Buffer.alloc(0))).toThrow("COMMAND_INVALID - unknown authentication mechanism 'EXTERNAL'");
  });
});
