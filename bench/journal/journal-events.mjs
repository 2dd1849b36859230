// Celery task events as Python workers send them (the fields and sizes of Celery 5.2's task-received, -started,
// -succeeded and -failed, and worker heartbeats), for the journal bench: `count` events, deterministic.
import { randomUUID } from 'node:crypto';

const NAMES = ['proj.tasks.add', 'proj.tasks.resize_image', 'proj.tasks.send_email', 'proj.tasks.sync_account', 'proj.tasks.fail'];
const TRACEBACK =
  'Traceback (most recent call last):\n  File "/usr/lib/python3/dist-packages/celery/app/trace.py", line 451, in trace_task\n' +
  '    R = retval = fun(*args, **kwargs)\n  File "/srv/app/tasks.py", line 43, in fail\n    raise RuntimeError(message)\nRuntimeError: kaboom\n';

/** `count` events over `workers` workers, ~`perSecond` events a second ending now (so every age bound keeps them). */
export function* journalEvents(count, { workers = 50, perSecond = 2000 } = {}) {
  const start = Date.now() / 1000 - count / perSecond;
  const clocks = new Array(workers).fill(0);
  // Flat strings, as a receiver's events have them (JSON.parse of the message body): a template literal gives a
  // rope, which every charCodeAt of the writer's key hash walks (it made the hash half the append time here).
  const hostnames = Array.from({ length: workers }, (_, w) => JSON.parse(JSON.stringify(`celery@worker-${w}.prod.example.com`)));
  let n = 0;
  let t = 0;
  while (n < count) {
    const w = t % workers;
    const hostname = hostnames[w];
    const base = { hostname, utcoffset: 0, pid: 1000 + w };
    const uuid = randomUUID();
    const name = NAMES[t % NAMES.length];
    const ts = start + n / perSecond;
    const ev = (type, extra, dt) => ({ ...base, ...extra, uuid, clock: ++clocks[w], timestamp: ts + dt, local_received: ts + dt + 0.002, type });
    yield ev(
      'task-received',
      { name, args: `(${t}, ${t * 7})`, kwargs: "{'priority': 'normal'}", root_id: uuid, parent_id: null, retries: 0, eta: null, expires: null },
      0,
    );
    yield ev('task-started', {}, 0.001);
    if (name === 'proj.tasks.fail') yield ev('task-failed', { exception: "RuntimeError('kaboom')", traceback: TRACEBACK }, 0.01);
    else yield ev('task-succeeded', { result: String(t * 8), runtime: 0.0081 }, 0.01);
    n += 3;
    if (t % 20 === 0) {
      yield {
        ...base,
        clock: ++clocks[w],
        freq: 2.0,
        active: 1,
        processed: t,
        loadavg: [0.52, 0.41, 0.33],
        sw_ident: 'py-celery',
        sw_ver: '5.2.6',
        sw_sys: 'Linux',
        timestamp: ts,
        local_received: ts + 0.002,
        type: 'worker-heartbeat',
      };
      n++;
    }
    t++;
  }
}
