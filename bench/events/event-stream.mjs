// The benchmark's event stream, built once and published identically to every consumer: task lifecycles
// (received, started, succeeded or failed) across many workers, as Python workers send them (task events batched as
// JSON arrays on task.multi, worker events single), interleaved with heartbeats.
import { randomUUID } from 'node:crypto';
import { buildEventMessage } from '../../dist/protocol/event-message.js';

const TRACEBACK =
  'Traceback (most recent call last):\n  File "/usr/lib/python3/dist-packages/celery/app/trace.py", line 451, in trace_task\n' +
  '    R = retval = fun(*args, **kwargs)\n  File "/srv/app/tasks.py", line 43, in fail\n    raise RuntimeError(message)\nRuntimeError: kaboom\n';

/** A small deterministic PRNG so every run publishes the same stream. */
function prng(seed) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function heartbeat(hostname, pid, clock, now, type = 'worker-heartbeat') {
  return {
    hostname,
    utcoffset: 0,
    pid,
    clock,
    freq: 2.0,
    active: 2,
    processed: clock,
    loadavg: [0.52, 0.41, 0.33],
    sw_ident: 'py-celery',
    sw_ver: '5.2.6',
    sw_sys: 'Linux',
    timestamp: now / 1000,
    type,
  };
}

/**
 * @returns {{ messages: import('../../dist/protocol/amqp-message.js').OutgoingMessage[], events: number, tasks: number }}
 */
export function buildStream({ workers = 50, tasks = 30_000, heartbeatEvery = 400, maxBatch = 8, seed = 42 } = {}) {
  const random = prng(seed);
  const hosts = Array.from({ length: workers }, (_, i) => ({ hostname: `bench-w${i}@host`, pid: 1000 + i, clock: 0, pending: [] }));
  const messages = [];
  let events = 0;
  const now = Date.now();
  const names = ['proj.tasks.add', 'proj.tasks.resize_image', 'proj.tasks.send_email', 'proj.tasks.sync_account', 'proj.tasks.fail'];
  const flush = (h) => {
    if (h.pending.length === 0) return;
    messages.push(buildEventMessage(h.pending));
    events += h.pending.length;
    h.pending = [];
  };
  for (const h of hosts) {
    messages.push(buildEventMessage(heartbeat(h.hostname, h.pid, ++h.clock, now, 'worker-online')));
    events++;
  }
  for (let t = 0; t < tasks; t++) {
    const h = hosts[t % workers];
    const uuid = randomUUID();
    const name = names[Math.floor(random() * names.length)];
    const ts = (now + t) / 1000;
    const base = { hostname: h.hostname, utcoffset: 0, pid: h.pid };
    h.pending.push({
      ...base,
      clock: ++h.clock,
      uuid,
      name,
      args: `(${t}, ${t % 97})`,
      kwargs: "{'retry': False}",
      root_id: uuid,
      parent_id: null,
      retries: 0,
      eta: null,
      expires: null,
      timestamp: ts,
      type: 'task-received',
    });
    h.pending.push({ ...base, clock: ++h.clock, uuid, timestamp: ts + 0.001, type: 'task-started' });
    if (name === 'proj.tasks.fail') {
      h.pending.push({
        ...base,
        clock: ++h.clock,
        uuid,
        exception: "RuntimeError('kaboom')",
        traceback: TRACEBACK,
        timestamp: ts + 0.002,
        type: 'task-failed',
      });
    } else {
      h.pending.push({
        ...base,
        clock: ++h.clock,
        uuid,
        result: `${t + (t % 97)}`,
        runtime: 0.0003 + random() * 0.01,
        timestamp: ts + 0.002,
        type: 'task-succeeded',
      });
    }
    if (h.pending.length >= 1 + Math.floor(random() * maxBatch)) flush(h);
    if (t % heartbeatEvery === heartbeatEvery - 1) {
      for (const w of hosts) {
        flush(w);
        messages.push(buildEventMessage(heartbeat(w.hostname, w.pid, ++w.clock, now + t)));
        events++;
      }
    }
  }
  for (const h of hosts) flush(h);
  return { messages, events, tasks };
}

/** Heartbeats of `workers` workers at the current time: what an idle cluster sends every 2 s. */
export function idleHeartbeats(workers, round) {
  const now = Date.now();
  return Array.from({ length: workers }, (_, i) => buildEventMessage(heartbeat(`bench-w${i}@host`, 1000 + i, 100_000 + round, now)));
}

/** `count` tasks received and started on the stream's workers and never finished: runtimes that tick. */
export function runningTasks(count, workers, now) {
  return Array.from({ length: count }, (_, t) => {
    const hostname = `bench-w${t % workers}@host`;
    const base = { hostname, utcoffset: 0, pid: 1000 + (t % workers), uuid: randomUUID() };
    const ts = (now - 1000 + t) / 1000;
    return buildEventMessage([
      { ...base, clock: 900_000 + 2 * t, name: 'proj.tasks.sync_account', args: `(${t},)`, kwargs: '{}', timestamp: ts, type: 'task-received' },
      { ...base, clock: 900_001 + 2 * t, timestamp: ts, type: 'task-started' },
    ]);
  });
}

/** The custom event that tells a consumer to report and exit. */
export function stopMessage() {
  return buildEventMessage({ hostname: 'bench@host', utcoffset: 0, pid: 1, clock: 1, timestamp: Date.now() / 1000, type: 'bench-stop' });
}
