/**
 * The camqadm engine (ShellSession) against each broker (RabbitMQ, the embedded one). Each test checks the broker's
 * own state through an independent connection and the broker's inspector (raw broker state on purpose): what the docs' session did step by step,
 * that a basic.get stays unacked until basic.ack, that channel errors reopen the channel, that a lost connection
 * comes back.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { BrokerConnection } from '../../src/amqp/index.js';
import { formatOutcome, ShellSession, type ShellNotice, type ShellOutcome } from '../../src/shell/index.js';
import { brokerTargets, describeBrokers } from '../helpers/brokers.js';
import { BrokerProbe } from './shell/broker-probe.js';
import { docsSession } from './shell/docs-session.js';

describeBrokers('ShellSession', await brokerTargets(), (target) => {
  let probe: BrokerProbe;
  let connection: BrokerConnection;
  let session: ShellSession;
  let connectionName: string;
  let notices: ShellNotice[];
  const queues: string[] = [];
  const exchanges: string[] = [];

  const name = (kind: string) => `camq-test-${kind}-${randomUUID().slice(0, 8)}`;
  const queueName = () => {
    const q = name('q');
    queues.push(q);
    return q;
  };
  const run = async (line: string): Promise<ShellOutcome> => {
    const outcome = await session.execute(line);
    if (!outcome) throw new Error(`'${line}' ran nothing`);
    return outcome;
  };
  const text = (outcome: ShellOutcome) =>
    formatOutcome(outcome)
      .map((l) => (l.label ? `${l.label} ${l.text}` : l.text))
      .join('\n');

  beforeAll(async () => {
    probe = await BrokerProbe.open(target);
  });
  afterAll(async () => {
    await probe.close();
  });

  beforeEach(async () => {
    connectionName = name('shell-conn');
    connection = new BrokerConnection({ url: target.url, reconnect: true, connectionName, backoff: { initialMs: 100, maxMs: 1000 } });
    await connection.connect();
    session = await ShellSession.open({ connection });
    notices = [];
    session.on('notice', (n) => notices.push(n));
  });
  afterEach(async () => {
    await session.close();
    await connection.close();
    await probe.cleanup(queues.splice(0), exchanges.splice(0));
  });

  it("runs the docs' session, each step changing the broker as it says", async () => {
    const docs = docsSession();
    queues.push(docs.queue);
    exchanges.push(docs.exchange);
    for (const [i, step] of docs.steps.entries()) {
      expect(session.nextNumber).toBe(i + 1);
      const outcome = await run(step.line);
      expect(outcome.error?.message).toBeUndefined();
      expect(outcome).toMatchObject({ ok: true, number: i + 1 });
      expect(text(outcome)).toContain(step.prints);
      await step.check(probe);
    }
    expect(session.nextNumber).toBe(docs.steps.length + 1);
  });

  it("shows basic.get as Celery's dump, with properties set by basic.publish", async () => {
    const q = queueName();
    await run(`queue.declare ${q}`);
    const published = await run(
      `basic.publish '{"n": 1}' '' ${q} no no content_type=application/json priority=7 delivery_mode=persistent ` +
        `correlation_id=c-1 reply_to=replies message_id=m-1 expiration=60000 header.x-retry=3 header.origin=cli type=t app_id=camq`,
    );
    expect(published.error?.message).toBeUndefined();
    const got = await run(`basic.get ${q}`);
    expect(got.result).toEqual({
      kind: 'message',
      message: {
        body: '{"n": 1}',
        body_encoding: 'utf-8',
        delivery_info: { delivery_tag: 1, exchange: '', routing_key: q, redelivered: false, message_count: 0 },
        properties: {
          content_type: 'application/json',
          priority: 7,
          delivery_mode: 2,
          correlation_id: 'c-1',
          reply_to: 'replies',
          message_id: 'm-1',
          expiration: '60000',
          headers: { 'x-retry': 3, origin: 'cli' },
          type: 't',
          app_id: 'camq',
        },
      },
    });
    expect(text(got)).toContain(`'delivery_info': {'delivery_tag': 1,`);
    expect(text(await run(`basic.get ${q}`))).toBe('No messages in queue. basic.publish something.');
  });

  it('keeps a basic.get message unacked until basic.ack; unacked ones go back when the session ends', async () => {
    const q = queueName();
    await run(`queue.declare ${q}`);
    await probe.publish(q, 'first');
    await probe.publish(q, 'second');

    const first = await run(`basic.get ${q}`);
    expect(first.result).toMatchObject({ kind: 'message', message: { body: 'first', delivery_info: { delivery_tag: 1, message_count: 1 } } });
    const second = await run(`basic.get ${q}`);
    expect(second.result).toMatchObject({ kind: 'message', message: { body: 'second', delivery_info: { delivery_tag: 2 } } });
    expect(session.unacked()).toEqual([
      { delivery_tag: 1, queue: q },
      { delivery_tag: 2, queue: q },
    ]);
    expect(await probe.unacked(q)).toBe(2);
    expect(await probe.queue(q)).toEqual({ ready: 0, consumers: 0 });

    expect((await run('basic.ack 1')).ok).toBe(true);
    expect(session.unacked()).toEqual([{ delivery_tag: 2, queue: q }]);
    expect(await probe.unacked(q)).toBe(1);

    // Ending the session returns the unacked one to the queue, marked redelivered; the acked one is gone.
    await session.close();
    await vi.waitFor(async () => expect(await probe.queue(q)).toEqual({ ready: 1, consumers: 0 }));
    const back = await probe.take(q);
    expect(back && back.content.toString()).toBe('second');
    expect(back && back.fields.redelivered).toBe(true);
  });

  it('rejects and nacks with or without requeue, and recovers', async () => {
    const q = queueName();
    await run(`queue.declare ${q}`);
    for (const body of ['a', 'b', 'c']) await probe.publish(q, body);
    await run(`basic.get ${q}`);
    await run(`basic.get ${q}`);
    await run(`basic.get ${q}`);
    expect((await run('basic.reject 1 no')).ok).toBe(true);
    expect((await run('basic.nack 2 yes')).ok).toBe(true);
    expect(await probe.queue(q)).toEqual({ ready: 1, consumers: 0 });
    expect((await run('basic.recover')).ok).toBe(true);
    expect(session.unacked()).toEqual([]);
    await vi.waitFor(async () => expect(await probe.queue(q)).toEqual({ ready: 2, consumers: 0 }));
  });

  it('reports a 404 on a passive declare, reopens the channel and goes on counting', async () => {
    const missing = name('missing');
    const outcome = await run(`queue.declare ${missing} yes`);
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toBe(`404 NOT_FOUND - no queue '${missing}' in vhost '${connection.url.vhost}'`);
    expect(outcome.channelReopened).toEqual({ requeued: [] });
    expect(text(outcome)).toBe(`Error: 404 NOT_FOUND - no queue '${missing}' in vhost '${connection.url.vhost}'\n-> channel reopened.`);
    const q = queueName();
    const next = await run(`queue.declare ${q}`);
    expect(next).toMatchObject({ ok: true, number: 2 });
    expect(await probe.queue(q)).toEqual({ ready: 0, consumers: 0 });
  });

  it('reports a 406 on a redeclare with other flags and says which unacked message went back', async () => {
    const q = queueName();
    await run(`queue.declare ${q}`);
    await probe.publish(q, 'held');
    await run(`basic.get ${q}`);
    expect(await probe.unacked(q)).toBe(1);

    const outcome = await run(`queue.declare ${q} no yes`);
    expect(outcome.error?.message).toMatch(/^406 PRECONDITION_FAILED - inequivalent arg 'durable' for queue/);
    expect(outcome.channelReopened).toEqual({ requeued: [{ delivery_tag: 1, queue: q }] });
    expect(text(outcome)).toContain(`-> channel reopened; the unacked message with delivery tag 1 went back to queue '${q}'`);
    await vi.waitFor(async () => expect(await probe.queue(q)).toEqual({ ready: 1, consumers: 0 }));

    // The new channel works, and the message comes again as redelivered with tag 1.
    const again = await run(`basic.get ${q}`);
    expect(again.result).toMatchObject({ message: { body: 'held', delivery_info: { delivery_tag: 1, redelivered: true } } });
    expect((await run('basic.ack 1')).ok).toBe(true);
    expect(await probe.unacked(q)).toBe(0);
  });

  it('refuses to settle a delivery tag the session does not hold, so the messages it does hold stay unacked', async () => {
    const q = queueName();
    await run(`queue.declare ${q}`);
    await run(`basic.publish held '' ${q}`);
    await run(`basic.get ${q}`);
    const outcome = await run('basic.ack 42');
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.code).toBe('shell.unknown-delivery-tag');
    expect(outcome.error?.message).toMatch(/^unknown delivery tag 42: this session holds unacked tags 1\. A tag belongs to the channel/);
    expect(outcome.channelReopened).toBeUndefined();
    // Nothing was sent: the held message is still ours, not requeued by a channel error.
    expect(await probe.unacked(q)).toBe(1);
    expect((await run('basic.ack 1')).ok).toBe(true);
    expect(await probe.unacked(q)).toBe(0);
  });

  it('reports a mandatory message the broker returned, and refuses immediate without losing the connection', async () => {
    const returned = await run(`basic.publish lost '' ${name('nobody')} yes`);
    expect(returned.ok).toBe(false);
    expect(returned.error?.message).toMatch(/^312 NO_ROUTE - the broker returned the message: no queue is bound to the default exchange/);

    const q = queueName();
    await run(`queue.declare ${q}`);
    const routed = await run(`basic.publish kept '' ${q} yes`);
    expect(routed.ok).toBe(true);
    expect(await probe.queue(q)).toEqual({ ready: 1, consumers: 0 });

    const immediate = await run(`basic.publish now '' ${q} no yes`);
    expect(immediate.error?.code).toBe('shell.immediate-unsupported');
    expect(immediate.channelReopened).toBeUndefined();
    expect(connection.isOpen).toBe(true);
    expect(await probe.queue(q)).toEqual({ ready: 1, consumers: 0 });
    expect(notices).toEqual([]);
  });

  it('reports publishing to a missing exchange (404) and goes on', async () => {
    const missing = name('no-exchange');
    const outcome = await run(`basic.publish x ${missing} rk`);
    expect(outcome.error?.message).toBe(`404 NOT_FOUND - no exchange '${missing}' in vhost '${connection.url.vhost}'`);
    expect(outcome.channelReopened).toBeDefined();
    expect((await run('help')).ok).toBe(true);
    expect((await run(`queue.declare ${queueName()}`)).number).toBe(3);
  });

  it('counts bad lines too, without sending anything', async () => {
    expect((await run('queue.delcare x')).error?.message).toMatch(/did you mean 'queue.declare'/);
    expect((await run('queue.bind x')).error?.code).toBe('shell.arity');
    expect((await run('queue.declare x maybe')).error?.code).toBe('shell.bad-boolean');
    expect((await run('basic.publish "open')).error?.code).toBe('shell.syntax');
    expect(await session.execute('# a comment')).toBeUndefined();
    expect(await session.execute('   ')).toBeUndefined();
    expect(session.nextNumber).toBe(5);
    expect(await probe.queue('x')).toBeUndefined();
  });

  it('refuses a shortstr over 255 bytes by name and byte count, sends nothing, and answers the next command', { timeout: 10_000 }, async () => {
    const long = 'é'.repeat(128); // 128 characters, 256 bytes
    const q = queueName();
    await run(`queue.declare ${q}`);
    const refusals = [
      [`queue.declare ${long}`, 'queue.declare: queue is 256 bytes in UTF-8 (128 characters)'],
      [`exchange.declare ${long}`, 'exchange.declare: exchange is 256 bytes'],
      [`exchange.declare x ${long}`, 'exchange.declare: type is 256 bytes'],
      [`queue.bind ${q} amq.direct ${long}`, 'queue.bind: routing_key is 256 bytes'],
      [`basic.publish hi '' ${long}`, 'basic.publish: routing_key is 256 bytes'],
      [`basic.get ${long}`, 'basic.get: queue is 256 bytes'],
      [`basic.publish hi '' ${q} message_id=${long}`, 'basic.publish: message_id is 256 bytes'],
      [`basic.publish hi '' ${q} content_type=${'a'.repeat(256)}`, 'basic.publish: content_type is 256 bytes; AMQP allows at most 255'],
      [`basic.publish hi '' ${q} header.${long}=1`, 'is 256 bytes in UTF-8'],
      [`basic.publish hi '' ${q} headers='{"a": {"${long}": 1}}'`, 'in headers.a is 256 bytes'],
      [`basic.publish hi '' ${q} headers='${'['.repeat(200)}${']'.repeat(200)}'`, 'a JSON object'],
      [`basic.publish hi '' ${q} headers='{"a":${'['.repeat(200)}${']'.repeat(200)}}'`, 'headers nest deeper than 100 levels'],
    ] as const;
    for (const [line, message] of refusals) {
      const outcome = await run(line);
      expect(outcome.ok, line).toBe(false);
      expect(outcome.error?.message, line).toContain(message);
    }
    // A value only the client library refuses (a typed header out of range) is one line too, and nothing hangs.
    const typed = await run(`basic.publish hi '' ${q} headers='{"n": {"!": "int8", "value": 999}}'`);
    expect(typed.error?.message).toMatch(/^cannot send the message: .*out of range.*; nothing was sent$/);
    expect((await run(`basic.publish ok '' ${q} message_id=${'é'.repeat(127)}`)).ok).toBe(true);
    const got = await run(`basic.get ${q} yes`);
    expect(got.result).toMatchObject({ kind: 'message', message: { body: 'ok', properties: { message_id: 'é'.repeat(127) } } });
    expect(text(await run(`basic.get ${q}`))).toBe('No messages in queue. basic.publish something.');
  });

  it('completes queue and exchange names seen in the session', async () => {
    const q = queueName();
    const ex = name('ex');
    exchanges.push(ex);
    await run(`exchange.declare ${ex} fanout`);
    await run(`queue.declare ${q}`);
    expect(session.complete(`basic.get ${q.slice(0, 12)}`).candidates).toContain(`${q} `);
    expect(session.complete(`queue.bind ${q} ${ex.slice(0, 12)}`).candidates).toContain(`${ex} `);
    await run(`queue.delete ${q}`);
    expect(session.complete(`basic.get ${q.slice(0, 12)}`).candidates).not.toContain(`${q} `);
  });

  it('reconnects after the broker closes the connection, saying that the unacked message went back', async () => {
    const q = queueName();
    await run(`queue.declare ${q}`);
    await probe.publish(q, 'in flight');
    await run(`basic.get ${q}`);

    expect(await target.inspector.closeConnectionsNamed(connectionName, 'camq test: connection lost')).toBe(1);
    await vi.waitFor(() => expect(notices.map((n) => n.kind)).toContain('reconnected'), { timeout: 15_000 });
    expect(notices[0]).toMatchObject({ kind: 'connection-lost', requeued: [{ delivery_tag: 1, queue: q }] });
    expect(notices[0]!.kind === 'connection-lost' && notices[0]!.error.message).toMatch(/320 CONNECTION_FORCED - camq test: connection lost/);
    expect(await probe.queue(q)).toEqual({ ready: 1, consumers: 0 });

    // The session goes on with a new channel: the prompt counter continues and tags restart at 1.
    const again = await run(`basic.get ${q}`);
    expect(again).toMatchObject({ ok: true, number: 3, result: { message: { delivery_info: { delivery_tag: 1, redelivered: true } } } });
    expect((await run('basic.ack 1')).ok).toBe(true);
    expect(await probe.unacked(q)).toBe(0);
  });

  it('makes a command issued while disconnected wait for the reconnect', async () => {
    const q = queueName();
    await run(`queue.declare ${q}`);
    await target.inspector.closeConnectionsNamed(connectionName);
    await vi.waitFor(() => expect(connection.isOpen).toBe(false));
    const outcome = await run(`queue.purge ${q}`);
    expect(outcome).toMatchObject({ ok: true, result: { kind: 'messages-deleted', message_count: 0 } });
  });
});
