import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Method } from '../../../src/broker/amqp-codec.js';
import { fieldTypes, trailingTable, typeClass } from '../../../src/broker/field-types.js';

// amqplib's encoder, the way a client encodes a declare (loaded by path: its exports map hides lib/).
const require = createRequire(import.meta.url);
const defs = require(path.join(path.dirname(require.resolve('amqplib')), 'lib/defs.js')) as {
  encodeMethod(id: number, channel: number, fields: object): Buffer;
};

/** The method payload (class/method id onwards) of a frame amqplib encoded. */
const payloadOf = (frame: Buffer) => frame.subarray(7, frame.length - 1);

describe('fieldTypes', () => {
  it('names the wire type of each top-level argument the way RabbitMQ does', () => {
    const frame = defs.encodeMethod(Method.QueueDeclare, 1, {
      queue: 'q',
      durable: false,
      arguments: {
        'x-message-ttl': 100,
        'x-expires': 60000,
        big: 2 ** 40,
        s: 'text',
        f: 1.5,
        t: true,
        n: null,
        nested: { a: 1 },
        list: [1, 'x'],
        bytes: Buffer.from('ab'),
        short: 1000,
      },
    });
    const types = fieldTypes(trailingTable(payloadOf(frame), 1));
    expect(Object.fromEntries(types)).toEqual({
      'x-message-ttl': 'byte',
      'x-expires': 'signedint',
      big: 'long',
      s: 'longstr',
      f: 'double',
      t: 'bool',
      n: 'void',
      nested: 'table',
      list: 'array',
      bytes: 'binary',
      short: 'short',
    });
  });

  it('finds the arguments table of exchange.declare (two short strings before it)', () => {
    const frame = defs.encodeMethod(Method.ExchangeDeclare, 1, { exchange: 'x', type: 'direct', arguments: { 'alternate-exchange': 'ae' } });
    expect(Object.fromEntries(fieldTypes(trailingTable(payloadOf(frame), 2)))).toEqual({ 'alternate-exchange': 'longstr' });
  });

  it('groups integer and floating types into classes', () => {
    expect(['byte', 'short', 'signedint', 'long', 'unsignedint'].map(typeClass)).toEqual(['int', 'int', 'int', 'int', 'int']);
    expect(['float', 'double', 'longstr', 'bool'].map(typeClass)).toEqual(['float', 'float', 'longstr', 'bool']);
  });
});
