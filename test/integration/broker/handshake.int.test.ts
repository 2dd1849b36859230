/**
 * Conformance: the handshake, on RabbitMQ 3.10 (when it answers) and camq's embedded broker.
 *
 * - tune-ok: RabbitMQ refuses frame_max below 4096 and frame_max or channel_max above what it proposed (0, "no
 *   limit", is above any limit), logging why and closing the socket after 3 s without a connection.close
 *   (rabbit_reader: validate_negotiated_integer_value, SILENT_CLOSE_DELAY). Measured on this machine's RabbitMQ
 *   with raw sockets before the embedded broker was made to match.
 * - handshake_timeout: a client that sends nothing, part of the protocol header, or stops after it, is dropped
 *   10 s after it connected, before connection.open.
 */
import amqp from 'amqplib';
import { expect, it } from 'vitest';
import { brokerTargets, describeBrokers, type BrokerTarget } from '../../helpers/brokers.js';
import { amqplibDefs as defs, RawClient } from './kit.js';

const targets = await brokerTargets();

function credentials(target: BrokerTarget): { user: string; password: string } {
  const url = new URL(target.url);
  return { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

/** Log in and answer tune with `tune`: what the broker sent after tune-ok, and whether it closed the socket. */
async function tuneOk(target: BrokerTarget, tune: { channelMax: number; frameMax: number }): Promise<{ opened: boolean; methods: string[] }> {
  const client = await RawClient.connect(target.url);
  const { user, password } = credentials(target);
  const proposed = await client.login(user, password);
  expect(proposed?.fields).toMatchObject({ channelMax: 2047, frameMax: 131072 });
  const before = client.methods.length;
  const openOk = await client.open(target.vhost, tune);
  await (openOk === undefined ? client.closed : Promise.resolve());
  client.destroy();
  const names = client.methods
    .slice(before)
    .map((m) => (m.id === (defs['ConnectionClose'] as number) ? `close ${String(m.fields['replyCode'])}` : String(m.id)));
  return { opened: openOk !== undefined, methods: names };
}

describeBrokers('handshake', targets, (target) => {
  it('tune-ok: frame_max below 4096, above the proposed 131072 or 0, and channel_max 0 or above 2047 are refused silently', async () => {
    const refused = await Promise.all([
      tuneOk(target, { channelMax: 10, frameMax: 4095 }),
      tuneOk(target, { channelMax: 10, frameMax: 0 }),
      tuneOk(target, { channelMax: 10, frameMax: 131073 }),
      tuneOk(target, { channelMax: 0, frameMax: 131072 }),
      tuneOk(target, { channelMax: 2048, frameMax: 131072 }),
    ]);
    for (const outcome of refused) expect(outcome).toEqual({ opened: false, methods: [] });
    // The bounds themselves are accepted.
    expect(await tuneOk(target, { channelMax: 1, frameMax: 4096 })).toMatchObject({ opened: true });
    expect(await tuneOk(target, { channelMax: 2047, frameMax: 131072 })).toMatchObject({ opened: true });
  });

  it('a client that stalls before connection.open is dropped (handshake_timeout); others connect meanwhile', async () => {
    const silent = await RawClient.connect(target.url);
    const partial = await RawClient.connect(target.url);
    partial.send('AMQP');
    const afterHeader = await RawClient.connect(target.url);
    afterHeader.send('AMQP\x00\x00\x09\x01');
    const afterLogin = await RawClient.connect(target.url);
    const { user, password } = credentials(target);
    expect(await afterLogin.login(user, password)).toBeDefined();

    const conn = await amqp.connect(target.url);
    await (await conn.createChannel()).checkExchange('amq.direct');
    await conn.close();

    await Promise.all([silent.closed, partial.closed, afterHeader.closed, afterLogin.closed]);
    expect(silent.received).toBe(0);
    expect(partial.received).toBe(0);
    expect(afterHeader.methods.map((m) => m.id)).toEqual([defs['ConnectionStart']]);
    expect(afterLogin.methods.map((m) => m.id)).toEqual([defs['ConnectionStart'], defs['ConnectionTune']]);
  });
});
