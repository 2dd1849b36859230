/**
 * Conformance: channel and connection exceptions. Each scenario must produce the same reply code and text on
 * RabbitMQ 3.10 (when it answers) and on camq's embedded broker; the expected texts below are RabbitMQ's, with
 * `in vhost 'V'` standing for the vhost. A channel error leaves the connection usable.
 */
import type { Channel, GetMessage } from 'amqplib';
import amqp from 'amqplib';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { amqplibDefs as defs, drain, Session, writeRaw } from './kit.js';

const targets = await brokerTargets();

describeBrokers('errors', targets, (target) => {
  let session: Session;

  beforeEach(async () => {
    session = await Session.open(target);
  });
  afterEach(() => session.close());

  const err = (op: (ch: Channel) => Promise<unknown>) => session.channelError(op);
  /** RabbitMQ's 405 text; long enough with our queue names to be cut at 255 bytes, where the vhost decides. */
  const LOCKED = (q: string) =>
    session.expectedText(
      `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost 'V'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    );

  it('passive declares of what does not exist are 404; of the default exchange 403', async () => {
    const q = session.queue('missing');
    const x = session.exchange('missing');
    expect(await err((ch) => ch.checkQueue(q))).toEqual({ code: 404, text: `NOT_FOUND - no queue '${q}' in vhost 'V'` });
    expect(await err((ch) => ch.checkExchange(x))).toEqual({ code: 404, text: `NOT_FOUND - no exchange '${x}' in vhost 'V'` });
    expect(await err((ch) => ch.checkExchange(''))).toEqual({ code: 403, text: 'ACCESS_REFUSED - operation not permitted on the default exchange' });
    expect(await err((ch) => ch.checkQueue(''))).toEqual({ code: 404, text: "NOT_FOUND - no queue '' in vhost 'V'" });
  });

  it('404 for missing queues and exchanges in bind, publish, get, purge, consume and the empty-name shortcut', async () => {
    const q = session.queue('missing');
    const x = session.exchange('missing');
    const ch = await session.channel();
    const real = session.queue('real');
    await ch.assertQueue(real, { durable: false });
    expect(await err((c) => c.bindQueue(q, 'amq.direct', 'k'))).toEqual({ code: 404, text: `NOT_FOUND - no queue '${q}' in vhost 'V'` });
    expect(await err((c) => c.bindQueue(real, x, 'k'))).toEqual({ code: 404, text: `NOT_FOUND - no exchange '${x}' in vhost 'V'` });
    expect(await err((c) => c.bindQueue(q, x, 'k'))).toEqual({ code: 404, text: `NOT_FOUND - no exchange '${x}' in vhost 'V'` });
    expect(await err(async (c) => c.publish(x, 'k', Buffer.from('m')))).toEqual({ code: 404, text: `NOT_FOUND - no exchange '${x}' in vhost 'V'` });
    expect(await err((c) => c.get(q))).toEqual({ code: 404, text: `NOT_FOUND - no queue '${q}' in vhost 'V'` });
    expect(await err((c) => c.purgeQueue(q))).toEqual({ code: 404, text: `NOT_FOUND - no queue '${q}' in vhost 'V'` });
    expect(await err((c) => c.consume(q, () => {}))).toEqual({ code: 404, text: `NOT_FOUND - no queue '${q}' in vhost 'V'` });
    expect(await err((c) => c.bindQueue('', 'amq.direct', 'k'))).toEqual({ code: 404, text: 'NOT_FOUND - no previously declared queue' });
    // What does not exist is not an error to delete or unbind.
    expect(await ch.deleteQueue(q)).toEqual({ messageCount: 0 });
    await ch.deleteExchange(x);
    await ch.unbindQueue(real, x, 'k');
    await ch.unbindQueue(q, 'amq.direct', 'k');
    await ch.unbindQueue(real, 'amq.direct', 'never-bound');
  });

  it('403 for the default exchange, reserved amq.* names and internal exchanges', async () => {
    const ch = await session.channel();
    const q = session.queue('q');
    await ch.assertQueue(q, { durable: false });
    const { queue: generated } = await ch.assertQueue('', { exclusive: true });
    expect(generated).toMatch(/^amq\.gen-[\w-]{22}$/);
    const defaultExchange = { code: 403, text: 'ACCESS_REFUSED - operation not permitted on the default exchange' };
    expect(await err((c) => c.assertExchange('', 'direct'))).toEqual(defaultExchange);
    expect(await err((c) => c.deleteExchange(''))).toEqual(defaultExchange);
    expect(await err((c) => c.bindQueue(q, '', 'k'))).toEqual(defaultExchange);
    expect(await err((c) => c.unbindQueue(q, '', q))).toEqual(defaultExchange);
    expect(await err((c) => c.assertExchange('amq.foo', 'direct'))).toEqual({
      code: 403,
      text: "ACCESS_REFUSED - exchange name 'amq.foo' contains reserved prefix 'amq.*'",
    });
    expect(await err((c) => c.assertQueue('amq.foo'))).toEqual({
      code: 403,
      text: "ACCESS_REFUSED - queue name 'amq.foo' contains reserved prefix 'amq.*'",
    });
    expect(await session.channelError((c) => c.assertQueue(generated, { exclusive: true }))).toEqual({
      code: 403,
      text: `ACCESS_REFUSED - queue name '${generated}' contains reserved prefix 'amq.*'`,
    });
    expect(await err((c) => c.deleteExchange('amq.direct'))).toEqual({
      code: 403,
      text: "ACCESS_REFUSED - deletion of system exchange 'amq.direct' in vhost 'V' not allowed",
    });
    const internal = session.exchange('internal');
    await ch.assertExchange(internal, 'direct', { durable: false, internal: true });
    expect(await err(async (c) => c.publish(internal, 'k', Buffer.from('m')))).toEqual({
      code: 403,
      text: `ACCESS_REFUSED - cannot publish to internal exchange '${internal}' in vhost 'V'`,
    });
  });

  it('405 RESOURCE_LOCKED: an exclusive queue belongs to its connection, and goes with it', async () => {
    const owner = await session.connect();
    const ownCh = await session.channel(owner);
    const q = session.queue('exclusive');
    await ownCh.assertQueue(q, { exclusive: true });
    const locked = { code: 405, text: LOCKED(q) };
    expect(await err((c) => c.assertQueue(q, { exclusive: true }))).toEqual(locked);
    expect(await err((c) => c.assertQueue(q, { exclusive: false }))).toEqual(locked);
    expect(await err((c) => c.checkQueue(q))).toEqual(locked);
    expect(await err((c) => c.consume(q, () => {}))).toEqual(locked);
    expect(await err((c) => c.get(q))).toEqual(locked);
    expect(await err((c) => c.purgeQueue(q))).toEqual(locked);
    expect(await err((c) => c.deleteQueue(q))).toEqual(locked);
    expect(await err((c) => c.bindQueue(q, 'amq.direct', 'k'))).toEqual(locked);
    expect(await session.channelError((c) => c.assertQueue(q, { exclusive: false }), owner)).toEqual(locked);
    // The owner uses it freely.
    const ch2 = await session.channel(owner);
    await ch2.checkQueue(q);
    await ch2.bindQueue(q, 'amq.direct', q);
    // A plain queue cannot be redeclared exclusive, not even by the connection that declared it.
    const plain = session.queue('plain');
    await ch2.assertQueue(plain, { durable: false });
    expect(await session.channelError((c) => c.assertQueue(plain, { exclusive: true, durable: false }), owner)).toEqual({
      code: 405,
      text: LOCKED(plain),
    });
    await owner.close();
    expect(await err((c) => c.checkQueue(q))).toEqual({ code: 404, text: `NOT_FOUND - no queue '${q}' in vhost 'V'` });
  });

  it('406 PRECONDITION_FAILED: redeclaring with other flags or arguments, as RabbitMQ words it', async () => {
    const ch = await session.channel();
    const x = session.exchange('equiv');
    await ch.assertExchange(x, 'direct', { durable: false });
    const inequivalent = (arg: string, what: string, received: string, current: string) => ({
      code: 406,
      text: `PRECONDITION_FAILED - inequivalent arg '${arg}' for ${what} in vhost 'V': received ${received} but current is ${current}`,
    });
    expect(await err((c) => c.assertExchange(x, 'direct', { durable: true }))).toEqual(
      inequivalent('durable', `exchange '${x}'`, "'true'", "'false'"),
    );
    expect(await err((c) => c.assertExchange(x, 'fanout', { durable: false }))).toEqual(
      inequivalent('type', `exchange '${x}'`, "'fanout'", "'direct'"),
    );
    expect(await err((c) => c.assertExchange(x, 'direct', { durable: false, autoDelete: true }))).toEqual(
      inequivalent('auto_delete', `exchange '${x}'`, "'true'", "'false'"),
    );
    expect(await err((c) => c.assertExchange(x, 'direct', { durable: false, internal: true }))).toEqual(
      inequivalent('internal', `exchange '${x}'`, "'true'", "'false'"),
    );
    expect(await err((c) => c.assertExchange('amq.direct', 'direct', { durable: false }))).toEqual(
      inequivalent('durable', "exchange 'amq.direct'", "'false'", "'true'"),
    );

    const q = session.queue('equiv');
    await ch.assertQueue(q, { durable: false });
    const queue = `queue '${q}'`;
    expect(await err((c) => c.assertQueue(q, { durable: true }))).toEqual(inequivalent('durable', queue, "'true'", "'false'"));
    expect(await err((c) => c.assertQueue(q, { durable: false, autoDelete: true }))).toEqual(inequivalent('auto_delete', queue, "'true'", "'false'"));
    expect(await err((c) => c.assertQueue(q, { durable: false, messageTtl: 100 }))).toEqual(
      inequivalent('x-message-ttl', queue, "the value '100' of type 'byte'", 'none'),
    );

    const t = session.queue('ttl');
    await ch.assertQueue(t, { durable: false, messageTtl: 100, expires: 60000 });
    const ttlQueue = `queue '${t}'`;
    await ch.assertQueue(t, { durable: false, messageTtl: 100, expires: 60000, arguments: { 'x-not-compared': 1 } });
    expect(await err((c) => c.assertQueue(t, { durable: false, messageTtl: 200, expires: 60000 }))).toEqual(
      inequivalent('x-message-ttl', ttlQueue, "'200'", "'100'"),
    );
    expect(await err((c) => c.assertQueue(t, { durable: false, expires: 60000 }))).toEqual(
      inequivalent('x-message-ttl', ttlQueue, 'none', "the value '100' of type 'byte'"),
    );
    expect(await err((c) => c.assertQueue(t, { durable: false, messageTtl: 100 }))).toEqual(
      inequivalent('x-expires', ttlQueue, 'none', "the value '60000' of type 'signedint'"),
    );
    expect(await err((c) => c.assertQueue(t, { durable: false, arguments: { 'x-message-ttl': '100', 'x-expires': 60000 } }))).toEqual(
      inequivalent('x-message-ttl', ttlQueue, "'100'", "'100'"),
    );
  });

  it('406 for invalid queue arguments, expirations, x-match, and if-unused/if-empty deletes', async () => {
    const invalid = (q: string, arg: string, why: string) => ({
      code: 406,
      text: `PRECONDITION_FAILED - invalid arg '${arg}' for queue '${q}' in vhost 'V': ${why}`,
    });
    const q1 = session.queue('bad');
    expect(await err((c) => c.assertQueue(q1, { expires: 0 }))).toEqual(invalid(q1, 'x-expires', '{value_zero,0}'));
    expect(await err((c) => c.assertQueue(q1, { messageTtl: -1 }))).toEqual(invalid(q1, 'x-message-ttl', '{value_negative,-1}'));
    expect(await err((c) => c.assertQueue(q1, { arguments: { 'x-expires': 'abc' } }))).toEqual(
      invalid(q1, 'x-expires', '"expected integer, got longstr"'),
    );
    expect(await err((c) => c.assertQueue(q1, { arguments: { 'x-message-ttl': 1.5 } }))).toEqual(
      invalid(q1, 'x-message-ttl', '"expected integer, got double"'),
    );
    expect(await err((c) => c.assertQueue(q1, { messageTtl: 315360000001 }))).toEqual(invalid(q1, 'x-message-ttl', '{value_too_large,315360000001}'));
    expect(await err((c) => c.assertQueue(q1, { expires: 315360000001 }))).toEqual(invalid(q1, 'x-expires', '{value_too_large,315360000001}'));
    const priority = (value: unknown) => (c: Channel) => c.assertQueue(q1, { arguments: { 'x-max-priority': value } });
    expect(await err(priority(256))).toEqual(invalid(q1, 'x-max-priority', '{max_value_exceeded,256}'));
    expect(await err(priority(-1))).toEqual(invalid(q1, 'x-max-priority', '{value_negative,-1}'));
    expect(await err(priority('x'))).toEqual(invalid(q1, 'x-max-priority', '"expected integer, got longstr"'));

    const ch = await session.channel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    // RabbitMQ's ceiling is 10 years (315360000000 ms, taken); the integer in the text is exact, past 2^53 too.
    for (const [expiration, why] of [
      ['abc', 'no_integer'],
      ['-5', '{value_negative,-5}'],
      ['1.5', '{leftover_string,".5"}'],
      ['315360000001', '{value_too_large,315360000001}'],
      ['+000315360000001', '{value_too_large,315360000001}'],
      ['9007199254740993', '{value_too_large,9007199254740993}'],
      ['-9007199254740993', '{value_negative,-9007199254740993}'],
    ]) {
      expect(await err(async (c) => c.sendToQueue(queue, Buffer.from('m'), { expiration }))).toEqual({
        code: 406,
        text: `PRECONDITION_FAILED - invalid expiration '${expiration}': ${why}`,
      });
    }
    ch.sendToQueue(queue, Buffer.from('ten years'), { expiration: '315360000000' });
    const got = await ch.get(queue, { noAck: true });
    expect(got && got.content.toString()).toBe('ten years');
    expect(await err((c) => c.bindQueue(queue, 'amq.headers', '', { 'x-match': 'foo' }))).toEqual({
      code: 406,
      text: 'PRECONDITION_FAILED - Invalid x-match field value <<"foo">>; expected all, any, all-with-x, or any-with-x',
    });

    const x = session.exchange('used');
    await ch.assertExchange(x, 'direct', { durable: false });
    await ch.bindQueue(queue, x, 'k');
    expect(await err((c) => c.deleteExchange(x, { ifUnused: true }))).toEqual({
      code: 406,
      text: `PRECONDITION_FAILED - exchange '${x}' in vhost 'V' in use`,
    });
    const busy = session.queue('busy');
    await ch.assertQueue(busy, { durable: false });
    await ch.consume(busy, () => {});
    expect(await err((c) => c.deleteQueue(busy, { ifUnused: true }))).toEqual({
      code: 406,
      text: `PRECONDITION_FAILED - queue '${busy}' in vhost 'V' in use`,
    });
    const full = session.queue('full');
    await ch.assertQueue(full, { durable: false });
    ch.sendToQueue(full, Buffer.from('m'));
    expect(await err((c) => c.deleteQueue(full, { ifEmpty: true }))).toEqual({
      code: 406,
      text: `PRECONDITION_FAILED - queue '${full}' in vhost 'V' not empty`,
    });
  });

  it('403 for an exclusive consumer on a consumed queue, and for any consumer beside an exclusive one', async () => {
    const ch = await session.channel();
    const q = session.queue('consumed');
    await ch.assertQueue(q, { durable: false });
    await ch.consume(q, () => {});
    const inUse = { code: 403, text: `ACCESS_REFUSED - queue '${q}' in vhost 'V' in exclusive use` };
    expect(await err((c) => c.consume(q, () => {}, { exclusive: true }))).toEqual(inUse);
    const q2 = session.queue('exclusive-consumer');
    await ch.assertQueue(q2, { durable: false });
    await ch.consume(q2, () => {}, { exclusive: true });
    expect(await err((c) => c.consume(q2, () => {}))).toEqual({ code: 403, text: `ACCESS_REFUSED - queue '${q2}' in vhost 'V' in exclusive use` });
  });

  it('connection exceptions: 503, 504, 505, 530, 540 close the whole connection', async () => {
    const q = session.queue('q');
    await (await session.channel()).assertQueue(q, { durable: false });
    const qos = (prefetchCount: number) => ({ prefetchSize: 0, prefetchCount, global: false });
    const cases: [string, (ch: Channel, conn: amqp.ChannelModel) => Promise<unknown>, number, string][] = [
      [
        'unknown exchange type',
        (ch) => ch.assertExchange(session.exchange('t'), 'x-nonsense'),
        503,
        "COMMAND_INVALID - unknown exchange type 'x-nonsense'",
      ],
      [
        'consumer tag reused',
        async (ch) => {
          await ch.consume(q, () => {}, { consumerTag: 'tag-1' });
          await ch.consume(q, () => {}, { consumerTag: 'tag-1' });
        },
        530,
        "NOT_ALLOWED - attempt to reuse consumer tag 'tag-1'",
      ],
      [
        'prefetch_size',
        (ch) => rpc(ch, 'BasicQos', { prefetchSize: 10, prefetchCount: 1, global: false }, 'BasicQosOk'),
        540,
        'NOT_IMPLEMENTED - prefetch_size!=0 (10)',
      ],
      ['channel.flow active=false', (ch) => rpc(ch, 'ChannelFlow', { active: false }, 'ChannelFlowOk'), 540, 'NOT_IMPLEMENTED - active=false'],
      ['basic.recover requeue=false', (ch) => rpc(ch, 'BasicRecover', { requeue: false }, 'BasicRecoverOk'), 540, 'NOT_IMPLEMENTED - requeue=false'],
      [
        'method on an unopened channel',
        async (_ch, conn) => writeRaw(conn, defs.encodeMethod(defs['BasicQos'] as number, 77, qos(1))),
        504,
        "CHANNEL_ERROR - expected 'channel.open'",
      ],
      [
        'second channel.open',
        async (ch, conn) => writeRaw(conn, defs.encodeMethod(defs['ChannelOpen'] as number, channelNumber(ch), { outOfBand: '' })),
        504,
        "CHANNEL_ERROR - second 'channel.open' seen",
      ],
      [
        'channel method on channel 0',
        async (_ch, conn) => writeRaw(conn, defs.encodeMethod(defs['BasicQos'] as number, 0, qos(1))),
        504,
        'CHANNEL_ERROR - unexpected method in connection state running',
      ],
      [
        'content header without publish',
        async (ch, conn) => writeRaw(conn, defs.encodeProperties(60, channelNumber(ch), 0, {})),
        505,
        'UNEXPECTED_FRAME - expected method frame, got non method frame instead',
      ],
      [
        'method instead of a content header',
        async (ch, conn) => {
          writeRaw(conn, defs.encodeMethod(defs['BasicPublish'] as number, channelNumber(ch), { exchange: '', routingKey: q }));
          writeRaw(conn, defs.encodeMethod(defs['BasicQos'] as number, channelNumber(ch), qos(1)));
        },
        505,
        'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead',
      ],
      [
        'method instead of a content body',
        async (ch, conn) => {
          writeRaw(conn, defs.encodeMethod(defs['BasicPublish'] as number, channelNumber(ch), { exchange: '', routingKey: q }));
          writeRaw(conn, defs.encodeProperties(60, channelNumber(ch), 5, {}));
          writeRaw(conn, defs.encodeMethod(defs['BasicQos'] as number, channelNumber(ch), qos(1)));
        },
        505,
        'UNEXPECTED_FRAME - expected content body, got non content body frame instead',
      ],
    ];
    const got = [];
    for (const [label, op] of cases) got.push([label, await session.connectionError(op)]);
    expect(got).toEqual(cases.map(([label, , code, text]) => [label, { code, text }]));
  });

  it('refused logins and unknown vhosts fail the handshake', async () => {
    const url = new URL(target.url);
    url.password = 'wrong-password';
    await expect(amqp.connect(url.toString())).rejects.toThrow(
      'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile."',
    );
    const noVhost = new URL(target.url);
    noVhost.pathname = '/camq-test-no-such-vhost';
    await expect(amqp.connect(noVhost.toString())).rejects.toThrow('Expected ConnectionOpenOk; got <ConnectionClose channel:0>');
  });

  it('after a channel error the connection carries on, and the failed channel gave back its unacked messages', async () => {
    const ch = await session.channel();
    const q = session.queue('recover');
    await ch.assertQueue(q, { durable: false });
    ch.sendToQueue(q, Buffer.from('m1'));
    ch.sendToQueue(q, Buffer.from('m2'));
    const failing = await session.channel();
    const held = (await failing.get(q)) as GetMessage;
    expect(held.content.toString()).toBe('m1');
    await expect(failing.checkQueue(session.queue('missing'))).rejects.toThrow(/404 \(NOT-FOUND\)/);
    const after = await session.channel();
    expect((await drain(after, q)).map((m) => [m.content.toString(), m.fields.redelivered])).toEqual([
      ['m1', true],
      ['m2', false],
    ]);
    await after.assertQueue(q, { durable: false });
  });
});

/** A method amqplib's API does not offer, sent with its internal rpc. */
function rpc(ch: Channel, method: string, fields: object, reply: string): Promise<unknown> {
  return (ch as unknown as { rpc(m: unknown, f: object, r: unknown): Promise<unknown> }).rpc(defs[method], fields, defs[reply]);
}

function channelNumber(ch: Channel): number {
  return (ch as unknown as { ch: number }).ch;
}
