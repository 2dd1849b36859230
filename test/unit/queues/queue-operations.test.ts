import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTaskMessage } from '../../../src/protocol/task-message.js';
import { moveMessages } from '../../../src/queues/move.js';
import { peekQueue, quorumRefusal } from '../../../src/queues/peek.js';
import { purgeSelected } from '../../../src/queues/purge.js';
import { parseSavedLine, readSavedMessages, savedLine, SavedMessageWriter, isBadLine } from '../../../src/queues/saved-messages.js';
import { selectMessage } from '../../../src/queues/message-selector.js';
import { parseDuration } from '../../../src/queues/duration.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { FakeTransport } from '../../fakes/fake-transport.js';

function task(name: string, args: unknown[] = [], extra: { id?: string } = {}) {
  const m = buildTaskMessage({ name, args, ...extra });
  return { content: m.content, properties: m.properties };
}

async function connected(): Promise<FakeTransport> {
  return new FakeTransport().connect();
}

/** A transport with `count` tasks.add waiting on 'dlq', and 'work' (holding one tasks.noop) to move them to. */
async function dlqAndWork(count: number): Promise<FakeTransport> {
  const transport = await connected();
  for (let i = 0; i < count; i++) transport.enqueue('dlq', task('tasks.add', [i]));
  transport.enqueue('work', task('tasks.noop'));
  return transport;
}

const tmp = () => mkdtempSync(join(tmpdir(), 'camq-queues-'));

describe('peekQueue', () => {
  it('decodes tasks, shows other messages raw, and returns every message it took', async () => {
    const transport = await connected();
    transport.enqueue('q', task('tasks.add', [1, 2], { id: 'a' }));
    transport.enqueue('q', { content: Buffer.from('hello \xff'), properties: { contentType: 'text/plain' } });
    transport.enqueue('q', task('tasks.noop', [], { id: 'c' }));
    const result = await peekQueue(transport, 'q', { count: 2 });
    expect(result.messages.map((m) => m.kind)).toEqual(['task', 'raw']);
    const [first, second] = result.messages;
    expect(first).toMatchObject({ kind: 'task', name: 'tasks.add', id: 'a', args: [1, 2], kwargs: {}, position: 1 });
    expect(second).toMatchObject({ kind: 'raw', contentType: 'text/plain', position: 2 });
    const channel = transport.channels[0]!;
    expect(channel.rejected).toEqual([
      { tag: 1, requeue: true },
      { tag: 2, requeue: true },
    ]);
    expect(channel.acked).toEqual([]);
  });

  it('says why a quorum queue is refused, naming the delivery limit when known', () => {
    expect(quorumRefusal('dlq', { type: 'quorum', deliveryLimit: 3 })).toContain('x-delivery-limit=3');
    expect(quorumRefusal('dlq', { type: 'quorum', deliveryLimit: 'unknown' })).toContain('--force');
  });

  it('peeks when the type cannot be probed (no configure permission), calling the type unknown', async () => {
    const transport = await connected();
    transport.enqueue('q', task('tasks.add', [1], { id: 'a' }));
    transport.refusedQueues.add('q');
    const result = await peekQueue(transport, 'q', { count: 5 });
    expect(result.kind).toEqual({ type: 'unknown', deliveryLimit: 'unknown' });
    expect(result.messages).toHaveLength(1);
  });

  it('rejects an unknown queue with the broker’s 404', async () => {
    const transport = await connected();
    await expect(peekQueue(transport, 'nope', { count: 1 })).rejects.toMatchObject({ code: 'broker.not-found' });
  });
});

describe('purgeSelected', () => {
  it('saves and acks the selected messages (after the fsync), returns the others', async () => {
    const transport = await connected();
    transport.enqueue('q', task('tasks.add', [1], { id: 'a1' }));
    transport.enqueue('q', task('tasks.noop', [], { id: 'n1' }));
    transport.enqueue('q', task('tasks.add', [2], { id: 'a2' }));
    const file = join(tmp(), 'saved.jsonl');
    const writer = await SavedMessageWriter.open(file);
    const result = await purgeSelected(transport, 'q', { selector: { tasks: ['tasks.add'] }, writer });
    await writer.close();
    expect(result).toMatchObject({ scanned: 3, removed: 2, kept: 1 });
    const channel = transport.channels[0]!;
    expect(channel.acked).toEqual([1, 3]);
    expect(channel.rejected).toEqual([{ tag: 2, requeue: true }]);
    const { messages, bad } = await readSavedMessages(file);
    expect(bad).toEqual([]);
    expect(messages.map((m) => m.saved.id)).toEqual(['a1', 'a2']);
  });

  it('takes nothing on a dry run', async () => {
    const transport = await connected();
    transport.enqueue('q', task('tasks.add', [1], { id: 'a1' }));
    transport.enqueue('q', task('tasks.noop', [], { id: 'n1' }));
    const result = await purgeSelected(transport, 'q', { selector: { ids: ['n1'] }, dryRun: true });
    expect(result.removed).toBe(1);
    expect(result.selected.map((m) => (m.kind === 'task' ? m.id : null))).toEqual(['n1']);
    expect(transport.channels[0]!.acked).toEqual([]);
    expect(transport.channels[0]!.rejected).toHaveLength(2);
  });
});

describe('saved messages', () => {
  it('round-trips body bytes and properties, byte-array headers included', () => {
    const delivery = {
      content: Buffer.from([0, 1, 2, 255]),
      properties: {
        contentType: 'application/octet-stream',
        headers: { n: 3, s: 'x', b: Buffer.from('raw'), nested: [{ t: 1.5 }] },
        priority: 4,
        deliveryMode: 2,
      },
      fields: { exchange: 'ex', routingKey: 'rk', redelivered: false, deliveryTag: 1 },
    };
    const back = parseSavedLine(savedLine(delivery, 'q', new Date(0)), 1);
    if (isBadLine(back)) throw new Error(back.problem);
    expect(back.content).toEqual(delivery.content);
    expect(back.properties).toEqual(delivery.properties);
  });

  it('names each bad line and what is wrong with it', async () => {
    const file = join(tmp(), 'bad.jsonl');
    const good = savedLine(
      { content: Buffer.from('{}'), properties: {}, fields: { exchange: '', routingKey: 'q', redelivered: false, deliveryTag: 1 } },
      'q',
      new Date(0),
    );
    writeFileSync(file, [good, '{not json', '[]', '{"v":2}', good.replace('"body":"e30="', '"body":"%%"'), ''].join('\n'));
    const { messages, bad } = await readSavedMessages(file);
    expect(messages).toHaveLength(1);
    expect(bad.map((b) => b.line)).toEqual([2, 3, 4, 5]);
    expect(bad.map((b) => b.problem)).toEqual([
      expect.stringContaining('not JSON'),
      'not a JSON object',
      'format version 2 is not 1',
      'body is not base64 text',
    ]);
    expect(readFileSync(file, 'utf8')).toContain('{not json');
  });
});

describe('moveMessages', () => {
  it('refuses a missing target before taking anything', async () => {
    const transport = await connected();
    transport.enqueue('dlq', task('tasks.add'));
    await expect(moveMessages(transport, 'dlq', 'gone')).rejects.toMatchObject({ code: 'queues.target-missing' });
    expect(transport.channels.flatMap((c) => c.unacked.size > 0 || c.acked.length > 0)).not.toContain(true);
    expect(transport.queues.get('dlq')).toHaveLength(1);
  });

  it('publishes each message to the target and acks the source after its confirm, with multiple=true', async () => {
    const transport = await dlqAndWork(3);
    const moving = moveMessages(transport, 'dlq', 'work', { window: 10 });
    await new Promise((r) => setTimeout(r, 10));
    const channel = transport.consumerOf('dlq');
    for (const message of transport.queues.get('dlq')!.splice(0)) channel.deliver('dlq', message);
    const result = await moving;
    expect(result.moved).toBe(3);
    expect(channel.to({ routingKey: 'work' }).map((p) => (p.body as unknown[])[0])).toEqual([[0], [1], [2]]);
    expect(channel.ackFrames.every((f) => f.multiple)).toBe(true);
    expect(channel.acked).toEqual([1, 2, 3]);
  });

  it('stops without acking when the broker returns a copy (no queue took it), before its confirm', async () => {
    const transport = await dlqAndWork(2);
    const moving = moveMessages(transport, 'dlq', 'work', { window: 10 });
    await new Promise((r) => setTimeout(r, 10));
    const channel = transport.consumerOf('dlq');
    const [first] = transport.queues.get('dlq')!.splice(0, 1);
    channel.deliver('dlq', first!);
    // RabbitMQ sends basic.return before the confirm of the same message.
    channel.emit('return', {
      content: first!.content,
      properties: first!.properties,
      fields: { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: 'work' },
    });
    await expect(moving).rejects.toMatchObject({ code: 'queues.move-failed', message: expect.stringContaining("no queue 'work' took it") });
    expect(channel.acked).toEqual([]);
  });

  it('gives up, saying why, when the broker delivers nothing while messages are ready (another active consumer)', async () => {
    const transport = await dlqAndWork(3);
    const clock = new ManualClock();
    const outcome = moveMessages(transport, 'dlq', 'work', { clock }).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 10));
    for (let s = 0; s < 11; s++) {
      clock.advance(1000);
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await outcome).toMatchObject({
      code: 'queues.move-failed',
      message: expect.stringContaining("the broker delivered nothing from 'dlq' for 10 s although 3 messages are ready"),
    });
  });

  it('moves only the named tasks and returns the others', async () => {
    const transport = await connected();
    transport.enqueue('dlq', task('tasks.add', [1]));
    transport.enqueue('dlq', task('tasks.noop'));
    transport.enqueue('work', task('tasks.noop'));
    const result = await moveMessages(transport, 'dlq', 'work', { selector: { tasks: ['tasks.add'] } });
    expect(result).toMatchObject({ moved: 1, kept: 1 });
    const channel = transport.channels.find((c) => c.published.length > 0)!;
    expect(channel.published.map((p) => p.headers['task'])).toEqual(['tasks.add']);
    expect(channel.rejected).toEqual([{ tag: 2, requeue: true }]);
  });

  it('refuses to move a queue to itself', async () => {
    await expect(moveMessages(await connected(), 'q', 'q')).rejects.toMatchObject({ code: 'queues.same-queue' });
  });
});

describe('selectors', () => {
  it('reads durations and judges age only with a timestamp', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('2')).toBe(2000);
    expect(parseDuration('soon')).toBeUndefined();
    const at = (timestamp?: number) => ({
      content: Buffer.from('x'),
      properties: timestamp === undefined ? {} : { timestamp },
      fields: { exchange: '', routingKey: 'q', redelivered: false, deliveryTag: 1 },
    });
    expect(selectMessage({ olderThanMs: 60_000 }, at(), 1_000_000)).toBe('undated');
    expect(selectMessage({ olderThanMs: 60_000 }, at(100), 1_000_000)).toBe('match');
    expect(selectMessage({ olderThanMs: 60_000 }, at(990), 1_000_000)).toBe('no-match');
  });
});
