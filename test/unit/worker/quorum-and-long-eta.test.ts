/**
 * Quorum queues and long ETAs (docs/worker.md): the queue specs and refusal texts the worker reads, the delay
 * structure's routing keys (kombu's native delayed delivery), and, on the fake transport, per-consumer prefetch and a
 * channel closed for consumer_timeout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildTaskMessage } from '../../../src/protocol/index.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { delayRoutingKey, DELAY_BITS, returnBindingKey } from '../../../src/worker/delayed-delivery.js';
import { parseQueueSpec, queueTypeFromRefusal } from '../../../src/worker/task-queue.js';
import { consumerTimeoutOf, type Worker } from '../../../src/worker/worker.js';
import { startWorkerOnFake } from './worker-on-fake.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('queue specs and refusals', () => {
  it('reads name:quorum and name:classic, and keeps any other colon in the name', () => {
    expect(parseQueueSpec('jobs:quorum')).toEqual({ name: 'jobs', type: 'quorum' });
    expect(parseQueueSpec('jobs:classic')).toEqual({ name: 'jobs', type: 'classic' });
    expect(parseQueueSpec('jobs')).toEqual({ name: 'jobs' });
    expect(parseQueueSpec('a:b')).toEqual({ name: 'a:b' });
    expect(parseQueueSpec(':quorum')).toEqual({ name: ':quorum' });
  });

  it("finds the queue's type in RabbitMQ 3.10's refusals of a declare (texts as 3.10.8 sends them)", () => {
    const received = (r: string, c: string) =>
      `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'q' in vhost 'h7': received ${r} but current is ${c}`;
    expect(queueTypeFromRefusal(received('none', "the value 'quorum' of type 'longstr'"))).toBe('quorum');
    expect(queueTypeFromRefusal(received("'classic'", "'quorum'"))).toBe('quorum');
    expect(queueTypeFromRefusal(received("the value 'quorum' of type 'longstr'", 'none'))).toBe('classic');
    expect(queueTypeFromRefusal(received('none', "the value 'stream' of type 'longstr'"))).toBe('stream');
    expect(
      queueTypeFromRefusal(
        "PRECONDITION_FAILED - inequivalent arg 'x-max-priority' for queue 'q' in vhost '/': received none but current is the value '10' of type 'signedint'",
      ),
    ).toBeUndefined();
  });

  it("reads consumer_timeout from RabbitMQ's close text, and nothing from other closes", () => {
    expect(
      consumerTimeoutOf(
        'PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out. Timeout value used: 10000 ms. This timeout value can be configured, see consumers doc guide to learn more',
      ),
    ).toBe(10_000);
    expect(consumerTimeoutOf('PRECONDITION_FAILED - delivery acknowledgement on channel 3 timed out')).toBe(0);
    expect(consumerTimeoutOf('PRECONDITION_FAILED - unknown delivery tag 4')).toBeUndefined();
  });
});

describe("the delay structure's keys", () => {
  it("are kombu's calculate_routing_key (28 binary words) with the queue and camq's marker", () => {
    // kombu: '.'.join(list(f'{5:028b}')) + '.x'
    expect(delayRoutingKey(5, 'x')).toBe(`${'0.'.repeat(25)}1.0.1.x.camq`);
    expect(delayRoutingKey(7200.9, 'jobs').split('.').slice(0, DELAY_BITS).join('')).toBe((7200).toString(2).padStart(28, '0'));
    expect(delayRoutingKey(0.2, 'q').startsWith(`${'0.'.repeat(27)}1.`)).toBe(true); // at least one second
  });

  it("bind a queue by its exact name: a queue whose name ends another's does not match", () => {
    const pattern = returnBindingKey('celery');
    const topic = (key: string, p: string) =>
      new RegExp(
        `^${p
          .split('.')
          .map((w) => (w === '*' ? '[^.]+' : w.replace(/[-]/g, '\\-')))
          .join('\\.')}$`,
      ).test(key);
    expect(topic(delayRoutingKey(60, 'celery'), pattern)).toBe(true);
    expect(topic(delayRoutingKey(60, 'a.celery'), pattern)).toBe(false);
    expect(pattern.split('.')).toHaveLength(DELAY_BITS + 2);
  });
});

describe('the worker on a quorum queue (fake transport)', () => {
  let worker: Worker | undefined;
  afterEach(async () => {
    await worker?.stop('cold');
    worker = undefined;
  });

  it('declares `q:quorum` with x-queue-type and sets per-consumer prefetch, which held ETAs do not raise', async () => {
    const clock = new ManualClock();
    const s = await startWorkerOnFake({ queues: ['q:quorum'], clock, concurrency: 2 });
    worker = s.worker;
    expect(s.conn.queueOptions.get('q')?.arguments).toEqual({ 'x-queue-type': 'quorum' });
    expect(s.tasks.prefetches).toEqual([{ count: 8, global: false }]);
    expect(worker.activeQueues()[0]?.queue_arguments).toEqual({ 'x-queue-type': 'quorum' });
    s.tasks.deliver('q', buildTaskMessage({ name: 'tasks.add', args: [1, 2], queue: 'q', now: clock.now(), countdown: 30 }));
    await tick();
    expect(s.tasks.prefetches).toEqual([{ count: 8, global: false }]);
  });

  it('a classic queue keeps global QoS, raised by one per held ETA task', async () => {
    const clock = new ManualClock();
    const s = await startWorkerOnFake({ clock, concurrency: 2 });
    worker = s.worker;
    expect(s.tasks.prefetches).toEqual([{ count: 8, global: true }]);
    s.tasks.deliver('q', buildTaskMessage({ name: 'tasks.add', args: [1, 2], queue: 'q', now: clock.now(), countdown: 30 }));
    await tick();
    expect(s.tasks.prefetches.at(-1)).toEqual({ count: 9, global: true });
  });

  it('consumer_timeout: one line names the held task and what to change, and consuming resumes', async () => {
    const clock = new ManualClock();
    const s = await startWorkerOnFake({ clock, etaDelayAfter: null });
    worker = s.worker;
    const msg = buildTaskMessage({ name: 'tasks.add', args: [1, 2], queue: 'q', now: clock.now(), countdown: 3600 });
    s.tasks.deliver('q', msg);
    clock.advance(12_000);
    await tick();
    s.tasks.brokerClose(
      406,
      'PRECONDITION_FAILED - delivery acknowledgement on channel 2 timed out. Timeout value used: 10000 ms. This timeout value can be configured, see consumers doc guide to learn more',
    );
    await tick();
    const lines = s.lines.filter((l) => l.includes('consumer_timeout'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `consumer_timeout: the broker closed the task channel because tasks\\.add\\[${msg.id}\\] \\(unacked for 12 s, scheduled\\) stayed unacked longer than 10 s: ETAs are held in memory \\(--eta-delay-after off\\)`,
      ),
    );
    expect(s.conn.consumerOf('q')).not.toBe(s.tasks);
  });
});
