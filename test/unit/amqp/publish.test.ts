import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AmqpChannel } from '../../../src/amqp/amqp-channel.js';
import { pythonSafeHeaders } from '../../../src/amqp/publish.js';
import type { Channel } from '../../../src/amqp/index.js';
import { publishMessage } from '../../../src/transport/publish-message.js';

// amqplib's table encoder, loaded by path (its exports map hides lib/), to see the type tags on the wire.
const amqplibDir = dirname(createRequire(import.meta.url).resolve('amqplib'));
const codec = createRequire(import.meta.url)(join(amqplibDir, 'lib/codec.js')) as {
  encodeTable(buffer: Buffer, value: unknown, offset: number): number;
  decodeFields(buffer: Buffer): Record<string, unknown>;
};

function encode(table: Record<string, unknown>): Buffer {
  const buffer = Buffer.alloc(1024);
  const size = codec.encodeTable(buffer, table, 0);
  return buffer.subarray(4, size);
}

/** The type tag written right after `key` (a one-byte length, the key, then the tag). */
function tagOf(bytes: Buffer, key: string): string {
  const at = bytes.indexOf(Buffer.concat([Buffer.from([key.length]), Buffer.from(key)]));
  return String.fromCharCode(bytes[at + 1 + key.length]!);
}

describe('pythonSafeHeaders', () => {
  it('amqplib alone tags 300 as a short int (s), which py-amqp reads as a short string', () => {
    expect(tagOf(encode({ clock: 300 }), 'clock')).toBe('s');
    expect(tagOf(encode({ clock: 5 }), 'clock')).toBe('b');
  });

  it('tags every integer as I (signed 32-bit), as py-amqp writes them, and round-trips', () => {
    const headers = { clock: 300, small: 5, neg: -1, big: 70_000, expires: 1795287770.5, none: null, name: 'x', ok: true };
    const bytes = encode(pythonSafeHeaders(headers));
    for (const key of ['clock', 'small', 'neg', 'big']) expect(tagOf(bytes, key), key).toBe('I');
    expect(tagOf(bytes, 'expires')).toBe('d');
    expect(codec.decodeFields(bytes)).toEqual(headers);
  });

  it('reaches into arrays and nested tables, and leaves 64-bit values 64-bit', () => {
    const headers = { timelimit: [300, null], nested: { n: 200 }, huge: 2 ** 40 };
    const safe = pythonSafeHeaders(headers);
    expect(safe['timelimit']).toEqual([{ '!': 'int', value: 300 }, null]);
    expect(safe['nested']).toEqual({ n: { '!': 'int', value: 200 } });
    expect(tagOf(encode(safe), 'huge')).toBe('l');
    expect(codec.decodeFields(encode(safe))).toEqual(headers);
  });

  it('is applied by publishMessage (through the AMQP channel) without touching the caller’s message', () => {
    const sent: { headers: Record<string, unknown> }[] = [];
    const channel = { publish: (_e: string, _r: string, _c: Buffer, props: { headers: Record<string, unknown> }) => (sent.push(props), true) };
    const message = { exchange: 'x', routingKey: '', content: Buffer.from('{}'), properties: { headers: { clock: 300 } } };
    void publishMessage(new AmqpChannel(channel as unknown as Channel), message);
    expect(sent[0]!.headers).toEqual({ clock: { '!': 'int', value: 300 } });
    expect(message.properties.headers).toEqual({ clock: 300 });
  });
});

describe('toWireProperties', () => {
  it('returns the very same properties when no header needs a tag (results, events: no allocation)', async () => {
    const { toWireProperties } = await import('../../../src/amqp/publish.js');
    const plain = { contentType: 'application/json', headers: { hostname: 'w1@vm' } };
    expect(toWireProperties(plain)).toBe(plain);
    const none = { contentType: 'application/json' };
    expect(toWireProperties(none)).toBe(none);
  });

  it('tags integers in control-reply and task headers', async () => {
    const { toWireProperties } = await import('../../../src/amqp/publish.js');
    const props = { headers: { ticket: 't', clock: 300 } };
    expect(toWireProperties(props).headers).toEqual({ ticket: 't', clock: { '!': 'int', value: 300 } });
    expect(props.headers.clock).toBe(300);
  });
});
