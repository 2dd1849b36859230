/**
 * Publish a message whose header table is nested `depth` deep, as a buggy or hostile producer could. amqplib's own
 * encoder is recursive and overflows long before such a depth, so the frames are written by hand, iteratively, on
 * a channel amqplib opened (nothing else writes on that connection meanwhile).
 */
import amqp from 'amqplib';
import { parseBrokerUrl } from '../../src/transport/broker-url.js';

const FRAME_END = 0xce;

function frame(type: number, channel: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt8(type, 0);
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([FRAME_END])]);
}

function shortstr(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** A field table `{a: {a: … {leaf: 1} …}}`, `depth` levels of `a`, built from the inside out. */
export function deepTable(depth: number): Buffer {
  // innermost: { leaf: 'I' 1 }
  let inner = Buffer.concat([shortstr('leaf'), Buffer.from('I'), Buffer.from([0, 0, 0, 1])]);
  let table = Buffer.concat([u32(inner.length), inner]);
  const prefix = Buffer.concat([shortstr('a'), Buffer.from('F')]);
  const parts: Buffer[] = [];
  // Each level adds `len(4) 'a'-key 'F'` before and nothing after: collect prefixes, then join once.
  let length = table.length;
  for (let i = 0; i < depth; i++) {
    length += prefix.length;
    parts.push(Buffer.concat([u32(length), prefix]));
    length += 4;
  }
  inner = Buffer.concat([...parts.reverse(), table]);
  table = inner;
  return table;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** Publish `body` to `queue` (default exchange) with `{deep: <table depth levels deep>}` and a correlation id. */
export async function publishDeepHeaders(
  brokerUrl: string,
  queue: string,
  options: { depth: number; correlationId: string; body?: string },
): Promise<void> {
  const u = parseBrokerUrl(brokerUrl);
  const conn = await amqp.connect({ hostname: u.hostname, port: u.port, username: u.username, password: u.password, vhost: u.vhost });
  try {
    const ch = await conn.createChannel();
    const channel = (ch as unknown as { ch: number }).ch;
    const body = Buffer.from(options.body ?? '{}');
    const publish = Buffer.concat([u32((60 << 16) | 40), Buffer.from([0, 0]), shortstr(''), shortstr(queue), Buffer.from([0])]);
    // headers: the outer table holds one field, `deep`, whose value is the deep table
    const deep = deepTable(options.depth);
    const outerInner = Buffer.concat([shortstr('deep'), Buffer.from('F'), deep]);
    const headers = Buffer.concat([u32(outerInner.length), outerInner]);
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(BigInt(body.length));
    // flags: content-type (0x8000), headers (0x2000), correlation-id (0x0400)
    const props = Buffer.concat([Buffer.from([0xa4, 0x00]), shortstr('application/json'), headers, shortstr(options.correlationId)]);
    const header = Buffer.concat([Buffer.from([0, 60, 0, 0]), size, props]);
    const stream = (conn as unknown as { connection: { stream: { write(b: Buffer): boolean } } }).connection.stream;
    stream.write(Buffer.concat([frame(1, channel, publish), frame(2, channel, header), frame(3, channel, body)]));
    // A round trip on the same channel: the broker read the publish before it answers.
    await ch.checkExchange('amq.direct');
    await ch.close();
  } finally {
    await conn.close();
  }
}
