/**
 * AckCoalescer against test/fakes' FakeChannel, which settles acks the way RabbitMQ does: a multiple ack settles
 * every unacked tag up to its own (open ones included) and any ack or reject of a tag that is not unacked is a
 * recorded 406 channel error. Flushes run when the test says (a manual schedule), like turns of the event loop.
 */
import { describe, expect, it } from 'vitest';
import { jsonProperties } from '../../../src/protocol/index.js';
import type { Delivery } from '../../../src/transport/index.js';
import { AckCoalescer } from '../../../src/worker/ack-coalescer.js';
import { FakeChannel, FakeTransport } from '../../fakes/fake-transport.js';

function setup() {
  const channel = new FakeChannel(new FakeTransport());
  let pending: (() => void) | undefined;
  let schedules = 0;
  const acks = new AckCoalescer(channel, {
    schedule: (flush) => {
      schedules++;
      pending = flush;
    },
  });
  const msgs: Delivery[] = [];
  void channel.consume('q', (msg) => {
    if (!msg) return;
    acks.track(msg);
    msgs.push(msg);
  });
  return {
    channel,
    acks,
    /** Deliver n messages; returns them (tags are consecutive from 1). */
    deliver(n: number): Delivery[] {
      const out: Delivery[] = [];
      for (let i = 0; i < n; i++) {
        channel.deliver('q', { content: Buffer.from('[]'), properties: jsonProperties() });
        out.push(msgs.at(-1)!);
      }
      return out;
    },
    /** End the event-loop turn: run the scheduled flush, if any. */
    endTurn() {
      const run = pending;
      pending = undefined;
      run?.();
    },
    get schedules() {
      return schedules;
    },
  };
}

describe('AckCoalescer', () => {
  it('sends the acks of one turn as one basic.ack(multiple=true), at the end of the turn', () => {
    const s = setup();
    const msgs = s.deliver(5);
    for (const m of msgs) expect(s.acks.ack(m)).toBe(true);
    expect(s.channel.ackFrames).toEqual([]);
    expect(s.schedules).toBe(1);
    s.endTurn();
    expect(s.channel.ackFrames).toEqual([{ tag: 5, multiple: true }]);
    expect(s.channel.acked).toEqual([1, 2, 3, 4, 5]);
    expect(s.acks.outstanding).toBe(0);
    expect(s.channel.errors).toEqual([]);
  });

  it('sends a lone ack as a plain ack, and each turn covers only its own tags', () => {
    const s = setup();
    const [a, b, c, d] = s.deliver(4);
    s.acks.ack(a!);
    s.endTurn();
    s.acks.ack(c!);
    s.acks.ack(b!);
    s.endTurn();
    s.acks.ack(d!);
    s.endTurn();
    expect(s.channel.ackFrames).toEqual([
      { tag: 1, multiple: false },
      { tag: 3, multiple: true },
      { tag: 4, multiple: false },
    ]);
    expect(s.channel.acked).toEqual([1, 2, 3, 4]);
    expect(s.channel.errors).toEqual([]);
  });

  it('never covers an open tag: acks behind a held (ETA) delivery go one by one', () => {
    const s = setup();
    const [held, ...rest] = s.deliver(4);
    for (const m of rest) s.acks.ack(m);
    s.endTurn();
    expect(s.channel.ackFrames).toEqual([2, 3, 4].map((tag) => ({ tag, multiple: false })));
    expect([...s.channel.unacked]).toEqual([1]);
    // the ETA comes: the held one is acked alone; the ones behind it are long settled
    const later = s.deliver(2);
    s.acks.ack(held!);
    s.endTurn();
    expect(s.channel.ackFrames.at(-1)).toEqual({ tag: 1, multiple: false });
    for (const m of later) s.acks.ack(m);
    s.endTurn();
    expect(s.channel.ackFrames.at(-1)).toEqual({ tag: 6, multiple: true });
    expect(s.channel.acked.sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(s.channel.errors).toEqual([]);
  });

  it('acks the prefix up to an open tag as one multiple ack, and the acked ones after it singly', () => {
    const s = setup();
    const [a, b, open, d, e] = s.deliver(5);
    for (const m of [e!, a!, d!, b!]) s.acks.ack(m);
    s.endTurn();
    expect(s.channel.ackFrames).toEqual([
      { tag: 2, multiple: true },
      { tag: 5, multiple: false },
      { tag: 4, multiple: false },
    ]);
    expect([...s.channel.unacked]).toEqual([open!.fields.deliveryTag]);
    expect(s.channel.errors).toEqual([]);
  });

  it('sends a reject at once; a later multiple ack may span it, never target it', () => {
    const s = setup();
    const [a, b, c] = s.deliver(3);
    s.acks.ack(a!);
    expect(s.acks.reject(b!, false)).toBe(true);
    expect(s.channel.rejected).toEqual([{ tag: 2, requeue: false }]);
    s.acks.ack(c!);
    s.endTurn();
    expect(s.channel.ackFrames).toEqual([{ tag: 3, multiple: true }]);
    expect(s.channel.acked).toEqual([1, 3]);
    expect(s.channel.errors).toEqual([]);
  });

  it('a rejected last tag ends the prefix before it: the multiple ack targets the last acked one', () => {
    const s = setup();
    const [a, b, c] = s.deliver(3);
    s.acks.ack(a!);
    s.acks.ack(b!);
    s.acks.reject(c!, true);
    s.endTurn();
    expect(s.channel.ackFrames).toEqual([{ tag: 2, multiple: true }]);
    expect(s.channel.rejected).toEqual([{ tag: 3, requeue: true }]);
    expect(s.channel.errors).toEqual([]);
  });

  it('refuses to settle a tag twice: double ack, ack after reject, reject after ack (flushed or not)', () => {
    const s = setup();
    const [a, b, c] = s.deliver(3);
    expect(s.acks.ack(a!)).toBe(true);
    expect(s.acks.ack(a!)).toBe(false);
    expect(s.acks.reject(a!, false)).toBe(false); // its ack is already on the way
    expect(s.acks.reject(b!, false)).toBe(true);
    expect(s.acks.ack(b!)).toBe(false);
    s.endTurn();
    expect(s.acks.ack(a!)).toBe(false);
    expect(s.acks.reject(a!, true)).toBe(false);
    expect(s.acks.ack(c!)).toBe(true);
    s.endTurn();
    expect(s.channel.ackFrames).toEqual([
      { tag: 1, multiple: false },
      { tag: 3, multiple: false },
    ]);
    expect(s.channel.errors).toEqual([]);
  });

  it('ignores tags it never saw', () => {
    const s = setup();
    s.deliver(2);
    const stranger = { fields: { deliveryTag: 99 } } as Delivery;
    expect(s.acks.ack(stranger)).toBe(false);
    expect(s.acks.reject(stranger, false)).toBe(false);
    s.endTurn();
    expect(s.channel.ackFrames).toEqual([]);
    expect(s.channel.rejected).toEqual([]);
  });

  it('acks-late interleaving: a running task keeps its tag open while later early-acked tasks settle', () => {
    const s = setup();
    const [late, e1, e2] = s.deliver(3);
    s.acks.ack(e1!);
    s.acks.ack(e2!);
    s.endTurn();
    expect(s.channel.ackFrames).toEqual([
      { tag: 2, multiple: false },
      { tag: 3, multiple: false },
    ]);
    const [e3, e4] = s.deliver(2);
    s.acks.ack(e3!);
    s.acks.ack(late!); // the acks-late task finished in the same turn
    s.acks.ack(e4!);
    s.endTurn();
    expect(s.channel.ackFrames.slice(2)).toEqual([{ tag: 5, multiple: true }]);
    expect(s.channel.unacked.size).toBe(0);
    expect(s.channel.errors).toEqual([]);
  });

  it('after reset (the channel died) nothing is sent, even by a flush already scheduled', () => {
    const s = setup();
    const msgs = s.deliver(3);
    for (const m of msgs) s.acks.ack(m);
    s.acks.reset();
    s.endTurn();
    expect(s.channel.ackFrames).toEqual([]);
    expect(s.acks.ack(msgs[0]!)).toBe(false);
    expect(s.acks.outstanding).toBe(0);
  });

  it('finds tags across gaps and after compaction', () => {
    const sent: { tag: number; multiple: boolean }[] = [];
    const acks = new AckCoalescer(
      { ack: (m, multiple) => sent.push({ tag: m.fields.deliveryTag, multiple }), reject: () => {} },
      { schedule: () => {} },
    );
    const msg = (tag: number) => ({ fields: { deliveryTag: tag } }) as Delivery;
    const all = [1, 2, 5, 6, 9, ...Array.from({ length: 3000 }, (_, i) => 10 + i)].map(msg);
    for (const m of all) acks.track(m);
    expect(acks.ack(msg(5))).toBe(true);
    expect(acks.ack(msg(4))).toBe(false);
    acks.flush();
    expect(sent).toEqual([{ tag: 5, multiple: false }]);
    for (const m of all.slice(0, 2000)) acks.ack(m);
    acks.flush(); // compacts the settled front
    expect(sent.at(-1)).toEqual({ tag: all[1999]!.fields.deliveryTag, multiple: true });
    expect(acks.ack(msg(2500))).toBe(true);
    expect(acks.ack(msg(1))).toBe(false);
    acks.flush();
    expect(sent.at(-1)).toEqual({ tag: 2500, multiple: false });
    expect(acks.outstanding).toBe(all.length - 2001);
  });

  it('a delivery held open for long (an ETA a month away) does not keep the settled ones behind it in memory', () => {
    const t = setup();
    const [held] = t.deliver(1);
    let middle: Delivery | undefined;
    for (let turn = 0; turn < 500; turn++) {
      const batch = t.deliver(20);
      if (turn === 250) middle = batch[7]; // a second one held open, in the middle of the compacted entries
      for (const m of batch) if (m !== middle) t.acks.ack(m);
      if (turn % 3 === 0) t.acks.reject(t.deliver(1)[0]!, false);
      t.endTurn();
      expect(t.acks.retained).toBeLessThan(2 * 1024 + 64);
    }
    expect(t.acks.outstanding).toBe(2);
    // The two held ones are still found and settled; a later multiple ack spans the dropped entries safely.
    expect(t.acks.ack(middle!)).toBe(true);
    expect(t.acks.ack(held!)).toBe(true);
    t.endTurn();
    for (const m of t.deliver(3)) t.acks.ack(m);
    t.endTurn();
    expect(t.channel.errors).toEqual([]);
    expect(t.channel.unacked.size).toBe(0);
    expect(t.acks.retained).toBe(0);
  });

  it('random interleavings never ack a tag nobody asked to ack, never hit a 406, and settle everything', () => {
    let seed = 42; // mulberry32: the same interleavings on every run
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    for (let round = 0; round < 200; round++) {
      const s = setup();
      const asked = new Set<number>();
      const rejected = new Set<number>();
      const open: Delivery[] = [];
      let checked = 0;
      let ops = 0;
      while (ops++ < 300) {
        const r = random();
        if (r < 0.35) open.push(...s.deliver(1 + Math.floor(random() * 4)));
        else if (r < 0.75 && open.length > 0) {
          const m = open.splice(Math.floor(random() * open.length), 1)[0]!;
          s.acks.ack(m);
          asked.add(m.fields.deliveryTag);
        } else if (r < 0.82 && open.length > 0) {
          const m = open.splice(Math.floor(random() * open.length), 1)[0]!;
          s.acks.reject(m, random() < 0.5);
          rejected.add(m.fields.deliveryTag);
        } else if (r < 0.86 && asked.size > 0) {
          // a second ack or a reject of a settled tag must be refused, not sent
          const tag = [...asked][Math.floor(random() * asked.size)]!;
          const m = { fields: { deliveryTag: tag } } as Delivery;
          expect(random() < 0.5 ? s.acks.ack(m) : s.acks.reject(m, false)).toBe(false);
        } else s.endTurn();
        // the broker never settled by ack a tag the worker did not ack (an open ETA tag, a rejected one)
        for (; checked < s.channel.acked.length; checked++) {
          const tag = s.channel.acked[checked]!;
          if (!asked.has(tag)) expect.fail(`round ${round}: tag ${tag} was acked by a multiple ack but never asked for`);
        }
        if (s.channel.errors.length > 0) expect.fail(`round ${round}: ${s.channel.errors.join('; ')}`);
      }
      for (const m of open.splice(0)) {
        s.acks.ack(m);
        asked.add(m.fields.deliveryTag);
      }
      s.endTurn();
      expect(s.channel.unacked.size).toBe(0);
      expect(new Set(s.channel.acked)).toEqual(asked);
      expect(new Set(s.channel.rejected.map((r) => r.tag))).toEqual(rejected);
      expect(s.channel.acked.length).toBe(asked.size);
      expect(s.channel.errors).toEqual([]);
    }
  });
});
