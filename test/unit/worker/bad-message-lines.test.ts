/**
 * One log line per bad message, and no flood when a producer repeats the same mistake (issue 9, "General"): the
 * worker's refusals go through a RepeatLimiter on its clock. The in-memory broker stands in for the broker here:
 * what is under test is the worker's log, not the wire.
 */
import { afterEach, expect, it } from 'vitest';
import { buildTaskMessage } from '../../../src/protocol/index.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import type { Worker } from '../../../src/worker/index.js';
import { startWorkerOnFake } from './worker-on-fake.js';

let worker: Worker | undefined;
afterEach(async () => {
  await worker?.stop('cold');
});

it('writes the first refusal of a kind, counts the next ones, and sums them up after 10 s; each message is settled', async () => {
  const clock = new ManualClock();
  const started = await startWorkerOnFake({ clock });
  worker = started.worker;
  const { lines, tasks } = started;
  for (let i = 0; i < 200; i++) {
    const good = buildTaskMessage({ name: 'tasks.add', args: [1, 2], queue: 'q', now: clock.now(), retries: -1 - i });
    tasks.deliver('q', good);
    tasks.deliver('q', buildTaskMessage({ name: `tasks.nope${i}`, queue: 'q', now: clock.now() }));
  }
  await new Promise((r) => setImmediate(r));
  expect(lines.map((l) => l.replace(/^\[[^\]]*\] /, ''))).toEqual([
    expect.stringMatching(/^Received invalid task message: retries -1 is not a whole number ≥ 0 \(tasks\.add\[[0-9a-f-]{36}\]\)$/),
    expect.stringMatching(/^Received unregistered task of type 'tasks\.nope0'\.\nThe message has been ignored and discarded\./),
  ]);
  clock.advance(10_000);
  expect(lines.slice(2).map((l) => l.replace(/^\[[^\]]*\] /, ''))).toEqual([
    expect.stringMatching(
      /^Received invalid task message: retries -1 is not a whole number ≥ 0 \(tasks\.add\[[0-9a-f-]{36}\]\) \(and 199 more like it in the last 10 s\)$/,
    ),
    "Received unregistered task of type 'tasks.nope0'. (and 199 more like it in the last 10 s)",
  ]);
  // Every one of the 400 was rejected (no requeue), none left unacked.
  expect(tasks.unacked.size).toBe(0);
});
