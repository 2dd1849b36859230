// bench/redis: time to drain N pre-published `tasks.add(2, 2)` messages (protocol v2, JSON, ignore_result=true, so
// no peer writes results) on Redis, kombu's wire format, by (b) camq worker with events off, (c) camq worker with task
// events on (-E: PUBLISHed on the celeryev fanout channel), (d) celery-node on its Redis broker, (e) Python Celery
// 5.2.6 prefork -c 2 and (e-solo) the solo pool. The same harness and task modules as bench/worker (RabbitMQ):
// bench/worker/drain.mjs times each contender as a child process from its first to its N-th task run and samples
// the CPU time (user + system) of its process tree and of the local redis-server from /proc.
//
// The tasks are published by camq's own Redis transport (src/redis: the envelope kombu writes, LPUSHed on the
// queue's list, every publish confirmed by Redis's reply) before the contender starts. After each run the contender
// is stopped and the bench checks that nothing is left: the queue's lists are empty and kombu's `unacked` hash holds
// none of the run's messages; with the handler's count (exactly N ran, no `BENCH-OVER`) that shows every task ran
// once. Then it deletes every key the run added to the database (the keys that were there before it stay).
//
// Redis's CPU per task is all of redis-server: other clients' traffic (other databases) counts too.
//
//   npm run bench:redis                                   # N=10000, 3 runs each, median; redis://127.0.0.1:6379/10
//   CAMQ_BENCH_REDIS_URL=redis://127.0.0.1:6379/10 BENCH_N=5000 BENCH_RUNS=1 npm run bench:redis
//   BENCH_ONLY=b,d npm run bench:redis                    # some contenders only
//   BENCH_PROFILE=/tmp/prof npm run bench:redis           # Node contenders write V8 CPU profiles to /tmp/prof/<key>/
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { hasPythonCelery } from '../bench-broker.mjs';
import { buildTaskMessage } from '../../dist/protocol/index.js';
import { createTransport, parseBrokerUrl, publishMessage } from '../../dist/transport/index.js';
import { queueLists, UNACKED_KEY } from '../../dist/redis/index.js';
import { camqWorker, celeryNodeWorker, isLocalHost, loadLine, printMedians, pythonWorker, roundRobin, timeDrain } from '../worker/drain.mjs';

const BROKER = process.env.CAMQ_BENCH_REDIS_URL ?? process.env.CAMQ_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/10';
const url = parseBrokerUrl(BROKER);
const N = Number(process.env.BENCH_N ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const MULTIPLIER = Number(process.env.BENCH_PREFETCH_MULTIPLIER ?? 4);
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
const PROFILE = process.env.BENCH_PROFILE;
const hasPython = hasPythonCelery();

const camq = (q, extra) => camqWorker(BROKER, q, { concurrency: CONCURRENCY, multiplier: MULTIPLIER, extra });
const contenders = [
  { key: 'b', label: `(b) camq worker, events off (-c ${CONCURRENCY}, prefetch ${CONCURRENCY * MULTIPLIER})`, cmd: (q) => camq(q, []) },
  { key: 'c', label: '(c) camq worker, events on (-E)', cmd: (q) => camq(q, ['-E']) },
  { key: 'd', label: '(d) celery-node 0.5.9 (one BRPOP at a time)', cmd: (q) => celeryNodeWorker(BROKER, q) },
  ...(hasPython
    ? [
        { key: 'e', label: '(e) Python Celery 5.2.6 prefork -c 2 (prefetch 8)', cmd: (q) => pythonWorker(BROKER, q) },
        { key: 'es', label: '(e-solo) Python Celery 5.2.6 solo pool', cmd: (q) => pythonWorker(BROKER, q, { pool: 'solo', concurrency: 1 }) },
      ]
    : []),
].filter((c) => !ONLY || ONLY.has(c.key));

const redis = new Redis(BROKER.split('?')[0]);
/** The redis-server behind the URL, when it runs here: its pid as it says (INFO), since more than one may run. */
const REDIS_PID = isLocalHost(url.hostname) ? Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]) : undefined;
/** The keys in the database before the bench: they are left alone; every other key is the runs' and is deleted. */
const before = new Set(await allKeys());

async function allKeys() {
  const keys = [];
  for await (const batch of redis.scanStream({ count: 1000 })) keys.push(...batch);
  return keys;
}

/** LPUSH `N` tasks.add(2, 2) envelopes on the queue's list through camq's Redis transport, each confirmed. */
async function prefill(queue) {
  const transport = await createTransport(url).connect();
  try {
    const ch = await transport.openChannel();
    for (let i = 0; i < N; i++) {
      const m = buildTaskMessage({ name: 'tasks.add', args: [2, 2], queue, ignoreResult: true });
      await publishMessage(ch, { ...m, exchange: '', routingKey: queue });
    }
    await ch.waitForConfirms();
    await ch.close();
  } finally {
    await transport.close();
  }
  const stored = await redis.llen(queue);
  if (stored !== N) throw new Error(`prefill: ${stored} messages on ${queue}, expected ${N}`);
}

/** What a stopped contender left of the run: messages still on the queue's lists and in kombu's unacked hash. */
async function leftOver(queue) {
  let queued = 0;
  for (const list of queueLists(queue)) queued += await redis.llen(list);
  let unacked = 0;
  for (const value of await redis.hvals(UNACKED_KEY)) if (value.includes(queue)) unacked++;
  return { queued, unacked };
}

async function removeRunKeys() {
  const added = (await allKeys()).filter((k) => !before.has(k));
  if (added.length > 0) await redis.del(...added);
  return added.length;
}

async function runOnce(contender) {
  const queue = `camq-bench-${randomUUID()}`;
  await prefill(queue);
  try {
    const result = await timeDrain(contender, queue, { n: N, profile: PROFILE, brokerPid: REDIS_PID });
    const left = await leftOver(queue);
    if (result.over || left.queued > 0 || left.unacked > 0)
      throw new Error(
        `${contender.label}: not exactly ${N} tasks run once: ${result.over ? 'more than N ran, ' : ''}${left.queued} left queued, ${left.unacked} left unacked`,
      );
    return result;
  } finally {
    await removeRunKeys();
  }
}

console.log(`bench/redis: drain ${N} pre-published tasks.add(2, 2), median of ${RUNS} run(s), broker ${url.masked}`);
console.log(`${loadLine('before')}; figures on a loaded machine are noisy`);
const runs = await roundRobin(contenders, RUNS, runOnce);
const results = printMedians(contenders, runs, { brokerName: 'Redis' });
console.log(`every run: exactly ${N} tasks ran, none left on the queue or in unacked; the runs' keys deleted`);
await redis.quit();

const r = (k) => results[k]?.rate;
const cost = (k) => (results[k] ? results[k].cpuUs + (results[k].brokerUs ?? 0) : undefined);
console.log('\n(b) against the others: tasks/s ratio, and how many times cheaper a task is by CPU (contender + Redis)');
for (const y of ['c', 'd', 'e', 'es']) {
  if (!results.b || !results[y]) continue;
  console.log(`  (b) / (${y})`.padEnd(14), `${(r('b') / r(y)).toFixed(2).padStart(6)} tasks/s   ${(cost(y) / cost('b')).toFixed(2).padStart(6)} CPU`);
}
console.log(loadLine('after'));
