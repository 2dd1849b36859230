/**
 * Publisher against the in-memory transport: a full write buffer makes later messages wait here, in order and
 * bounded, instead of piling into the buffer; a channel that closes under a full buffer reports the message that may
 * be lost and sends the waiting ones on a new channel.
 */
import { expect, it } from 'vitest';
import type { CamqError } from '../../../src/errors/index.js';
import type { OutgoingMessage } from '../../../src/protocol/index.js';
import { Publisher } from '../../../src/transport/publisher.js';
import { FakeTransport } from '../../fakes/fake-transport.js';

const tick = () => new Promise((r) => setImmediate(r));

async function setup(maxBacklog?: number) {
  const transport = await new FakeTransport().connect();
  const dropped: { body: string; error: CamqError }[] = [];
  const publisher = new Publisher({
    connection: transport,
    onDropped: (message, error) => dropped.push({ body: message.content.toString(), error }),
    onChannelError: () => {},
    ...(maxBacklog === undefined ? {} : { maxBacklog }),
  });
  await publisher.open();
  const channel = transport.channels[0]!;
  const message = (body: string): OutgoingMessage => ({ exchange: '', routingKey: 'q', content: Buffer.from(body), properties: {} });
  const sent = () => transport.published.map((p) => p.content.toString());
  return { transport, publisher, channel, dropped, message, sent };
}

it('goes out at once, synchronously, while the write buffer has room', async () => {
  const { publisher, message, sent } = await setup();
  expect(publisher.publish(message('a'))).toBe(true);
  expect(sent()).toEqual(['a']);
});

it('while the buffer is full, later messages wait in order until drain, and each resolves true when it went', async () => {
  const { transport, publisher, channel, message, sent } = await setup();
  transport.writeBufferFull = true;
  const first = publisher.publish(message('a'));
  expect(first).toBeInstanceOf(Promise);
  const later = [publisher.publish(message('b')), publisher.publish(message('c'))];
  expect(sent()).toEqual(['a']);
  expect(publisher.waiting).toBe(2);
  transport.writeBufferFull = false;
  channel.emit('drain');
  expect(await first).toBe(true);
  expect(await Promise.all(later.map(async (p) => p))).toEqual([true, true]);
  expect(sent()).toEqual(['a', 'b', 'c']);
  expect(publisher.publish(message('d'))).toBe(true);
});

it('drops what does not fit in the backlog, one report each, and keeps the order of the rest', async () => {
  const { transport, publisher, channel, message, sent, dropped } = await setup(2);
  transport.writeBufferFull = true;
  const all = ['a', 'b', 'c', 'd'].map((b) => publisher.publish(message(b)));
  expect(dropped.map((d) => [d.body, d.error.code])).toEqual([['d', 'publish.backlog-full']]);
  transport.writeBufferFull = false;
  channel.emit('drain');
  expect(await Promise.all(all.map(async (p) => p))).toEqual([true, true, true, false]);
  expect(sent()).toEqual(['a', 'b', 'c']);
});

it('a channel closed under a full buffer: the buffered message is reported, the waiting ones go on a new channel', async () => {
  const { transport, publisher, channel, message, sent, dropped } = await setup();
  transport.writeBufferFull = true;
  const first = publisher.publish(message('a'));
  const second = publisher.publish(message('b'));
  transport.writeBufferFull = false;
  channel.brokerClose(406, 'PRECONDITION_FAILED - test');
  expect(await first).toBe(false);
  expect(await second).toBe(true);
  await tick();
  expect(dropped.map((d) => [d.body, d.error.code])).toEqual([['a', 'publish.channel-closed']]);
  expect(transport.channels).toHaveLength(2);
  expect(transport.channels[1]!.published.map((p) => p.content.toString())).toEqual(['b']);
  expect(sent()).toEqual(['a', 'b']);
});
