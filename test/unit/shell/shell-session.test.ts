/**
 * ShellSession (the camqadm engine) on the shared in-memory transport (test/fakes/fake-transport.ts): the one confirm
 * channel it works on, what each command asks of it, and how the session lives through a channel the broker closed
 * (during a command and between commands) and a reconnect. The same session runs against RabbitMQ and the embedded
 * broker in test/integration/shell-session.int.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { BrokerConnectionError, BrokerError, ConnectionClosedError } from '../../../src/errors/index.js';
import { ShellSession, type ShellNotice, type ShellOutcome } from '../../../src/shell/index.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { FakeTransport, type FakeChannel } from '../../fakes/fake-transport.js';

async function opened() {
  const transport = new FakeTransport();
  await transport.connect();
  const session = await ShellSession.open({ connection: transport, clock: new ManualClock() });
  const notices: ShellNotice[] = [];
  session.on('notice', (notice) => notices.push(notice));
  const run = async (line: string): Promise<ShellOutcome> => {
    const outcome = await session.execute(line);
    if (!outcome) throw new Error(`'${line}' ran nothing`);
    return outcome;
  };
  return { transport, session, notices, run };
}

/** The connection goes while `channel` runs purgeQueue: `disconnected` with `loss`, the channel closes, the call fails. */
function loseConnectionDuringPurge(transport: FakeTransport, channel: FakeChannel, loss: BrokerConnectionError): void {
  channel.purgeQueue = async () => {
    transport.isOpen = false;
    transport.emit('disconnected', loss);
    await channel.close();
    throw new ConnectionClosedError('Channel closed');
  };
}

const message = (body: string) => ({ content: Buffer.from(body), properties: { contentType: 'text/plain' } });

describe('ShellSession', () => {
  it('opens one channel with publisher confirms and runs every command on it', async () => {
    const { transport, run } = await opened();
    expect(transport.channels).toHaveLength(1);
    expect(transport.channels[0]!.confirm).toBe(true);
    const declared = await run('queue.declare q1 no yes');
    expect(declared).toMatchObject({ ok: true, result: { kind: 'queue-declared', queue: 'q1', message_count: 0, consumer_count: 0 } });
    expect(transport.queueOptions.get('q1')).toMatchObject({ durable: true, exclusive: false, autoDelete: false });
    await run('exchange.declare ex1 topic');
    await run('queue.bind q1 ex1 a.#');
    expect(transport.channels).toHaveLength(1);
    expect(transport.channels[0]!.declared).toEqual(['queue:q1', 'exchange:ex1', 'bind:ex1->q1:a.#']);
  });

  it('publishes with the typed properties, mandatory when asked, and waits for the confirm', async () => {
    const { transport, run } = await opened();
    const outcome = await run('basic.publish hello ex1 key yes content_type=text/plain priority=5 header.x-retry=3');
    expect(outcome.ok).toBe(true);
    expect(transport.published).toHaveLength(1);
    expect(transport.published[0]).toMatchObject({
      exchange: 'ex1',
      routingKey: 'key',
      body: 'hello',
      properties: { contentType: 'text/plain', priority: 5, headers: { 'x-retry': 3 }, mandatory: true },
    });
  });

  it('keeps a basic.get unacked until basic.ack, and acks it on the same channel', async () => {
    const { transport, session, run } = await opened();
    transport.enqueue('q1', message('one'));
    transport.enqueue('q1', message('two'));
    const got = await run('basic.get q1');
    expect(got.result).toMatchObject({ kind: 'message', message: { body: 'one', delivery_info: { delivery_tag: 1, message_count: 1 } } });
    expect(session.unacked()).toEqual([{ delivery_tag: 1, queue: 'q1' }]);
    expect((await run('basic.ack 1')).ok).toBe(true);
    expect(transport.channels[0]!.acked).toEqual([1]);
    expect(session.unacked()).toEqual([]);
    expect(session.knownQueues.has('q1')).toBe(true);
  });

  it('a channel error in a command: reports the broker reason, reopens the channel at once, and names the requeued deliveries', async () => {
    const { transport, session, run } = await opened();
    transport.enqueue('q1', message('held'));
    await run('basic.get q1');
    const failed = await run('queue.declare missing yes');
    expect(failed.ok).toBe(false);
    expect(failed.error).toBeInstanceOf(BrokerError);
    expect(failed.error).toMatchObject({ replyCode: 404 });
    expect(failed.error!.message).toContain("no queue 'missing'");
    expect(failed.channelReopened).toEqual({ requeued: [{ delivery_tag: 1, queue: 'q1' }] });
    expect(transport.channels).toHaveLength(2);
    expect(transport.channels[0]!.closed).toBe(true);
    expect(transport.channels[1]!.confirm).toBe(true);
    expect(session.unacked()).toEqual([]);
    expect((await run('queue.declare q2')).ok).toBe(true);
    expect(transport.channels[1]!.declared).toEqual(['queue:q2']);
  });

  it('a channel the broker closed between commands: a notice with the requeued deliveries, and a new channel', async () => {
    const { transport, notices, run } = await opened();
    transport.enqueue('q1', message('held'));
    await run('basic.get q1');
    transport.channels[0]!.brokerClose(406, 'PRECONDITION_FAILED - delivery acknowledgement timed out');
    await Promise.resolve();
    expect(notices).toEqual([
      { kind: 'channel-closed', error: expect.objectContaining({ replyCode: 406 }), requeued: [{ delivery_tag: 1, queue: 'q1' }] },
    ]);
    expect((await run('queue.declare q2')).ok).toBe(true);
    expect(transport.channels).toHaveLength(2);
    expect(transport.channels[1]!.declared).toEqual(['queue:q2']);
  });

  it('after a reconnect: says so, and runs the next command on a channel of the new connection', async () => {
    const { transport, session, notices, run } = await opened();
    transport.enqueue('q1', message('held'));
    await run('basic.get q1');
    await transport.bounce();
    expect(notices.map((n) => n.kind)).toEqual(['reconnected']);
    expect(session.unacked()).toEqual([]);
    expect((await run('queue.declare q2')).ok).toBe(true);
    expect(transport.channels).toHaveLength(2);
    expect(transport.channels[1]!.confirm).toBe(true);
    expect(transport.channels[1]!.declared).toEqual(['queue:q2']);
  });

  it('a connection lost during a command: says it may or may not have taken effect, whatever error the call failed with', async () => {
    const { transport, run } = await opened();
    const loss = new BrokerConnectionError('broker.lost', 'lost the connection: the broker closed the socket', transport.masked, {
      reason: 'the broker closed the socket',
    });
    loseConnectionDuringPurge(transport, transport.channels[0]!, loss);
    const outcome = await run('queue.purge q1');
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toBeInstanceOf(BrokerConnectionError);
    expect(outcome.error!.message).toMatch(/during queue\.purge: .*the broker closed the socket.*; it may or may not have taken effect/);
  });

  it("a connection the broker closed because of the command's own method: that refusal is the error", async () => {
    const { transport, run } = await opened();
    const refusal = new BrokerError({ replyCode: 503, replyText: 'COMMAND_INVALID - unknown exchange type', isChannelError: false });
    const loss = new BrokerConnectionError('broker.lost', 'lost the connection', transport.masked, { cause: refusal });
    loseConnectionDuringPurge(transport, transport.channels[0]!, loss);
    const outcome = await run('queue.purge q1');
    expect(outcome.error).toBe(refusal);
  });

  it('close() closes its channel and leaves the connection open; a later command is refused', async () => {
    const { transport, session, run } = await opened();
    await session.close();
    expect(transport.channels[0]!.closed).toBe(true);
    expect(transport.isOpen).toBe(true);
    const refused = await run('queue.declare q1');
    expect(refused).toMatchObject({ ok: false, error: { code: 'shell.closed' } });
    await transport.bounce();
    expect(transport.channels).toHaveLength(1);
  });
});
