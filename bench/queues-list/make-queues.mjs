/**
 * Declare (or delete) N queues named `camq-bench-q-00000`… on a broker, pipelined on one channel with nowait, so
 * bench/queues-list has something to list. Used by run.mjs and strategies.mjs; alone:
 *   node bench/queues-list/make-queues.mjs <amqp-url> <count> [--delete]
 */
import amqp from 'amqplib';

export const BENCH_QUEUE_PREFIX = 'camq-bench-q-';

export function benchQueueName(i) {
  return `${BENCH_QUEUE_PREFIX}${String(i).padStart(5, '0')}`;
}

/** Declare `count` durable-less, non-exclusive queues; every 100th gets one message so the counts are not all 0. */
export async function makeQueues(url, count) {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  for (let i = 0; i < count; i++) {
    // A confirmed declare every 500 keeps the pipeline bounded.
    if (i % 500 === 499) await ch.assertQueue(benchQueueName(i), { durable: false });
    else ch.assertQueue(benchQueueName(i), { durable: false }).catch(() => {});
    if (i % 100 === 0) ch.sendToQueue(benchQueueName(i), Buffer.from('x'));
  }
  await ch.assertQueue(benchQueueName(count - 1), { durable: false });
  await conn.close();
}

export async function deleteQueues(url, count) {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  for (let i = 0; i < count; i++) {
    if (i % 500 === 499) await ch.deleteQueue(benchQueueName(i));
    else ch.deleteQueue(benchQueueName(i)).catch(() => {});
  }
  await ch.deleteQueue(benchQueueName(count - 1));
  await conn.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [url, count, flag] = process.argv.slice(2);
  if (!url || !count) {
    process.stderr.write('usage: node bench/queues-list/make-queues.mjs <amqp-url> <count> [--delete]\n');
    process.exit(1);
  }
  const started = Date.now();
  await (flag === '--delete' ? deleteQueues(url, Number(count)) : makeQueues(url, Number(count)));
  process.stdout.write(`${flag === '--delete' ? 'deleted' : 'declared'} ${count} queues in ${Date.now() - started} ms\n`);
}
