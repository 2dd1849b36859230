/**
 * ControlClient on the shared in-memory transport (test/fakes/fake-transport.ts): the request it publishes, how replies are matched and when a call
 * stops, driven by a ManualClock (no sleeping). The same paths run against RabbitMQ and Python Celery in
 * test/integration/control/.
 */
import { describe, expect, it, vi } from 'vitest';
import { ControlClient } from '../../../src/control/control-client.js';
import { ConnectionClosedError, UsageError } from '../../../src/errors/index.js';
import { buildControlReply, type ControlRequestBody } from '../../../src/protocol/control-message.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { FakeTransport, type FakeChannel, type Published } from '../../fakes/fake-transport.js';

interface Request extends Published {
  readonly body: ControlRequestBody;
}

/**
 * The client's channels on the shared fake transport, seen as one: what it sent without waiting and published on
 * any of them, replies delivered to the reply consumer, and the broker's close of the current one.
 */
class ControlWire {
  constructor(readonly transport: FakeTransport) {}
  get calls() {
    return this.transport.channels.flatMap((c) => c.calls);
  }
  get published(): Request[] {
    return this.transport.published as Request[];
  }
  get current(): FakeChannel {
    return this.transport.channels.at(-1)!;
  }
  /** A worker answers the latest request (or `request`). */
  reply(nodename: string, value: unknown, request = this.published.at(-1)!, ticket: string | undefined = request.body.ticket) {
    const msg = buildControlReply({ nodename, value, replyTo: request.body.reply_to!, ticket, clock: 7 });
    const queue = `${request.body.reply_to!.routing_key}.reply.celery.pidbox`;
    this.transport.consumerOf(queue).deliver(queue, msg);
  }
}

function connectedTransport(): FakeTransport {
  const transport = new FakeTransport();
  transport.isOpen = true;
  return transport;
}

function setup(options: { timeout?: number } = {}) {
  const transport = connectedTransport();
  const channel = new ControlWire(transport);
  const clock = new ManualClock();
  const client = new ControlClient({ connection: transport, clock, oid: 'oid-1', ...options });
  return { channel, clock, client, transport };
}

const published = (channel: ControlWire, n = 1) => vi.waitFor(() => expect(channel.published).toHaveLength(n));

describe('ControlClient', () => {
  it('declares the pidbox exchanges as Celery does and an exclusive auto-delete reply queue bound by oid', async () => {
    const { channel, client } = setup();
    await client.open();
    expect(client.replyQueue).toBe('oid-1.reply.celery.pidbox');
    const nowait = { ticket: 0, nowait: true, arguments: {} };
    expect(channel.calls).toEqual([
      [
        'exchange.declare',
        { ...nowait, exchange: 'celery.pidbox', type: 'fanout', passive: false, durable: false, autoDelete: false, internal: false },
      ],
      [
        'exchange.declare',
        { ...nowait, exchange: 'reply.celery.pidbox', type: 'direct', passive: false, durable: false, autoDelete: false, internal: false },
      ],
      [
        'queue.declare',
        {
          ...nowait,
          queue: 'oid-1.reply.celery.pidbox',
          passive: false,
          durable: false,
          exclusive: true,
          autoDelete: true,
          arguments: { 'x-message-ttl': 300000, 'x-expires': 10000 },
        },
      ],
      ['queue.bind', { ...nowait, queue: 'oid-1.reply.celery.pidbox', exchange: 'reply.celery.pidbox', routingKey: 'oid-1' }],
      ['basic.consume', { ...nowait, queue: 'oid-1.reply.celery.pidbox', consumerTag: 'camq-oid-1', noLocal: false, noAck: true, exclusive: false }],
    ]);
  });

  it('publishes a pidbox request with its reply_to and a ticket, and waits out the deadline on a broadcast', async () => {
    const { channel, clock, client } = setup();
    const call = client.ping({ timeout: 0.5 });
    await published(channel);
    const req = channel.published[0]!;
    expect(req).toMatchObject({ exchange: 'celery.pidbox', routingKey: '', deliveryMode: 2 });
    expect(req.body).toMatchObject({
      method: 'ping',
      arguments: {},
      destination: null,
      reply_to: { exchange: 'reply.celery.pidbox', routing_key: 'oid-1' },
    });
    expect(req.headers['clock']).toBe(1);
    channel.reply('w1@h', { ok: 'pong' });
    clock.advance(499);
    channel.reply('w2@h', { ok: 'pong' });
    clock.advance(1);
    const result = await call;
    expect(result.stoppedBy).toBe('timeout');
    expect(Object.fromEntries(result.replies)).toEqual({ 'w1@h': { ok: 'pong' }, 'w2@h': { ok: 'pong' } });
    expect(result.order.map((r) => r.afterMs)).toEqual([0, 499]);
  });

  it('returns as soon as every destination answered', async () => {
    const { channel, client } = setup();
    const call = client.rateLimit('tasks.add', '10/s', { destination: ['w1@h', 'w2@h'] });
    await published(channel);
    expect(channel.published[0]!.body.destination).toEqual(['w1@h', 'w2@h']);
    channel.reply('w2@h', { ok: 'new rate limit set successfully' });
    channel.reply('w1@h', { error: 'unknown task' });
    const result = await call;
    expect(result.stoppedBy).toBe('limit');
    expect(result.order.map((r) => r.nodename)).toEqual(['w2@h', 'w1@h']);
  });

  describe('expected workers (the live mailboxes)', () => {
    it('returns once every expected worker answered and the grace passed, not at the deadline', async () => {
      const { channel, clock, client } = setup();
      const call = client.ping({ timeout: 1, expected: ['w1@h', 'w2@h'], graceMs: 100 });
      await published(channel);
      channel.reply('w1@h', { ok: 'pong' });
      clock.advance(30);
      channel.reply('w2@h', { ok: 'pong' });
      clock.advance(50);
      channel.reply('starting@h', { ok: 'pong' });
      clock.advance(50);
      const result = await call;
      expect(result.stoppedBy).toBe('expected');
      expect(result.elapsedMs).toBe(130);
      expect([...result.replies.keys()]).toEqual(['w1@h', 'w2@h', 'starting@h']);
      expect(result.expected).toEqual(['w1@h', 'w2@h']);
      expect(result.missing).toEqual([]);
    });

    it('names the expected workers that stayed silent, at the deadline', async () => {
      const { channel, clock, client } = setup();
      const call = client.ping({ timeout: 0.5, expected: ['w1@h', 'hung@h'] });
      await published(channel);
      channel.reply('w1@h', { ok: 'pong' });
      clock.advance(500);
      const result = await call;
      expect(result.stoppedBy).toBe('timeout');
      expect(result.missing).toEqual(['hung@h']);
      expect(result.expectedError).toBeNull();
    });

    it('takes a provider that answers after the replies came, and then stops after the grace', async () => {
      const { channel, clock, client } = setup();
      let answer: (nodes: string[]) => void = () => {};
      const provider = vi.fn(() => new Promise<string[]>((resolve) => (answer = resolve)));
      const call = client.ping({ timeout: 1, expected: provider, graceMs: 10 });
      await published(channel);
      expect(provider).toHaveBeenCalledTimes(1);
      channel.reply('w1@h', { ok: 'pong' });
      clock.advance(200);
      answer(['w1@h']);
      await vi.waitFor(() => expect(clock.pending).toBeGreaterThan(1));
      clock.advance(10);
      const result = await call;
      expect(result.stoppedBy).toBe('expected');
      expect(result.elapsedMs).toBe(210);
    });

    it('a provider that fails: the whole timeout, and the result says why', async () => {
      const { channel, clock, client } = setup();
      const call = client.ping({ timeout: 0.5, expected: async () => Promise.reject(new Error('no API here')) });
      await published(channel);
      channel.reply('w1@h', { ok: 'pong' });
      clock.advance(499);
      expect(await Promise.race([call.then(() => 'done'), new Promise((r) => setTimeout(() => r('waiting'), 20))])).toBe('waiting');
      clock.advance(1);
      const result = await call;
      expect(result.stoppedBy).toBe('timeout');
      expect(result.expected).toBeNull();
      expect(result.expectedError?.code).toBe('control.expected-failed');
      expect(result.expectedError?.message).toBe('no API here');
    });

    it('a provider still pending at the deadline is reported late', async () => {
      const { channel, clock, client } = setup();
      const call = client.ping({ timeout: 0.2, expected: () => new Promise<string[]>(() => {}) });
      await published(channel);
      clock.advance(200);
      expect((await call).expectedError?.code).toBe('control.expected-late');
    });

    it('with a pattern only the matching names are waited for; with destinations the list is ignored', async () => {
      const { channel, clock, client } = setup();
      const call = client.ping({ timeout: 1, pattern: 'pay*', expected: ['pay1@h', 'mail@h'], graceMs: 0 });
      await published(channel);
      channel.reply('pay1@h', { ok: 'pong' });
      clock.advance(0);
      const result = await call;
      expect(result.stoppedBy).toBe('expected');
      expect(result.expected).toEqual(['pay1@h']);
      const named = client.ping({ timeout: 1, destination: ['w1@h'], expected: ['w1@h', 'w2@h'] });
      await published(channel, 2);
      channel.reply('w1@h', { ok: 'pong' });
      const limited = await named;
      expect(limited.stoppedBy).toBe('limit');
      expect(limited.expected).toBeNull();
      expect(limited.missing).toEqual([]);
    });
  });

  it('keeps concurrent calls apart by ticket, and ignores late replies to finished calls', async () => {
    const { channel, clock, client } = setup();
    const first = client.ping({ timeout: 1, limit: 1 });
    await published(channel, 1);
    const second = client.inspect('stats', [], { timeout: 1 });
    await published(channel, 2);
    const [pingReq, statsReq] = channel.published;
    channel.reply('w1@h', { total: {} }, statsReq);
    channel.reply('w1@h', { ok: 'pong' }, pingReq);
    expect((await first).replies.get('w1@h')).toEqual({ ok: 'pong' });
    channel.reply('w9@h', { ok: 'late' }, pingReq);
    clock.advance(1000);
    const stats = await second;
    expect(Object.fromEntries(stats.replies)).toEqual({ 'w1@h': { total: {} } });
    expect(statsReq!.headers['clock']).toBeGreaterThan(pingReq!.headers['clock'] as number);
  });

  it('sends casts without reply_to or ticket', async () => {
    const { channel, client } = setup();
    await client.shutdown({ destination: ['w1@h'] });
    const body = channel.published[0]!.body;
    expect(body).toEqual({ method: 'shutdown', arguments: {}, destination: ['w1@h'], pattern: null, matcher: null });
  });

  it('sends a pattern with the glob matcher when no destination is given', async () => {
    const { channel, client } = setup();
    await client.cast({ method: 'heartbeat', arguments: {} }, { pattern: 'w1@*' });
    expect(channel.published[0]!.body).toMatchObject({ destination: null, pattern: 'w1@*', matcher: 'glob' });
  });

  it('validates before sending', async () => {
    const { channel, client } = setup();
    await expect(client.rateLimit('tasks.add', '10/x')).rejects.toThrow(UsageError);
    await expect(client.ping({ timeout: 0 })).rejects.toThrow(/invalid timeout/);
    await expect(client.ping({ limit: 0 })).rejects.toThrow(/invalid limit/);
    expect(channel.published).toHaveLength(0);
  });

  it('rejects pending calls when closed, and every call after', async () => {
    const { channel, client } = setup();
    const call = client.ping();
    await published(channel);
    await client.close();
    await expect(call).rejects.toThrow(ConnectionClosedError);
    await expect(client.ping()).rejects.toThrow(ConnectionClosedError);
    await expect(client.shutdown()).rejects.toThrow(ConnectionClosedError);
  });

  it('fails pending calls when the channel closes, and sets up a new channel on the next call', async () => {
    const { channel, client } = setup();
    const call = client.ping();
    await published(channel);
    channel.current.brokerClose(404, 'NOT_FOUND - no exchange');
    await expect(call).rejects.toThrow(/404/);
    const again = client.ping({ limit: 1 });
    await published(channel, 2);
    channel.reply('w1@h', { ok: 'pong' });
    expect((await again).replies.size).toBe(1);
    expect(channel.calls.filter((c) => c[0] === 'basic.consume')).toHaveLength(2);
  });

  it('closing while the channel is being set up leaves no channel behind', async () => {
    const { transport, client } = setup();
    const closed = vi.fn();
    transport.onOpenChannel = (channel) => channel.on('close', closed);
    const opening = client.open();
    await client.close();
    await expect(opening).rejects.toThrow(ConnectionClosedError);
    expect(closed).toHaveBeenCalled();
  });

  it('closing its own connection: the channel first (CloseOk awaited) only after a cast', async () => {
    const run = async (work: (client: ControlClient, channel: ControlWire) => Promise<unknown>) => {
      const log: string[] = [];
      const transport = connectedTransport();
      // A channel the client closes itself; the connection's Close takes the others with it (not logged).
      transport.onOpenChannel = (channel) => channel.on('close', () => transport.isOpen && log.push('channel closed'));
      const closeConnection = transport.close.bind(transport);
      transport.close = async () => {
        log.push('connection closed');
        await closeConnection();
      };
      const client = new ControlClient({ connection: transport, clock: new ManualClock(), ownsConnection: true });
      await work(client, new ControlWire(transport));
      await client.close();
      return log;
    };
    const pinged = async (client: ControlClient, channel: ControlWire) => {
      const call = client.ping({ destination: ['w1@h'] });
      await published(channel);
      channel.reply('w1@h', { ok: 'pong' });
      return call;
    };
    // The connection's Close takes the channel and the exclusive reply queue with it.
    expect(await run(pinged)).toEqual(['connection closed']);
    expect(await run((client) => client.shutdown({ destination: ['w1@h'] }))).toEqual(['channel closed', 'connection closed']);
    expect(await run(async (client, channel) => (await pinged(client, channel), client.shutdown()))).toEqual(['channel closed', 'connection closed']);
  });

  it('rejects when the connection is not open', async () => {
    const connection = new FakeTransport();
    await expect(new ControlClient({ connection }).ping()).rejects.toThrow(ConnectionClosedError);
  });
});
