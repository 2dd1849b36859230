/**
 * kombu's serializers and compression, against bytes captured from kombu 5.2.4 (`kombu.serialization.dumps` and
 * `kombu.compression.compress` under /usr/bin/python3): camq reads what kombu writes, and kombu reads what camq writes
 * (the msgpack bytes are identical; the interop test has Python decode the others).
 */
import { describe, expect, it } from 'vitest';
import type { IncomingMessage, MessageProperties } from '../../../src/protocol/amqp-message.js';
import { compressionByContentType, MAX_DECOMPRESSED_BYTES, requireCompression } from '../../../src/protocol/compression.js';
import { buildResultMessage, decodeResultMessage } from '../../../src/protocol/result-message.js';
import { acceptContent, serializerByContentType, serializerByName } from '../../../src/protocol/serializer.js';
import { buildTaskMessage, decodeTaskMessage } from '../../../src/protocol/task-message.js';

// dumps([[2, 'x', 1.5, None, True], {'k': 'yes', 'n': -3, 'big': 2**40}, {'callbacks': None}], serializer=...)
const VALUE = [[2, 'x', 1.5, null, true], { k: 'yes', n: -3, big: 2 ** 40 }, { callbacks: null }];
const KOMBU = {
  json: '5b5b322c202278222c20312e352c206e756c6c2c20747275655d2c207b226b223a2022796573222c20226e223a202d332c2022626967223a20313039393531313632373737367d2c207b2263616c6c6261636b73223a206e756c6c7d5d',
  msgpack: '939502a178cb3ff8000000000000c0c383a16ba3796573a16efda3626967cf000001000000000081a963616c6c6261636b73c0',
  yaml: '2d202d20320a20202d20780a20202d20312e350a20202d206e756c6c0a20202d20747275650a2d206269673a20313039393531313632373737360a20206b3a2027796573270a20206e3a202d330a2d2063616c6c6261636b733a206e756c6c0a',
};
// compress(b'[1, 2]', 'gzip' | 'bzip2')
const KOMBU_GZIP = '789c8b36d451308a050004ee0168';
const KOMBU_BZIP2 = '425a6839314159265359137a929e0000021a0040043000000a200021800c013b36e2ee48a70a12026f5253c0';
// compress(BODY, 'brotli' | 'zstd') under python3-brotli 1.0.9 and python3-zstandard 0.20.0, base64
const BODY = JSON.stringify([
  [[...Array(40).keys()], { text: 'hello world '.repeat(20), n: 2 ** 40 }],
  {},
  { callbacks: null, errbacks: null, chain: null, chord: null },
])
  .replaceAll(',', ', ')
  .replaceAll(':', ': ');
const KOMBU_BROTLI =
  'G/QBYByH6Qa3JUkjeOqm0tmy2Zaqu3wB4IGnBZtW3d7oPkAQcKcdmwdGSUmQhoEFFmlIcYCa2xjocazqSBRV6lWoNDoHg8niZFPrVcG4IaQyQ0cTyrghpDJDRxfKuCGkMpc++cPtBBzdbPd7juACxAMq3aGaVuy5e1I3GyZjfPCCn3CvlcpbtSm96+r7BA==';
const KOMBU_ZSTD =
  'KLUv/WD1AJUFAFIOJh1gR5UOUJRpoLaYq3IY6i9JFoA0EqG9PR8QDIIUHklEgJ5mcQKUZoEgJt3WCJyPNCCwKACtKUt0cJNIrbVQ3RWMDfeRnHTThAY9BT+tMU36SAUDppAObsLyGnlXXpW3yEvkzbyY9/IOeRleA+/Cq/AWeAm8iRfxDnjZXePuuqvuFneJu3kX795ddo27rrrFJW5evHcHBEECBwBTZU3UptV0W4Nawwu/KGIJViQsRQY=';

function incoming(content: Buffer, properties: MessageProperties): IncomingMessage {
  return { content, properties, fields: { exchange: '', routingKey: 'celery', redelivered: false, deliveryTag: 1 } };
}

describe('serializers', () => {
  it.each(['json', 'msgpack', 'yaml'] as const)('%s decodes what kombu wrote', (name) => {
    expect(serializerByName(name)!.decode(Buffer.from(KOMBU[name], 'hex'))).toEqual(VALUE);
  });

  it('msgpack writes the bytes kombu writes', () => {
    expect(serializerByName('msgpack')!.encode(VALUE).toString('hex')).toBe(KOMBU.msgpack);
  });

  it.each(['json', 'msgpack', 'yaml'] as const)('%s round-trips', (name) => {
    const s = serializerByName(name)!;
    expect(s.decode(s.encode(VALUE))).toEqual(VALUE);
  });

  it('yaml quotes the strings YAML 1.1 (PyYAML) would read as booleans or numbers', () => {
    const s = serializerByName('yaml')!;
    const text = s.encode(['yes', 'on', 'no', '0x10', '1_000', '~']).toString('utf8');
    expect(s.decode(Buffer.from(text))).toEqual(['yes', 'on', 'no', '0x10', '1_000', '~']);
    expect(text).not.toMatch(/^- yes$/m);
  });

  it('yaml builds plain data only: a Python object tag refuses the body', () => {
    const s = serializerByName('yaml')!;
    expect(() => s.decode(Buffer.from('!!python/object/apply:os.system ["echo hi"]\n'))).toThrow(/tag/i);
    expect(() => s.decode(Buffer.from('- !Thing {a: 1}\n'))).toThrow(/tag/i);
  });

  it('yaml refuses a document that multiplies aliases (a "billion laughs")', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++)
      lines.push(
        `${'b'.repeat(i + 1)}: &${'b'.repeat(i + 1)} [${Array(10)
          .fill(i === 0 ? '*a' : '*' + 'b'.repeat(i))
          .join(', ')}]`,
      );
    expect(() => serializerByName('yaml')!.decode(Buffer.from(lines.join('\n')))).toThrow(/alias/i);
  });

  it('looks serializers up by content type, and pickle not at all', () => {
    expect(serializerByContentType('application/x-msgpack')?.name).toBe('msgpack');
    expect(serializerByContentType('application/x-yaml')?.name).toBe('yaml');
    expect(serializerByContentType('application/x-python-serialize')).toBeUndefined();
  });

  it('accept_content takes names and content types, and refuses pickle', () => {
    expect([...acceptContent(['json', 'application/x-msgpack'])]).toEqual(['application/json', 'application/x-msgpack']);
    expect(() => acceptContent(['pickle'])).toThrow("accept_content: unknown serializer 'pickle' (camq never deserializes pickle)");
    expect(() => acceptContent(['bson'])).toThrow("accept_content: unknown serializer 'bson' (camq speaks json, msgpack, yaml)");
  });
});

describe('compression', () => {
  it('gzip (a zlib stream, as kombu writes it) and bzip2 read what kombu wrote', () => {
    expect(requireCompression('gzip').decompress(Buffer.from(KOMBU_GZIP, 'hex')).toString()).toBe('[1, 2]');
    expect(requireCompression('bzip2').decompress(Buffer.from(KOMBU_BZIP2, 'hex')).toString()).toBe('[1, 2]');
  });

  it('brotli and zstd read what kombu wrote, by the content types kombu names them', () => {
    expect(BODY.length).toBe(501);
    const brotli = compressionByContentType('application/x-brotli');
    const zstd = compressionByContentType('application/zstd');
    expect(typeof brotli !== 'string' && brotli.decompress(Buffer.from(KOMBU_BROTLI, 'base64')).toString()).toBe(BODY);
    expect(typeof zstd !== 'string' && zstd.decompress(Buffer.from(KOMBU_ZSTD, 'base64')).toString()).toBe(BODY);
  });

  it('a zstd body that is not zstd throws (the worker acks it as undecodable)', () => {
    const zstd = compressionByContentType('application/zstd');
    expect(() => typeof zstd !== 'string' && zstd.decompress(Buffer.from('[1, 2]'))).toThrow();
  });

  it('stops a body that decompresses past the limit while it decompresses, each codec with one line', () => {
    const big = Buffer.alloc(300_000, 'a');
    const zstd = compressionByContentType('application/zstd');
    const bodies = [
      ['gzip', requireCompression('gzip')],
      ['bzip2', requireCompression('bzip2')],
      ['brotli', requireCompression('brotli')],
    ] as const;
    for (const [name, codec] of bodies) {
      const packed = codec.compress(big);
      expect(codec.decompress(packed, 300_000)).toHaveLength(300_000);
      expect(() => codec.decompress(packed, 100_000)).toThrow(`the ${name} body decompresses to more than 100000 bytes, camq's limit for a message`);
    }
    // zstd: kombu's 501-byte body, and a limit under it.
    expect(typeof zstd !== 'string' && zstd.decompress(Buffer.from(KOMBU_ZSTD, 'base64'), 501)).toHaveLength(501);
    expect(() => typeof zstd !== 'string' && zstd.decompress(Buffer.from(KOMBU_ZSTD, 'base64'), 500)).toThrow(
      "the zstd body decompresses to more than 500 bytes, camq's limit for a message",
    );
  });

  it('takes kombu aliases and round-trips', () => {
    for (const name of ['gzip', 'zlib', 'bzip2', 'bzip', 'brotli']) {
      const codec = requireCompression(name);
      expect(codec.decompress(codec.compress(Buffer.from('hello hello'))).toString()).toBe('hello hello');
    }
    expect(requireCompression('zlib').contentType).toBe('application/x-gzip');
    expect(requireCompression('bzip').contentType).toBe('application/x-bz2');
  });

  it('refuses to write lzma and zstd, and unknown names, with one line each', () => {
    expect(() => requireCompression('lzma')).toThrow("compression 'lzma': camq cannot write lzma; use one of gzip, zlib, bzip2, bzip, brotli");
    expect(() => requireCompression('zstd')).toThrow(
      "compression 'zstd': camq reads zstd but cannot write it; use one of gzip, zlib, bzip2, bzip, brotli",
    );
    expect(() => requireCompression('zstandard')).toThrow(/^compression 'zstandard': camq reads zstd but cannot write it;/);
    expect(() => requireCompression('snappy')).toThrow("compression 'snappy': unknown compression; use one of gzip, zlib, bzip2, bzip, brotli");
    expect(compressionByContentType(7)).toBe(
      'unknown compression 7; camq reads gzip (application/x-gzip), bzip2 (application/x-bz2), brotli (application/x-brotli) and zstd (application/zstd)',
    );
  });
});

describe('task messages in other serializers', () => {
  const msgpackAccept = acceptContent(['json', 'msgpack', 'yaml']);

  it.each([
    ['msgpack', undefined],
    ['yaml', 'gzip'],
    ['json', 'bzip2'],
    ['msgpack', 'bzip2'],
    ['json', 'brotli'],
  ] as const)('builds and decodes serializer %s, compression %s', (serializer, compression) => {
    const sent = buildTaskMessage({ name: 'tasks.add', args: [2, 'x'], kwargs: { k: 'yes' }, id: 't1', serializer, compression });
    expect(sent.properties.contentType).toBe(serializerByName(serializer)!.contentType);
    expect(sent.properties.contentEncoding).toBe(serializer === 'msgpack' ? 'binary' : 'utf-8');
    expect(sent.properties.headers?.['compression']).toBe(compression === undefined ? undefined : requireCompression(compression).contentType);
    const decoded = decodeTaskMessage(incoming(sent.content, sent.properties), msgpackAccept);
    expect(decoded.ok && decoded.task).toMatchObject({ id: 't1', name: 'tasks.add', args: [2, 'x'], kwargs: { k: 'yes' } });
  });

  it('decodes a task message kombu compressed with zstd (camq reads zstd, never writes it)', () => {
    const headers = { task: 'tasks.add', id: 'z1', compression: 'application/zstd' };
    const decoded = decodeTaskMessage(incoming(Buffer.from(KOMBU_ZSTD, 'base64'), { contentType: 'application/json', headers }));
    expect(decoded.ok && decoded.task).toMatchObject({ id: 'z1', args: [[...Array(40).keys()], { n: 2 ** 40 }], kwargs: {} });
    expect(() => buildTaskMessage({ name: 'tasks.add', compression: 'zstd' })).toThrow(/camq reads zstd but cannot write it/);
  });

  it('a JSON-only worker (the default) refuses msgpack as untrusted content', () => {
    const sent = buildTaskMessage({ name: 'tasks.add', id: 't1', serializer: 'msgpack' });
    const decoded = decodeTaskMessage(incoming(sent.content, sent.properties));
    expect(!decoded.ok && decoded.error).toMatchObject({
      kind: 'content-disallowed',
      action: 'reject',
      message: 'Received invalid task message: Refusing to deserialize untrusted content of type msgpack (application/x-msgpack)',
    });
  });

  it('a worker that accepts only msgpack refuses JSON', () => {
    const sent = buildTaskMessage({ name: 'tasks.add', id: 't1' });
    const decoded = decodeTaskMessage(incoming(sent.content, sent.properties), acceptContent(['msgpack']));
    expect(!decoded.ok && decoded.error.message).toBe(
      'Received invalid task message: Refusing to deserialize untrusted content of type json (application/json)',
    );
  });

  it('pickle stays refused even when everything camq speaks is accepted', () => {
    const decoded = decodeTaskMessage(
      incoming(Buffer.from([0x80, 0x04]), {
        contentType: 'application/x-python-serialize',
        contentEncoding: 'binary',
        headers: { task: 't', id: 'i' },
      }),
      msgpackAccept,
    );
    expect(!decoded.ok && decoded.error.message).toBe(
      'Received invalid task message: Refusing to deserialize untrusted content of type pickle (application/x-python-serialize)',
    );
  });

  it('acks (drops) a body that does not decompress or does not decode, naming what it was', () => {
    const headers = { task: 'tasks.add', id: 'i1', compression: 'application/x-gzip' };
    const bad = decodeTaskMessage(incoming(Buffer.from('not zlib'), { contentType: 'application/json', headers }));
    expect(!bad.ok && bad.error).toMatchObject({ kind: 'decode-error', action: 'ack', id: 'i1' });
    expect(!bad.ok && bad.error.message).toMatch(/^Can't decode message body: DecodeError\(".*"\) \[type:'application\/json'/);
    const yaml = decodeTaskMessage(
      incoming(Buffer.from('!!python/object:os.X {}'), { contentType: 'application/x-yaml', headers: { task: 't', id: 'i2' } }),
      msgpackAccept,
    );
    expect(!yaml.ok && yaml.error).toMatchObject({ kind: 'decode-error', action: 'ack', id: 'i2' });
  });

  it('acks a compression bomb (200 KiB of gzip that would inflate past 128 MiB) as undecodable, without inflating it whole', () => {
    const bomb = requireCompression('gzip').compress(Buffer.alloc(MAX_DECOMPRESSED_BYTES + 1));
    expect(bomb.length).toBeLessThan(200_000);
    const headers = { task: 'tasks.add', id: 'b1', compression: 'application/x-gzip' };
    const decoded = decodeTaskMessage(incoming(bomb, { contentType: 'application/json', headers }));
    expect(!decoded.ok && decoded.error).toMatchObject({ kind: 'decode-error', action: 'ack', id: 'b1' });
    expect(!decoded.ok && decoded.error.message).toMatch(/^Can't decode message body: .*decompresses to more than 134217728 bytes/);
  });

  it('refuses an unknown serializer name on send', () => {
    expect(() => buildTaskMessage({ name: 't', serializer: 'pickle' as never })).toThrow(
      "serializer 'pickle': camq never writes pickle; use one of json, msgpack, yaml",
    );
  });
});

describe('results in other serializers', () => {
  it.each(['json', 'msgpack', 'yaml'] as const)('%s results round-trip through decodeResultMessage', (serializer) => {
    const sent = buildResultMessage({ taskId: 't1', replyTo: 'r', status: 'SUCCESS', result: { sum: 4, s: 'yes' }, serializer });
    expect(sent.properties.contentType).toBe(serializerByName(serializer)!.contentType);
    expect(decodeResultMessage(incoming(sent.content, sent.properties))).toMatchObject({
      task_id: 't1',
      status: 'SUCCESS',
      result: { sum: 4, s: 'yes' },
    });
  });

  it('reads a compressed result, and never a pickled one', () => {
    const body = requireCompression('gzip').compress(Buffer.from('{"task_id": "t1", "status": "SUCCESS", "result": 4}'));
    expect(decodeResultMessage(incoming(body, { contentType: 'application/json', headers: { compression: 'application/x-gzip' } }))).toMatchObject({
      result: 4,
    });
    expect(decodeResultMessage(incoming(Buffer.from([0x80]), { contentType: 'application/x-python-serialize' }))).toBeUndefined();
  });
});
