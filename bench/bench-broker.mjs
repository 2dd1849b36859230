// What the benches share about their peers: the broker URL they read (CAMQ_BENCH_BROKER_URL, else
// CAMQ_TEST_BROKER_URL, else the local RabbitMQ), parsed, as amqplib takes it, and whether Python Celery is there.
import { execFileSync } from 'node:child_process';
import { parseBrokerUrl } from '../dist/amqp/index.js';

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
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
  await ch.deleteQueue(queue);
  await ch.deleteExchange(queue);
  await ch.close();
}
