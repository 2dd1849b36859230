/**
 * The Recorder on the shared in-memory transport (test/fakes/fake-transport.ts) with a real journal in a temporary
 * directory: its queue's declaration, acks only after the journal wrote, a redelivery skipped, a journal that stops
 * writing stops consuming without acking. The same recorder runs against RabbitMQ, the embedded broker and a Python
 * worker in test/integration/journal/recorder.int.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openJournal, readJournal, type Journal } from '../../../src/journal/index.js';
import { buildEvent, buildEventMessage } from '../../../src/protocol/event-message.js';
import { Recorder, RECORDER_QUEUE } from '../../../src/recorder/index.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { FakeTransport, type FakeChannel } from '../../fakes/fake-transport.js';

const dirs: string[] = [];
const journals: Journal[] = [];
afterEach(() => {
  for (const j of journals.splice(0)) j.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const NOW = Date.now();
let clock = 1;

function taskMessage(type: 'task-received' | 'task-succeeded', uuid: string): ReturnType<typeof buildEventMessage> {
  const source = { hostname: 'w1@h', pid: 42, clock: () => clock++, utcoffset: 0, now: () => NOW };
  return buildEventMessage([buildEvent(type, { uuid, name: 'tasks.add' }, source)]);
}

async function started(journal?: Journal) {
  const dir = mkdtempSync(join(tmpdir(), 'camq-recorder-'));
  dirs.push(dir);
  const j = journal ?? openJournal({ dir, flushIntervalMs: 60_000 });
  journals.push(j);
  const transport = new FakeTransport();
  const manual = new ManualClock(NOW);
  const recorder = new Recorder({ connection: transport, journal: j, clock: manual, prefetch: 100 });
  await recorder.start();
  await transport.connect();
  const channel = transport.channels.find((c) => c.consumers.size > 0) as FakeChannel;
  return { dir, journal: j, transport, clock: manual, recorder, channel };
}

describe('Recorder', () => {
  it('declares a durable, bounded queue bound to celeryev with # and consumes it with acks', async () => {
    const { transport, channel } = await started();
    expect(transport.queueOptions.get(RECORDER_QUEUE)).toMatchObject({
      durable: true,
      exclusive: false,
      autoDelete: false,
      arguments: { 'x-max-length': 1_000_000, 'x-message-ttl': 259_200_000 },
    });
    expect(channel.declared).toContain(`bind:celeryev->${RECORDER_QUEUE}:#`);
    expect(channel.prefetches).toEqual([{ count: 100, global: false }]);
  });

  it('acks a delivery only after the journal wrote its events, with one multiple ack per flush', async () => {
    const { dir, clock: manual, channel, recorder } = await started();
    channel.deliver(RECORDER_QUEUE, taskMessage('task-received', 'a'));
    channel.deliver(RECORDER_QUEUE, taskMessage('task-succeeded', 'a'));
    expect(channel.unacked.size).toBe(2);
    expect(readJournal(dir).events()).toEqual([]);
    manual.advance(200);
    expect(channel.unacked.size).toBe(0);
    expect(channel.ackFrames).toHaveLength(1);
    expect(channel.ackFrames[0]!.multiple).toBe(true);
    expect(
      readJournal(dir)
        .tasks()
        .map((t) => [t.uuid, t.state]),
    ).toEqual([['a', 'SUCCESS']]);
    expect(recorder.stats).toMatchObject({ deliveries: 2, events: 2, written: 2, acked: 2 });
  });

  it('a redelivered event already in the journal is acked and not written again', async () => {
    const { dir, clock: manual, channel, recorder } = await started();
    const message = taskMessage('task-received', 'b');
    channel.deliver(RECORDER_QUEUE, message);
    manual.advance(200);
    channel.deliver(RECORDER_QUEUE, { ...message, redelivered: true });
    manual.advance(200);
    expect(channel.unacked.size).toBe(0);
    expect(recorder.stats).toMatchObject({ events: 2, written: 1, duplicates: 1, acked: 2 });
    expect(readJournal(dir).events()).toHaveLength(1);
  });

  it('a delivery that is not an event is acked and reported', async () => {
    const { clock: manual, channel, recorder } = await started();
    const problems: string[] = [];
    recorder.on('decode-error', (reason) => problems.push(reason));
    channel.deliver(RECORDER_QUEUE, { content: Buffer.from('not json'), properties: { contentType: 'application/json' } });
    manual.advance(200);
    expect(problems).toHaveLength(1);
    expect(channel.unacked.size).toBe(0);
  });

  it('a journal that stops writing stops the consumer and acks nothing', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'camq-recorder-'));
    dirs.push(parent);
    const blocked = join(parent, 'file');
    writeFileSync(blocked, 'x');
    const off = openJournal({ dir: join(blocked, 'j') });
    const { clock: manual, channel, recorder } = await started(off);
    const reasons: string[] = [];
    recorder.on('journal-disabled', (reason) => reasons.push(reason));
    channel.deliver(RECORDER_QUEUE, taskMessage('task-received', 'c'));
    manual.advance(200);
    manual.advance(200);
    expect(reasons).toEqual([expect.stringMatching(/^journal off: cannot write/)]);
    expect(channel.unacked.size).toBe(1);
    expect(channel.consumers.size).toBe(0);
  });

  it('stop writes and acks what was received', async () => {
    const { dir, channel, recorder } = await started();
    channel.deliver(RECORDER_QUEUE, taskMessage('task-received', 'd'));
    await recorder.stop();
    expect(channel.acked).toHaveLength(1);
    expect(readJournal(dir).events()).toHaveLength(1);
  });
});
