/**
 * Conformance: heartbeats, on RabbitMQ (when it answers) and camq's embedded broker. A client that negotiated a
 * heartbeat and keeps quiet is dropped after two intervals; one that is merely idle hears the broker's heartbeats
 * and stays connected (amqplib closes a connection whose broker goes silent).
 */
import { connect as connectTcp, type Socket } from 'node:net';
import amqp from 'amqplib';
import { expect, it } from 'vitest';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { amqplibDefs as defs } from './kit.js';

const targets = await brokerTargets();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Log in over a raw socket with heartbeat=1 s and then send nothing at all. */
async function silentClient(url: URL): Promise<{ socket: Socket; closed: Promise<number> }> {
  const socket = connectTcp(Number(url.port), url.hostname);
  socket.on('error', () => {}); // the broker may reset the socket it gives up on
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  const started = Date.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const frameWithMethod = async (id: number) => {
    const bytes = Buffer.from([id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff]);
    for (let i = 0; i < 100 && !received.includes(bytes); i++) await sleep(20);
    if (!received.includes(bytes)) throw new Error(`the broker never sent method ${id} during the handshake`);
  };
  socket.write('AMQP\x00\x00\x09\x01');
  await frameWithMethod(defs['ConnectionStart'] as number);
  socket.write(
    defs.encodeMethod(defs['ConnectionStartOk'] as number, 0, {
      clientProperties: {},
      mechanism: 'PLAIN',
      response: Buffer.from(`\u0000${url.username}\u0000${url.password}`),
      locale: 'en_US',
    }),
  );
  await frameWithMethod(defs['ConnectionTune'] as number);
  socket.write(defs.encodeMethod(defs['ConnectionTuneOk'] as number, 0, { channelMax: 2047, frameMax: 131072, heartbeat: 1 }));
  const vhost = decodeURIComponent(url.pathname.slice(1)) || '/';
  socket.write(defs.encodeMethod(defs['ConnectionOpen'] as number, 0, { virtualHost: vhost, capabilities: '', insist: false }));
  await frameWithMethod(defs['ConnectionOpenOk'] as number);
  return { socket, closed };
}

describeBrokers('heartbeats', targets, (target) => {
  it('a silent client is dropped after two missed heartbeats; an idle amqplib client stays', async () => {
    const url = new URL(target.url.replace(/\/\/$/, '/%2F'));
    const idle = await amqp.connect(`${target.url}${target.url.includes('?') ? '&' : '?'}heartbeat=1`);
    let idleClosed = false;
    idle.on('close', () => (idleClosed = true));
    idle.on('error', () => {});

    const silent = await silentClient(url);
    const droppedAfter = await Promise.race([silent.closed, sleep(8000).then(() => -1)]);
    silent.socket.destroy();
    expect(droppedAfter).toBeGreaterThan(1500);
    expect(droppedAfter).toBeLessThan(6000);

    expect(idleClosed).toBe(false);
    await (await idle.createChannel()).checkExchange('amq.direct');
    await idle.close();
  });
});
