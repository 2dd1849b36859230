/**
 * TCP gives no frame boundaries: a busy machine or a slow link cuts AMQP frames anywhere. A proxy in front of the
 * broker re-sends every byte in chunks of 1 to 13 bytes, both ways, so frames (the protocol header included) arrive
 * cut at every possible place. A client must then see exactly what it sees over a plain connection.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import amqp from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';

const targets = await brokerTargets();

/**
 * Forward `from` to `to` in small chunks, one per event-loop turn, so the peer reads them one at a time. When `from`
 * closes, what is still queued is sent before `to` is ended: a broker closes its socket right after connection.close-ok,
 * and dropping those last bytes left the client without its close-ok (amqplib's close() then never settles).
 */
function chop(from: Socket, to: Socket, random: () => number): void {
  const queue: Buffer[] = [];
  let busy = false;
  let closed = false;
  const pump = () => {
    const head = queue[0];
    if (!head) {
      busy = false;
      if (closed) to.end();
      return;
    }
    const size = Math.min(head.length, 1 + Math.floor(random() * 13));
    to.write(head.subarray(0, size));
    if (size === head.length) queue.shift();
    else queue[0] = head.subarray(size);
    setImmediate(pump);
  };
  from.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    if (!busy) {
      busy = true;
      setImmediate(pump);
    }
  });
  from.on('close', () => {
    closed = true;
    if (!busy) to.end();
  });
  from.on('error', () => to.destroy());
  to.on('error', () => from.destroy());
}

/** A seeded generator, so a failure can be replayed. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

function startChoppingProxy(target: URL): Promise<{ server: Server; port: number }> {
  const random = seeded(0xc0ffee);
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5672) });
    chop(client, upstream, random);
    chop(upstream, client, random);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

describeBrokers('frames cut anywhere by TCP', targets, (target) => {
  let proxy: { server: Server; port: number };
  let viaProxy: string;

  beforeAll(async () => {
    proxy = await startChoppingProxy(new URL(target.url));
    const url = new URL(target.url);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    viaProxy = url.toString();
  });
  afterAll(() => new Promise<void>((resolve) => proxy.server.close(() => resolve())));

  it('handshake, declare, confirmed publishes and deliveries of every size come through intact', async () => {
    const conn = await amqp.connect(viaProxy);
    try {
      const ch = await conn.createConfirmChannel();
      const { queue } = await ch.assertQueue('', { exclusive: true });
      // Sizes around the frame boundaries: empty, tiny, and bodies that span several body frames (frame_max 128 KiB
      // on both brokers would need too many bytes through a 1-13 byte proxy, so stay at a few KiB).
      const bodies = [0, 1, 7, 8, 200, 4095, 4096, 9000].map((n, i) => Buffer.alloc(n, 97 + i));
      for (const [i, body] of bodies.entries()) {
        ch.publish('', queue, body, { headers: { i, nested: { list: [1, 'two', true] } }, contentType: 'application/octet-stream' });
      }
      await ch.waitForConfirms();

      const received: { i: unknown; body: Buffer; nested: unknown }[] = [];
      await new Promise<void>((resolve, reject) => {
        ch.consume(queue, (msg) => {
          if (!msg) return reject(new Error('consumer cancelled'));
          received.push({ i: msg.properties.headers?.['i'], body: msg.content, nested: msg.properties.headers?.['nested'] });
          ch.ack(msg);
          if (received.length === bodies.length) resolve();
        }).catch(reject);
      });
      expect(received.map((r) => r.i)).toEqual(bodies.map((_, i) => i));
      for (const [i, r] of received.entries()) {
        expect(r.body.equals(bodies[i]!)).toBe(true);
        expect(r.nested).toEqual({ list: [1, 'two', true] });
      }
      await ch.close();
    } finally {
      await conn.close();
    }
  });
});
