/**
 * The queue operations (issue 12) on RabbitMQ and on the embedded broker (`camq broker`), the same scenarios held to
 * the same results, with Python Celery 5 as the producer and the consumer:
 * - a peek of 1,000 messages sent by `apply_async` shows each field as Python set it, leaves bodies and order as
 *   they were, and a Python worker then runs each task exactly once;
 * - a selective purge by task name while a Python worker consumes the queue: each named task is saved or ran, never
 *   both, never neither; every other task ran exactly once;
 * - `camq queues move` killed with SIGKILL mid-way and run again: every message present at least once (the
 *   duplicates are counted and printed).
 * Each test uses queues of its own and deletes them.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { HeaderValue, MessageProperties } from '../../../src/protocol/amqp-message.js';
import { moveMessages } from '../../../src/queues/move.js';
import { peekQueue } from '../../../src/queues/peek.js';
import type { PeekedTask } from '../../../src/queues/peeked-message.js';
import { purgeSelected } from '../../../src/queues/purge.js';
import { readSavedMessages, SavedMessageWriter } from '../../../src/queues/saved-messages.js';
import { createTransport } from '../../../src/transport/index.js';
import type { Transport } from '../../../src/transport/index.js';
import { brokerTargets, describeBrokers } from '../../helpers/brokers.js';
import { deleteQueues } from '../../helpers/camq-worker.js';
import { runBin, ROOT } from '../../helpers/run-bin.js';
import { runPython, startPythonWorker, usePythonCelery, type PythonWorker } from '../../helpers/python-celery.js';

const hasPython = await usePythonCelery('the queue operation tests are skipped');
const targets = hasPython ? await brokerTargets({ embedded: 'child-process' }) : [];

interface Sent {
  readonly id: string;
  readonly task: string;
  readonly eta: string | null;
  readonly expires: string | null;
}

/** Send `count` tasks with apply_async from Python; what Python's headers said, in send order. */
async function sendFromPython(url: string, queue: string, script: string): Promise<Sent[]> {
  const out = await runPython(
    url,
    `import json
from celery.signals import before_task_publish
from tasks import app, add, noop
Q = ${JSON.stringify(queue)}
sent = []
@before_task_publish.connect
def record(sender=None, headers=None, **kw):
    sent.append({'id': headers['id'], 'task': headers['task'], 'eta': headers['eta'], 'expires': headers['expires']})
with app.producer_or_acquire() as producer:
${script
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
print(json.dumps(sent))`,
    { timeoutMs: 120_000 },
  );
  return JSON.parse(out) as Sent[];
}

/** A Python ISO date (microseconds) as epoch ms. */
function pythonMs(iso: string): number {
  return Date.parse(iso.replace(/(\.\d{3})\d+/, '$1'));
}

/** The ids the worker logged as succeeded, each with how many times. */
function succeeded(worker: PythonWorker): Map<string, number> {
  const runs = new Map<string, number>();
  for (const m of worker.output().matchAll(/Task tasks\.\w+\[([0-9a-f-]+)\] succeeded/g)) runs.set(m[1]!, (runs.get(m[1]!) ?? 0) + 1);
  return runs;
}

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function withTransport<T>(url: string, fn: (t: Transport) => Promise<T>): Promise<T> {
  const transport = await createTransport(url, { reconnect: false }).connect();
  try {
    return await fn(transport);
  } finally {
    await transport.close();
  }
}

/** `from` and `to` declared, and `count` persistent messages `{"n": i}` in `from`. */
async function fillQueue(url: string, from: string, to: string, count: number): Promise<void> {
  await withTransport(url, async (transport) => {
    const channel = await transport.openChannel({ confirm: true });
    await channel.assertQueue(from, { durable: true });
    await channel.assertQueue(to, { durable: true });
    for (let n = 0; n < count; n++) {
      if (!channel.publish('', from, Buffer.from(JSON.stringify({ n })), { contentType: 'application/json', deliveryMode: 2 })) {
        await new Promise<void>((r) => channel.once('drain', () => r()));
      }
    }
    await channel.waitForConfirms();
    await channel.close();
  });
}

async function readyCount(transport: Transport, queue: string): Promise<number> {
  const channel = await transport.openChannel();
  try {
    return (await channel.checkQueue(queue)).messageCount;
  } finally {
    await channel.close();
  }
}

describeBrokers('camq queues peek, purge and move', targets, ({ name, url, inspector }) => {
  it('peeks 1,000 tasks sent by Python: every field as apply_async set it, nothing lost or reordered; a worker then runs each once', async () => {
    const queue = `camq-test-peek-${randomUUID()}`;
    let worker: PythonWorker | undefined;
    try {
      const sent = await sendFromPython(
        url,
        queue,
        `for i in range(1000):
    add.apply_async((i,), {'y': i % 7}, countdown=(1 if i % 2 else None), expires=600, priority=i % 10, queue=Q, ignore_result=True, producer=producer)`,
      );
      expect(sent).toHaveLength(1000);
      await withTransport(url, async (transport) => {
        const first = await peekQueue(transport, queue, { count: 1000 });
        expect(first.kind.type).toBe('classic');
        expect(first.messages).toHaveLength(1000);
        first.messages.forEach((m, i) => {
          expect(m.kind).toBe('task');
          const task = m as PeekedTask;
          expect(task).toMatchObject({
            name: 'tasks.add',
            id: sent[i]!.id,
            args: [i],
            kwargs: { y: i % 7 },
            priority: i % 10,
            retries: 0,
            rootId: sent[i]!.id,
            parentId: null,
            redelivered: false,
          });
          if (i % 2) expect(Math.abs(Date.parse(task.eta!) - pythonMs(sent[i]!.eta!))).toBeLessThanOrEqual(1);
          else expect(task.eta).toBeNull();
          expect(Math.abs(Date.parse(task.expires!) - pythonMs(sent[i]!.expires!))).toBeLessThanOrEqual(1);
        });
        // A second peek sees the same bodies in the same order (now marked redelivered).
        const second = await peekQueue(transport, queue, { count: 1000 });
        expect(second.messages.map((m) => m.body)).toEqual(first.messages.map((m) => m.body));
        expect(second.messages.every((m) => m.redelivered)).toBe(true);
        // The broker requeues them asynchronously: a passive declare on another channel may see the count rise.
        await until('all 1,000 back', async () => (await readyCount(transport, queue)) === 1000, 5000);
      });
      worker = await startPythonWorker({ brokerUrl: url, nodename: `peek-${randomUUID().slice(0, 8)}@%h`, queues: queue, concurrency: 2 });
      await until('the worker to run 1,000 tasks', () => succeeded(worker!).size >= 1000, 90_000);
      await new Promise((r) => setTimeout(r, 500));
      const runs = succeeded(worker);
      expect(sent.filter((s) => runs.get(s.id) !== 1)).toEqual([]);
      expect(runs.size).toBe(1000);
    } finally {
      await worker?.stop();
      await deleteQueues(url, [queue]);
    }
  }, 180_000);

  it('purges one task by name while a Python worker consumes the queue: each is saved or ran, never both, never neither', async () => {
    const queue = `camq-test-purge-${randomUUID()}`;
    const file = join(mkdtempSync(join(tmpdir(), 'camq-purge-')), 'saved.jsonl');
    let worker: PythonWorker | undefined;
    try {
      // The worker declares the queue and consumes it before anything is sent.
      worker = await startPythonWorker({ brokerUrl: url, nodename: `purge-${randomUUID().slice(0, 8)}@%h`, queues: queue, concurrency: 2 });
      const sent = await sendFromPython(
        url,
        queue,
        `for i in range(1000):
    (noop.apply_async((), queue=Q, ignore_result=True, producer=producer) if i % 2 else add.apply_async((i, 1), queue=Q, ignore_result=True, producer=producer))`,
      );
      const writer = await SavedMessageWriter.open(file);
      const result = await withTransport(url, (t) => purgeSelected(t, queue, { selector: { tasks: ['tasks.noop'] }, writer }));
      await writer.close();
      const saved = new Set((await readSavedMessages(file)).messages.map((m) => m.saved.id));
      const named = sent.filter((s) => s.task === 'tasks.noop').map((s) => s.id);
      const others = sent.filter((s) => s.task === 'tasks.add').map((s) => s.id);
      // 1,000 tasks take the worker ~3 s; the long wait is for a loaded CI machine, and a timeout says what is missing.
      const missing = () => {
        const runs = succeeded(worker!);
        return { others: others.filter((id) => !runs.has(id)).length, named: named.filter((id) => !runs.has(id) && !saved.has(id)).length };
      };
      await until('every task to be run or saved', () => missing().others + missing().named === 0, 120_000).catch(async (err: Error) => {
        // Where the missing are: still in the queue (ready: nobody took them; unacked: a consumer holds them) or gone.
        const view = await inspector.queue(queue).catch(() => undefined);
        const where = view ? `the queue has ${view.messages} ready, ${view.unacked} unacked, ${view.consumers} consumers` : 'the queue is gone';
        throw new Error(
          `${err.message}: not run ${JSON.stringify(missing())}; purge ${JSON.stringify({ scanned: result.scanned, removed: result.removed, kept: result.kept })}; ${where}; worker's last lines:\n${worker!.output().split('\n').slice(-15).join('\n')}`,
        );
      });
      await new Promise((r) => setTimeout(r, 500));
      const runs = succeeded(worker);
      expect(named.filter((id) => runs.has(id) && saved.has(id))).toEqual([]);
      expect(named.filter((id) => !runs.has(id) && !saved.has(id))).toEqual([]);
      expect(others.filter((id) => runs.get(id) !== 1)).toEqual([]);
      expect(named.filter((id) => (runs.get(id) ?? 0) > 1)).toEqual([]);
      expect(saved.size).toBe(result.removed);
      console.log(
        `[${name}] concurrent selective purge: ${result.removed} noop saved, ${named.length - result.removed} ran, scanned ${result.scanned}`,
      );
    } finally {
      await worker?.stop();
      await deleteQueues(url, [queue]);
    }
  }, 180_000);

  it('a move killed with SIGKILL mid-way and run again loses nothing (duplicates counted)', async () => {
    const from = `camq-test-move-from-${randomUUID()}`;
    const to = `camq-test-move-to-${randomUUID()}`;
    const total = 5000;
    try {
      await fillQueue(url, from, to, total);
      // The first run, killed as soon as the target holds some messages.
      const child = spawn(process.execPath, [`${ROOT}bin/camq`, 'queues', 'move', from, to, '-b', url, '--window', '100'], {
        stdio: 'ignore',
      });
      const exited = new Promise((r) => child.once('exit', r));
      await withTransport(url, async (transport) => {
        await until('the move to start', async () => (await readyCount(transport, to)) >= 500, 30_000);
      });
      child.kill('SIGKILL');
      await exited;
      const left = await withTransport(url, async (transport) => {
        // The broker requeues the killed connection's unacked messages; give it a moment.
        await new Promise((r) => setTimeout(r, 300));
        return readyCount(transport, from);
      });
      expect(left, 'the first run was killed before it finished').toBeGreaterThan(0);
      const again = await runBin('camq', ['queues', 'move', from, to, '-b', url], { timeoutMs: 60_000 });
      expect(again.code, again.stderr).toBe(0);
      const counts = await withTransport(url, async (transport) => {
        expect(await readyCount(transport, from)).toBe(0);
        const channel = await transport.openChannel();
        const seen = new Map<number, number>();
        for (;;) {
          const message = await channel.get(to, { noAck: true });
          if (message === false) break;
          const { n } = JSON.parse(message.content.toString()) as { n: number };
          seen.set(n, (seen.get(n) ?? 0) + 1);
        }
        await channel.close();
        return seen;
      });
      const missing = [...Array(total).keys()].filter((n) => !counts.has(n));
      expect(missing).toEqual([]);
      const copies = [...counts.values()].reduce((a, b) => a + b, 0);
      console.log(`[${name}] move killed with SIGKILL after ${total - left} of ${total} left the source: ${copies - total} duplicates, 0 missing`);
      expect(copies - total).toBeLessThanOrEqual(100);
    } finally {
      await deleteQueues(url, [from, to]);
    }
  }, 120_000);

  it('a move whose target is deleted mid-way stops at the first copy the broker returns', async () => {
    const from = `camq-test-move-gone-${randomUUID()}`;
    const to = `camq-test-move-gone-to-${randomUUID()}`;
    const total = 10_000;
    try {
      await fillQueue(url, from, to, total);
      const child = spawn(process.execPath, [`${ROOT}bin/camq`, 'queues', 'move', from, to, '-b', url, '--window', '20'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', r));
      await withTransport(url, async (transport) => {
        await until('the move to start', async () => (await readyCount(transport, to)) >= 200, 30_000);
        const channel = await transport.openChannel();
        await channel.deleteQueue(to);
        await channel.close();
      });
      expect(await exited).toBe(1);
      expect(stderr).toMatch(new RegExp(`the broker returned a copy: no queue '${to}' took it .*the rest are still in '${from}'`));
      const left = await withTransport(url, (transport) => readyCount(transport, from));
      expect(left).toBeGreaterThan(0);
    } finally {
      await deleteQueues(url, [from, to]);
    }
  }, 60_000);

  it('refuses a missing target before taking anything; a missing source is the broker’s 404, a reserved name its 403; a non-task shows raw', async () => {
    const from = `camq-test-move-src-${randomUUID()}`;
    try {
      await withTransport(url, async (transport) => {
        const channel = await transport.openChannel();
        await channel.assertQueue(from, { durable: true });
        channel.publish('', from, Buffer.from('not a task'), { contentType: 'text/plain' });
        await until('the message', async () => (await readyCount(transport, from)) === 1, 5000);
        await channel.close();
        await expect(moveMessages(transport, from, `camq-test-absent-${randomUUID()}`)).rejects.toMatchObject({ code: 'queues.target-missing' });
        await expect(moveMessages(transport, `camq-test-absent-${randomUUID()}`, from)).rejects.toMatchObject({ code: 'broker.not-found' });
        const peeked = await peekQueue(transport, from, { count: 5 });
        expect(peeked.messages).toEqual([expect.objectContaining({ kind: 'raw', contentType: 'text/plain', position: 1 })]);
      });
      const missing = `camq-test-absent-${randomUUID()}`;
      const [peekMissing, moveMissing, peekRaw, refused] = await Promise.all([
        runBin('camq', ['queues', 'peek', missing, '-b', url]),
        runBin('camq', ['queues', 'move', from, missing, '-b', url]),
        runBin('camq', ['queues', 'peek', from, '-b', url]),
        // amq.* names are reserved: declaring one is a real 403 ACCESS_REFUSED on both brokers.
        runBin('camq', ['queues', 'move', from, 'amq.camq-test-reserved', '--declare', '-b', url]),
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^Error: 403 ACCESS_REFUSED - queue name 'amq.camq-test-reserved' contains reserved prefix 'amq\.\*'/),
      ]);
      expect(peekMissing).toMatchObject({ code: 1, stderr: expect.stringContaining(`404 NOT_FOUND - no queue '${missing}'`) });
      expect(moveMissing.code).toBe(1);
      expect(moveMissing.stderr).toContain(`target queue '${missing}' does not exist`);
      expect(moveMissing.stderr).toContain('nothing was taken');
      expect(peekRaw.code, peekRaw.stderr).toBe(0);
      expect(peekRaw.stdout).toContain('#1 raw text/plain');
      expect(peekRaw.stdout).toContain('body "not a task"');
      expect(peekRaw.stderr).toContain('note: a peek takes the messages unacked');
      await withTransport(url, async (transport) => {
        await until('the message back', async () => (await readyCount(transport, from)) === 1, 5000);
      });
    } finally {
      await deleteQueues(url, [from]);
    }
  });

  it('refuses to peek a quorum queue with a delivery-limit unless forced, and says why', async () => {
    const queue = `camq-test-quorum-${randomUUID()}`;
    try {
      await withTransport(url, async (transport) => {
        const channel = await transport.openChannel();
        await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 3 } });
        channel.publish('', queue, Buffer.from('a'), {});
        channel.publish('', queue, Buffer.from('b'), {});
        await until('two messages', async () => (await readyCount(transport, queue)) === 2, 5000);
        await channel.close();
        const refused = peekQueue(transport, queue, { count: 5 });
        await expect(refused).rejects.toMatchObject({ code: 'queues.peek-refused' });
        await expect(refused).rejects.toThrow(/quorum queue.*x-delivery-limit=3.*--force/);
        const forced = await peekQueue(transport, queue, { count: 5, force: true });
        expect(forced.kind).toEqual({ type: 'quorum', deliveryLimit: 3 });
        expect(forced.messages.map((m) => Buffer.from(m.body, 'base64').toString())).toEqual(['a', 'b']);
        await until('both back', async () => (await readyCount(transport, queue)) === 2, 5000);
      });
    } finally {
      await deleteQueues(url, [queue]);
    }
  });

  it('purge --older-than saves to a file that publish puts back with body and properties exact; bad lines are named', async () => {
    const queue = `camq-test-save-${randomUUID()}`;
    const back = `camq-test-back-${randomUUID()}`;
    const dir = mkdtempSync(join(tmpdir(), 'camq-save-'));
    const file = join(dir, 'saved.jsonl');
    const properties: MessageProperties = {
      contentType: 'application/x-thing',
      contentEncoding: 'binary',
      headers: {
        n: 7,
        big: 5_000_000_000,
        s: 'text',
        f: 1.5,
        flag: true,
        none: null,
        list: [1, 'two', { three: 3 }],
        bytes: Buffer.from([0, 255]) as unknown as HeaderValue,
      },
      deliveryMode: 2,
      priority: 5,
      correlationId: 'corr',
      replyTo: 'reply-here',
      expiration: '86400000',
      messageId: 'mid',
      timestamp: 1_000_000,
      type: 'kind',
      appId: 'app',
    };
    try {
      await withTransport(url, async (transport) => {
        const channel = await transport.openChannel();
        await channel.assertQueue(queue, { durable: true });
        await channel.assertQueue(back, { durable: true });
        channel.publish('', queue, Buffer.from([1, 2, 3, 0, 254]), properties);
        channel.publish('', queue, Buffer.from('recent'), { timestamp: Math.floor(Date.now() / 1000) });
        channel.publish('', queue, Buffer.from('undated'), {});
        await until('three messages', async () => (await readyCount(transport, queue)) === 3, 5000);
        await channel.close();
      });
      const refused = await runBin('camq', ['queues', 'purge', queue, '--older-than', '1h', '--save', file, '-b', url]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('add --yes');
      const purge = await runBin('camq', ['queues', 'purge', queue, '--older-than', '1h', '--save', file, '--yes', '-b', url]);
      expect(purge.code, purge.stderr).toBe(0);
      expect(purge.stdout).toContain(`1 of 3 messages removed from '${queue}', saved to ${file}`);
      expect(purge.stderr).toContain('1 messages carry no publish timestamp');
      const { appendFileSync } = await import('node:fs');
      appendFileSync(file, 'not json\n{"v":1}\n');
      const publish = await runBin('camq', ['queues', 'publish', file, back, '-b', url]);
      expect(publish.code).toBe(1);
      expect(publish.stdout).toContain(`1 message published to '${back}'`);
      expect(publish.stderr).toContain(`${file}:2: not JSON`);
      expect(publish.stderr).toContain(`${file}:3: body is not base64 text`);
      await withTransport(url, async (transport) => {
        const channel = await transport.openChannel();
        await until('the message back', async () => (await readyCount(transport, back)) === 1, 5000);
        const got = await channel.get(back, { noAck: true });
        expect(got && got.content).toEqual(Buffer.from([1, 2, 3, 0, 254]));
        expect(got && got.properties).toMatchObject(properties);
        expect(await readyCount(transport, queue)).toBe(2);
        await channel.close();
      });
    } finally {
      await deleteQueues(url, [queue, back]);
    }
  });
});
