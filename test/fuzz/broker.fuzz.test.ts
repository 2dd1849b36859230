/**
 * Fuzz: camq's embedded broker (`camq broker`, in a process of its own, from dist/) against what an attacker or a
 * buggy client sends: garbage instead of the protocol header, mutated start-ok tables, then, after a valid
 * handshake, random frames (any type, channel, size and end octet), valid methods with bytes flipped or cut,
 * field tables nested thousands deep, content headers announcing huge bodies, frames cut short, clients that drip
 * bytes, go silent, or never read. Every case ends its socket; the broker must answer each with a close or drop it,
 * never crash, log no internal error, and stay within its memory watermark.
 *
 * After the run: the process is alive, its RSS is bounded, and a normal client connects, publishes and consumes.
 * Seeded (test/fuzz/fuzz-seed.ts): the seed is printed; CAMQ_FUZZ_SEED reproduces a run. About 20 s.
 */
import { readFileSync } from 'node:fs';
import amqp from 'amqplib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { amqplibDefs as defs, RawClient } from '../integration/broker/kit.js';
import { queueDeclareFields } from '../helpers/queue-declare-fields.js';
import { fuzzParams } from './fuzz-seed.js';

const WATERMARK_MIB = 64;
/** RSS the broker process may reach: Node's own ~60 MB, the watermark, and slack for garbage not yet collected. */
const RSS_LIMIT_MB = 400;

let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBrokerProcess(['--handshake-timeout', '1', '--memory-high-watermark', `${WATERMARK_MIB}MiB`]);
});
afterAll(() => broker?.stop());

const M = (name: string) => defs[name] as number;

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

function frame(type: number, channel: number, payload: Buffer, options: { size?: number; end?: number } = {}): Buffer {
  const out = Buffer.alloc(payload.length + 8);
  out[0] = type;
  out.writeUInt16BE(channel & 0xffff, 1);
  out.writeUInt32BE((options.size ?? payload.length) >>> 0, 3);
  payload.copy(out, 7);
  out[out.length - 1] = options.end ?? 206;
  return out;
}

/** A field table nested `depth` deep ({a: {a: ...}}), written directly: amqplib's encoder would recurse as deep. */
function deepTable(depth: number): Buffer {
  // Level i (0 the outermost) holds 7 * (depth - i) bytes: one entry (name "a", type 'F') and the next table.
  const out = Buffer.alloc(7 * depth + 4);
  for (let i = 0; i < depth; i++) {
    out.writeUInt32BE(7 * (depth - i), 7 * i);
    out.set([1, 0x61, 0x46], 7 * i + 4);
  }
  return out; // the innermost table's length, 0, is already there
}

/** Valid frames a client sends, for mutation. */
function validFrames(): Buffer[] {
  const queueDeclare = defs.encodeMethod(
    M('QueueDeclare'),
    1,
    queueDeclareFields('fuzz-q', {
      exclusive: true,
      arguments: { 'x-message-ttl': 1000, 'x-max-length': 10, nested: { list: [1, 'two', { three: true }] } },
    }),
  );
  const exchangeDeclare = defs.encodeMethod(M('ExchangeDeclare'), 1, {
    exchange: 'fuzz-x',
    type: 'headers',
    passive: false,
    durable: false,
    autoDelete: true,
    internal: false,
    nowait: false,
    arguments: {},
  });
  const publish = defs.encodeMethod(M('BasicPublish'), 1, { exchange: 'amq.headers', routingKey: 'k', mandatory: true, immediate: false });
  const header = defs.encodeProperties(60, 1, 5, { headers: { a: 1, b: 'x', c: [1, 2] }, expiration: '100', contentType: 'text/plain' });
  const body = frame(3, 1, Buffer.from('hello'));
  const consume = defs.encodeMethod(M('BasicConsume'), 1, {
    queue: 'fuzz-q',
    consumerTag: '',
    noLocal: false,
    noAck: false,
    exclusive: false,
    nowait: false,
    arguments: {},
  });
  const ack = defs.encodeMethod(M('BasicAck'), 1, { deliveryTag: 1, multiple: true });
  return [queueDeclare, exchangeDeclare, publish, header, body, consume, ack];
}
const VALID = validFrames();

const arbFrame: fc.Arbitrary<Buffer> = fc.oneof(
  // Random frames: any type, small or random channel, random payload, sometimes a lying size or a bad end octet.
  fc
    .record({
      type: fc.oneof(fc.constantFrom(1, 2, 3, 8), fc.integer({ min: 0, max: 255 })),
      channel: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffff })),
      payload: fc.uint8Array({ maxLength: 300 }),
      size: fc.option(fc.oneof(fc.constant(0xffffffff), fc.integer({ min: 0, max: 1 << 20 })), { freq: 5 }),
      end: fc.option(fc.integer({ min: 0, max: 255 }), { freq: 5 }),
    })
    .map(({ type, channel, payload, size, end }) =>
      frame(type, channel, Buffer.from(payload), {
        ...(size === null ? {} : { size }),
        ...(end === null ? {} : { end }),
      }),
    ),
  // A valid frame with bytes flipped, cut short, or both.
  fc
    .record({
      index: fc.nat(VALID.length - 1),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat(), { freq: 3 }),
    })
    .map(({ index, flips, cut }) => {
      const bytes = Buffer.from(VALID[index]!);
      for (const [at, value] of flips) bytes[7 + (at % Math.max(1, bytes.length - 8))] = value;
      return cut === null ? bytes : bytes.subarray(0, cut % bytes.length);
    }),
  // A valid frame unchanged: sequences of them reach deeper states (publishing, consuming, acking).
  fc.nat(VALID.length - 1).map((index) => VALID[index]!),
  // Field tables nested deep, in a declare's arguments and in a message's headers.
  fc.integer({ min: 500, max: 20_000 }).map((depth) => {
    const table = deepTable(depth);
    const declare = Buffer.concat([Buffer.from([0, 50, 0, 10, 0, 0]), Buffer.from([6]), Buffer.from('fuzz-d'), Buffer.from([0]), table]);
    return frame(1, 1, declare);
  }),
  fc.integer({ min: 500, max: 20_000 }).map((depth) => {
    const table = deepTable(depth);
    const props = Buffer.concat([Buffer.from([0, 60, 0, 0]), Buffer.alloc(8), Buffer.from([0x20, 0])]);
    props.writeUInt32BE(0, 4);
    props.writeUInt32BE(3, 8);
    return Buffer.concat([VALID[2]!, frame(2, 1, Buffer.concat([props, table])), frame(3, 1, Buffer.from('abc'))]);
  }),
  // A content header announcing a huge body (up to 2^64-1), never sent.
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((size) => {
    const props = Buffer.concat([Buffer.from([0, 60, 0, 0]), Buffer.alloc(8), Buffer.from([0, 0])]);
    props.writeBigUInt64BE(size, 4);
    return Buffer.concat([VALID[2]!, frame(2, 1, props)]);
  }),
);

/** Open a connection and channel 1 as a well-behaved client would. */
async function handshake(url: string): Promise<RawClient | undefined> {
  const client = await RawClient.connect(url);
  if ((await client.login('guest', 'guest')) === undefined) return undefined;
  if ((await client.open('/', { channelMax: 2047, frameMax: 131072 })) === undefined) return undefined;
  client.send(client.method(1, M('ChannelOpen'), { outOfBand: '' }));
  await client.waitFor(M('ChannelOpenOk'));
  return client;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Send `bytes` and end the socket; resolves when the broker has closed its side. A broker that keeps it open long
 * after the client ended fails the case (a liveness bound, not a timing measure: it closes within milliseconds).
 */
async function sendAndEnd(client: RawClient, bytes: Buffer): Promise<void> {
  client.socket.end(bytes);
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the broker kept the connection open 10 s after the client ended it (${bytes.length} bytes sent)`)),
      10_000,
    );
  });
  await Promise.race([client.closed, stuck]).finally(() => clearTimeout(timer));
}

describe('embedded broker under fuzzed input', () => {
  it('survives random and mutated frames after a valid handshake', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbFrame, { minLength: 1, maxLength: 8 }), async (frames) => {
        const client = await handshake(broker.url);
        expect(client).toBeDefined();
        await sendAndEnd(client!, Buffer.concat(frames));
      }),
      fuzzParams(250),
    );
  });

  it('survives garbage and mutations in the handshake itself', async () => {
    const startOk = defs.encodeMethod(M('ConnectionStartOk'), 0, {
      clientProperties: { product: 'fuzz', capabilities: { 'connection.blocked': true }, connection_name: 'n' },
      mechanism: 'PLAIN',
      response: Buffer.from('\u0000guest\u0000guest'),
      locale: 'en_US',
    });
    const tuneOk = defs.encodeMethod(M('ConnectionTuneOk'), 0, { channelMax: 2047, frameMax: 131072, heartbeat: 0 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
          fc.constant(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')),
        ),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.option(fc.nat(), { freq: 3 }),
        fc.boolean(),
        async (header, flips, cut, withTune) => {
          const mutated = Buffer.from(startOk);
          for (const [at, value] of flips) mutated[at % mutated.length] = value;
          const tail = Buffer.concat([mutated, withTune ? tuneOk : Buffer.alloc(0)]);
          const client = await RawClient.connect(broker.url);
          await sendAndEnd(client, Buffer.concat([header, cut === null ? tail : tail.subarray(0, cut % tail.length)]));
        },
      ),
      fuzzParams(100),
    );
  });

  it('drops silent and stalled clients, serves a client that sends its handshake a byte at a time', async () => {
    const silent = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(broker.url)));
    const stalled = await Promise.all(Array.from({ length: 5 }, () => RawClient.connect(broker.url)));
    for (const client of stalled) client.send('AMQP\x00');
    // A slow client: every byte of its handshake in a packet of its own.
    const slow = await RawClient.connect(broker.url);
    slow.socket.setNoDelay(true);
    for (const byte of Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')) {
      slow.send(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await slow.waitFor(M('ConnectionStart'))).toBeDefined();
    await Promise.all([...silent, ...stalled].map((c) => c.closed)); // the 1 s handshake timeout
    slow.destroy();
  });

  it('a client that never reads, flooding a queue it consumes with mandatory returns, is held back', async () => {
    const client = await handshake(broker.url);
    client!.socket.pause();
    const body = Buffer.alloc(100_000, 9);
    const declare = defs.encodeMethod(M('QueueDeclare'), 1, queueDeclareFields('', { exclusive: true }));
    const consume = defs.encodeMethod(M('BasicConsume'), 1, {
      queue: '',
      consumerTag: 'c',
      noLocal: false,
      noAck: true,
      exclusive: false,
      nowait: false,
      arguments: {},
    });
    client!.send(Buffer.concat([declare, consume]));
    const publish = Buffer.concat([
      defs.encodeMethod(M('BasicPublish'), 1, { exchange: '', routingKey: 'no-such-queue', mandatory: true, immediate: false }),
      defs.encodeProperties(60, 1, body.length, {}),
      frame(3, 1, body),
    ]);
    // Up to 200 MB of returns asked for, written as fast as the broker takes them; it stops taking them once the
    // returns it owes this client are over its output bound, and the client then gives up waiting to write.
    let sent = 0;
    for (; sent < 2000; sent++) {
      if (client!.send(publish)) continue;
      const drained = await Promise.race([new Promise((resolve) => client!.socket.once('drain', () => resolve(true))), sleep(500).then(() => false)]);
      if (!drained) break;
    }
    expect(sent).toBeLessThan(2000);
    expect(rssMb(broker.process.pid!)).toBeLessThan(RSS_LIMIT_MB);
    client!.destroy();
  });

  it('afterwards the broker is alive, its memory bounded, and a normal client publishes and consumes', async () => {
    expect(broker.process.exitCode).toBeNull();
    const rss = rssMb(broker.process.pid!);
    expect(rss).toBeLessThan(RSS_LIMIT_MB);
    const conn = await amqp.connect(broker.url);
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(queue, Buffer.from('still here'));
    const got = await new Promise<string>((resolve) => void ch.consume(queue, (m) => resolve(m!.content.toString()), { noAck: true }));
    expect(got).toBe('still here');
    await conn.close();
    // A client's bad input is the client's error, never the broker's: nothing it sent may show as an internal error.
    expect(broker.stderr()).not.toMatch(/internal error/i);
    process.stderr.write(`fuzz: broker RSS after the run ${rss.toFixed(0)} MB (limit ${RSS_LIMIT_MB} MB, watermark ${WATERMARK_MIB} MiB)\n`);
  });
});
