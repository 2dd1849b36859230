import { describe, expect, it } from 'vitest';
import { Consumer, type ConsumerChannel } from '../../../src/broker/consumer.js';
import { MemoryMonitor } from '../../../src/broker/memory-monitor.js';
import { Message, type QueuedMessage } from '../../../src/broker/message.js';
import { Queue } from '../../../src/broker/queue.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

/** A channel that takes up to `room` messages and records what it got. */
class FakeChannel implements ConsumerChannel {
  readonly got: QueuedMessage[] = [];
  readonly cancelled: string[] = [];
  constructor(public room = Infinity) {}
  canDeliver(): boolean {
    return this.got.length < this.room;
  }
  deliver(_consumer: Consumer, entry: QueuedMessage): void {
    this.got.push(entry);
  }
  cancelledByServer(consumer: Consumer): void {
    this.cancelled.push(consumer.tag);
  }
}

const message = (body: string) => new Message('', 'q', Buffer.concat([Buffer.alloc(14), Buffer.from(body)]), 14);
/** A message with a `priority` property: the content header's flags say only priority (bit 11) is present. */
function prioritized(body: string, priority: number | undefined): Message {
  if (priority === undefined) return message(body);
  const header = Buffer.alloc(15);
  header.writeUInt16BE(0x0800, 12);
  header.writeUInt8(priority, 14);
  return new Message('', 'q', Buffer.concat([header, Buffer.from(body)]), 15);
}
const bodyOf = (e: QueuedMessage) => `${e.message.body.toString()}${e.redelivered ? '*' : ''}`;

function makeQueue(options: { messageTtl?: number; expires?: number; autoDelete?: boolean; maxPriority?: number } = {}) {
  const clock = new ManualClock();
  const unused: Queue[] = [];
  const queue = new Queue({
    name: 'q',
    resource: "queue 'q' in vhost '/'",
    durable: false,
    autoDelete: options.autoDelete ?? false,
    owner: null,
    arguments: {},
    typedArguments: new Map(),
    messageTtl: options.messageTtl,
    expires: options.expires,
    maxPriority: options.maxPriority,
    clock,
    memory: MemoryMonitor.unlimited(),
    onUnused: (q) => unused.push(q),
  });
  const drain = () => {
    const out: string[] = [];
    for (let e = queue.get(); e; e = queue.get()) out.push(bodyOf(e));
    return out;
  };
  return { queue, clock, unused, drain };
}

describe('Queue', () => {
  it('x-max-priority: highest first, above the maximum counts as the maximum, none as 0, equal ones in publish order (as RabbitMQ 3.10)', () => {
    const { queue, drain } = makeQueue({ maxPriority: 5 });
    // The order RabbitMQ 3.10 gave for these priorities on a queue with x-max-priority 5 (checked with basic.get).
    const priorities = [0, 9, 3, undefined, 5, 7, 1, 3];
    priorities.forEach((p, i) => queue.enqueue(prioritized(String(i), p), undefined));
    expect(drain()).toEqual(['1', '4', '5', '2', '7', '6', '0', '3']);
  });

  it('x-max-priority: a requeued message goes back to its place within its priority', () => {
    const { queue, drain } = makeQueue({ maxPriority: 2 });
    for (const [b, p] of [
      ['a', 2],
      ['b', 2],
      ['c', 1],
      ['d', 2],
    ] as const)
      queue.enqueue(prioritized(b, p), undefined);
    const a = queue.get()!;
    const b = queue.get()!;
    queue.requeue([a, b]);
    expect(drain()).toEqual(['a*', 'b*', 'd', 'c']);
  });

  it('x-max-priority 0, or none, keeps publish order whatever the priorities', () => {
    for (const maxPriority of [0, undefined]) {
      const { queue, drain } = makeQueue({ maxPriority });
      [3, 0, 9].forEach((p, i) => queue.enqueue(prioritized(String(i), p), undefined));
      expect(drain()).toEqual(['0', '1', '2']);
    }
  });

  it('requeued messages go back to their original places, ahead of those never delivered', () => {
    const { queue, drain } = makeQueue();
    for (const b of ['m1', 'm2', 'm3', 'm4', 'm5']) queue.enqueue(message(b), undefined);
    const taken = [queue.get()!, queue.get()!, queue.get()!];
    queue.requeue([taken[1]!]);
    queue.requeue([taken[0]!, taken[2]!]);
    expect(drain()).toEqual(['m1*', 'm2*', 'm3*', 'm4', 'm5']);
  });

  it('serves consumers round-robin, skipping those without room, and delivers straight through when idle', () => {
    const { queue } = makeQueue();
    const a = new FakeChannel();
    const b = new FakeChannel(1);
    queue.addConsumer(new Consumer('a', a, queue, false, false, 0));
    queue.addConsumer(new Consumer('b', b, queue, false, false, 0));
    for (const body of ['m1', 'm2', 'm3', 'm4']) queue.enqueue(message(body), undefined);
    expect(a.got.map(bodyOf)).toEqual(['m1', 'm3', 'm4']);
    expect(b.got.map(bodyOf)).toEqual(['m2']);
    expect(queue.messageCount).toBe(0);
  });

  it('holds messages while no consumer has room and hands them out when dispatched again', () => {
    const { queue } = makeQueue();
    const ch = new FakeChannel(0);
    queue.addConsumer(new Consumer('a', ch, queue, false, false, 0));
    queue.enqueue(message('m1'), undefined);
    queue.enqueue(message('m2'), undefined);
    expect(queue.messageCount).toBe(2);
    ch.room = 1;
    queue.dispatch();
    expect(ch.got.map(bodyOf)).toEqual(['m1']);
    expect(queue.messageCount).toBe(1);
  });

  it('drops messages past x-message-ttl or their own expiration on a timer, and TTL 0 unless a consumer is ready', () => {
    const { queue, clock, drain } = makeQueue({ messageTtl: 1000 });
    queue.enqueue(message('ttl'), undefined);
    queue.enqueue(message('own'), 300);
    queue.enqueue(message('zero'), 0);
    clock.advance(999);
    expect(queue.messageCount).toBe(3);
    clock.advance(1);
    expect(queue.messageCount).toBe(0);
    expect(clock.pending).toBe(0);
    queue.enqueue(message('zero'), 0);
    expect(drain()).toEqual([]);
    const ch = new FakeChannel();
    queue.addConsumer(new Consumer('a', ch, queue, true, false, 0));
    queue.enqueue(message('zero'), 0);
    expect(ch.got.map(bodyOf)).toEqual(['zero']);
  });

  it('x-expires: goes unused after the expiry with no consumer; declares and gets restart the countdown', () => {
    const { queue, clock, unused } = makeQueue({ expires: 500 });
    clock.advance(400);
    queue.touch();
    clock.advance(400);
    queue.get();
    clock.advance(400);
    expect(unused).toEqual([]);
    const consumer = new Consumer('a', new FakeChannel(), queue, false, false, 0);
    queue.addConsumer(consumer);
    clock.advance(5000);
    expect(unused).toEqual([]);
    queue.removeConsumer(consumer);
    clock.advance(500);
    expect(unused).toEqual([queue]);
  });

  it('auto-delete: unused when its last consumer leaves; deletion cancels consumers and drops messages', () => {
    const { queue, unused } = makeQueue({ autoDelete: true });
    const ch = new FakeChannel(0);
    const a = new Consumer('a', ch, queue, false, false, 0);
    const b = new Consumer('b', ch, queue, false, false, 0);
    queue.addConsumer(a);
    queue.addConsumer(b);
    queue.removeConsumer(a);
    expect(unused).toEqual([]);
    queue.enqueue(message('m1'), undefined);
    expect(queue.delete()).toBe(1);
    expect(ch.cancelled).toEqual(['b']);
    queue.removeConsumer(b);
    expect(unused).toEqual([]);
  });

  it('purge drops ready messages and says how many', () => {
    const { queue } = makeQueue();
    for (const b of ['m1', 'm2', 'm3']) queue.enqueue(message(b), undefined);
    queue.get();
    expect(queue.purge()).toBe(2);
    expect(queue.messageCount).toBe(0);
  });
});
