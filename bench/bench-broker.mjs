// What the benches share about their peers: the broker URL they read (CAMQ_BENCH_BROKER_URL, else
// CAMQ_TEST_BROKER_URL, else the local RabbitMQ), parsed, as amqplib takes it, and whether Python Celery is there.
import { execFileSync } from 'node:child_process';
import { parseBrokerUrl } from '../dist/amqp/index.js';
import { stopChild } from './worker/drain.mjs';

export const BROKER = process.env.CAMQ_BENCH_BROKER_URL ?? process.env.CAMQ_TEST_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672//';
export const brokerUrl = parseBrokerUrl(BROKER);
export const amqplibUrl = `amqp://${encodeURIComponent(brokerUrl.username)}:${encodeURIComponent(brokerUrl.password)}@${brokerUrl.hostname}:${brokerUrl.port}/${encodeURIComponent(brokerUrl.vhost)}`;

/** Whether /usr/bin/python3 imports celery (the Python contenders run only then). */
export function hasPythonCelery() {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import celery'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** After a run: stop the contender (TERM, KILL after 15 s) and remove its queue and same-named exchange. */
export async function stopAndRemove(child, exited, ch, queue) {
  await stopChild(child, exited);
  await removeQueueAndExchange(ch, queue);
}

/** Remove a run's queue and its same-named exchange, and close the channel. */
export async function removeQueueAndExchange(ch, queue) {
  await ch.deleteQueue(queue);
  await ch.deleteExchange(queue);
  await ch.close();
}
