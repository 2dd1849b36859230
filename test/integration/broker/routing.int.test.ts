/**
 * Conformance: routing. The same scenarios run against RabbitMQ (when it answers) and camq's embedded broker and
 * must give the same, explicitly expected results: the four exchange types, the default exchange, the amq.*
 * exchanges, and mandatory returns (with publisher confirms).
 */
import type { Channel } from 'amqplib';
import { expect, it, vi } from 'vitest';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { bodies, drain, roundTrip, eachSession, Session } from './kit.js';

const targets = await brokerTargets();

describeBrokers('routing', targets, (target) => {
  let session: Session;
  let ch: Channel;
  eachSession(target, (opened) => ({ session, ch } = opened));

  /** Declare an exchange, one exclusive queue per binding, publish, and read back what each queue got. */
  async function route(
    type: string,
    bindings: readonly { key: string; args?: Record<string, unknown> }[],
    messages: readonly { key: string; body: string; headers?: Record<string, unknown> }[],
  ): Promise<string[][]> {
    const exchange = session.exchange(type);
    await ch.assertExchange(exchange, type, { durable: false });
    const queues: string[] = [];
    for (const binding of bindings) {
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, exchange, binding.key, binding.args);
      queues.push(queue);
    }
    for (const m of messages) ch.publish(exchange, m.key, Buffer.from(m.body), m.headers ? { headers: m.headers } : {});
    await roundTrip(ch);
    const got: string[][] = [];
    for (const queue of queues) got.push(bodies(await drain(ch, queue)));
    return got;
  }

  it('direct: exact routing keys; a queue bound twice gets a message once', async () => {
    const got = await route(
      'direct',
      [{ key: 'a' }, { key: 'b' }, { key: 'c' }],
      [
        { key: 'a', body: 'a' },
        { key: 'b', body: 'b' },
        { key: 'c', body: 'c' },
        { key: 'd', body: 'd' },
      ],
    );
    expect(got).toEqual([['a'], ['b'], ['c']]);

    const exchange = session.exchange('direct2');
    await ch.assertExchange(exchange, 'direct', { durable: false });
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, exchange, 'k1');
    await ch.bindQueue(queue, exchange, 'k1');
    await ch.bindQueue(queue, exchange, 'k2');
    ch.publish(exchange, 'k1', Buffer.from('one'));
    ch.publish(exchange, 'k2', Buffer.from('two'));
    await roundTrip(ch);
    expect(bodies(await drain(ch, queue))).toEqual(['one', 'two']);
  });

  it('fanout: every bound queue, whatever the key', async () => {
    const got = await route(
      'fanout',
      [{ key: '' }, { key: 'ignored' }],
      [
        { key: 'x', body: 'm1' },
        { key: '', body: 'm2' },
      ],
    );
    expect(got).toEqual([
      ['m1', 'm2'],
      ['m1', 'm2'],
    ]);
  });

  it('topic: * is one word, # is zero or more, the empty key has no words', async () => {
    const patterns = ['#', '*', 'a.*', 'a.#', '#.b', '*.b.*', 'a.#.c', '', 'a', '#.#', '*.#', '#.*', 'a.*.#', '*.*'];
    const keys = ['', 'a', 'a.b', 'a.b.c', 'a..c', 'b', 'x.b.y', 'a.x.y.c', '.', 'a.'];
    const got = await route(
      'topic',
      patterns.map((key) => ({ key })),
      keys.map((key) => ({ key, body: `<${key}>` })),
    );
    const matched = Object.fromEntries(patterns.map((p, i) => [p, got[i]!.map((b) => b.slice(1, -1))]));
    expect(matched).toEqual({
      '#': keys,
      '*': ['a', 'b'],
      'a.*': ['a.b', 'a.'],
      'a.#': ['a', 'a.b', 'a.b.c', 'a..c', 'a.x.y.c', 'a.'],
      '#.b': ['a.b', 'b'],
      '*.b.*': ['a.b.c', 'x.b.y'],
      'a.#.c': ['a.b.c', 'a..c', 'a.x.y.c'],
      '': [''],
      a: ['a'],
      '#.#': keys,
      '*.#': keys.filter((k) => k !== ''),
      '#.*': keys.filter((k) => k !== ''),
      'a.*.#': ['a.b', 'a.b.c', 'a..c', 'a.x.y.c', 'a.'],
      '*.*': ['a.b', '.', 'a.'],
    });
  });

  it('headers: x-match all/any (x- arguments ignored), all-with-x/any-with-x, void matches any value', async () => {
    const bindings = [
      { 'x-match': 'all', a: 1, b: 'x' },
      { 'x-match': 'any', a: 1, b: 'x' },
      {},
      { 'x-match': 'any' },
      { a: null },
      { 'x-match': 'all', 'x-foo': 'y', a: 1 },
      { 'x-match': 'all-with-x', 'x-foo': 'y', a: 1 },
      { 'x-match': 'any-with-x', 'x-foo': 'y' },
    ];
    const messages = [
      { key: '', body: 'M1', headers: { a: 1, b: 'x' } },
      { key: '', body: 'M2', headers: { a: 1 } },
      { key: '', body: 'M3', headers: { b: 'x', c: 2 } },
      { key: '', body: 'M4' },
      { key: '', body: 'M5', headers: { a: '1' } },
      { key: '', body: 'M6', headers: { a: 1, 'x-foo': 'y' } },
      { key: '', body: 'M7', headers: { a: 2, b: 'x' } },
    ];
    const got = await route(
      'headers',
      bindings.map((args) => ({ key: '', args })),
      messages,
    );
    expect(got).toEqual([
      ['M1'],
      ['M1', 'M2', 'M3', 'M6', 'M7'],
      ['M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7'],
      [],
      ['M1', 'M2', 'M5', 'M6', 'M7'],
      ['M1', 'M2', 'M6'],
      ['M6'],
      ['M6'],
    ]);
  });

  it('the default exchange routes to the queue named by the key; the amq.* exchanges exist with their types', async () => {
    const queue = session.queue('default');
    await ch.assertQueue(queue, { durable: false });
    ch.sendToQueue(queue, Buffer.from('hello'));
    ch.publish('', 'camq-test-nobody-home', Buffer.from('lost'));
    await roundTrip(ch);
    const [message] = await drain(ch, queue);
    expect(message?.content.toString()).toBe('hello');
    expect(message?.fields).toMatchObject({ exchange: '', routingKey: queue, redelivered: false });

    for (const [name, type] of [
      ['amq.direct', 'direct'],
      ['amq.fanout', 'fanout'],
      ['amq.topic', 'topic'],
      ['amq.headers', 'headers'],
      ['amq.match', 'headers'],
    ]) {
      await ch.checkExchange(name!);
      await ch.assertExchange(name!, type!, { durable: true });
    }
  });

  it('mandatory: an unroutable message comes back as basic.return 312 NO_ROUTE; without mandatory it is dropped', async () => {
    const exchange = session.exchange('mandatory');
    await ch.assertExchange(exchange, 'direct', { durable: false });
    const returned: { fields: object; body: string; type?: string }[] = [];
    ch.on('return', (m: { fields: object; content: Buffer; properties: { type?: string } }) =>
      returned.push({ fields: m.fields, body: m.content.toString(), type: m.properties.type }),
    );
    ch.publish(exchange, 'nowhere', Buffer.from('bounce'), { mandatory: true, type: 'probe' });
    ch.publish(exchange, 'nowhere', Buffer.from('silent'));
    ch.publish('', 'camq-test-no-such-queue', Buffer.from('bounce2'), { mandatory: true });
    await roundTrip(ch);
    await vi.waitFor(() => expect(returned).toHaveLength(2));
    expect(returned[0]).toEqual({
      fields: { replyCode: 312, replyText: 'NO_ROUTE', exchange, routingKey: 'nowhere' },
      body: 'bounce',
      type: 'probe',
    });
    expect(returned[1]).toMatchObject({ fields: { replyCode: 312, exchange: '', routingKey: 'camq-test-no-such-queue' }, body: 'bounce2' });
  });

  it('confirms: every publish is acked, an unroutable mandatory one after its basic.return', async () => {
    const confirm = await session.confirmChannel();
    const queue = session.queue('confirm');
    await confirm.assertQueue(queue, { durable: false });
    const events: string[] = [];
    confirm.on('return', () => events.push('return'));
    const acks: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      acks.push(new Promise((resolve, reject) => confirm.sendToQueue(queue, Buffer.from(String(i)), {}, (err) => (err ? reject(err) : resolve()))));
    }
    await Promise.all(acks);
    await new Promise<void>((resolve, reject) =>
      confirm.publish('amq.direct', 'camq-test-unroutable', Buffer.from('x'), { mandatory: true }, (err) => {
        events.push('ack');
        if (err) reject(err);
        else resolve();
      }),
    );
    expect(events).toEqual(['return', 'ack']);
    await confirm.waitForConfirms();
    expect((await confirm.checkQueue(queue)).messageCount).toBe(200);
  });
});
