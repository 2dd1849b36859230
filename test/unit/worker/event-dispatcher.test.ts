/**
 * EventDispatcher against a channel that cannot take more (write buffer full) or is closed: events are monitoring
 * data, so they are dropped (and counted in one line), never queued without bound, never left waiting forever, and a
 * closed channel is said once, not once per event. The channel here is a stand-in with amqplib's contract (publish
 * returns false when its buffer is full, then `drain` or `close`; throws once closed): what is under test is the
 * dispatcher's handling, not the wire (publish-drain.int.test.ts checks that contract on the real brokers).
 */
import { EventEmitter } from 'node:events';
import { expect, it } from 'vitest';
import { LamportClock } from '../../../src/protocol/index.js';
import { createLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { EventDispatcher } from '../../../src/worker/event-dispatcher.js';

class StandInChannel extends EventEmitter {
  published = 0;
  full = false;
  closed = false;
  publish(): boolean {
    if (this.closed) throw new Error('Channel closed');
    this.published++;
    return !this.full;
  }
  close(): void {
    this.closed = true;
    this.emit('close');
  }
}

function dispatcher() {
  const lines: string[] = [];
  const clock = new ManualClock();
  const events = new EventDispatcher({
    hostname: 'w1@test',
    appClock: new LamportClock(),
    clock,
    logger: createLogger({ level: 'info', write: (l) => lines.push(l), now: () => clock.now() }),
    taskEvents: false,
  });
  const channel = new StandInChannel();
  events.attach(channel);
  return { events, channel, lines };
}

const tick = () => new Promise((r) => setImmediate(r));

it('drops events while the write buffer is full (one wait, not one per event) and says how many when it drains', async () => {
  const { events, channel, lines } = dispatcher();
  channel.full = true;
  for (let i = 0; i < 1000; i++) events.send('worker-heartbeat');
  expect(channel.published).toBe(1);
  expect(channel.listenerCount('drain')).toBe(1);
  channel.full = false;
  channel.emit('drain');
  await tick();
  expect(lines).toEqual([expect.stringMatching(/WARNING.*dropped 999 event message\(s\) while the connection's write buffer was full/)]);
  events.send('worker-heartbeat');
  expect(channel.published).toBe(2);
});

it('a channel that closes while an event waits for drain ends the wait (no unhandled rejection), and is said once', async () => {
  const { events, channel, lines } = dispatcher();
  channel.full = true;
  events.send('worker-heartbeat');
  channel.close();
  await tick();
  for (let i = 0; i < 100; i++) events.send('worker-heartbeat');
  expect(channel.listenerCount('drain')).toBe(0);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/WARNING.*events are not sent: the channel they go out on is closed \(Channel closed\)/);
});
