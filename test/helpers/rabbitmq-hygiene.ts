/**
 * vitest globalSetup of the integration and e2e projects: the run must leave nothing behind on RabbitMQ. It lists the
 * test vhost's queues and exchanges before the run and after it, and fails the run naming whatever is new, except
 * the amq.* ones and Celery's well-known exchanges (and the `celery` queue) that any Celery client declares.
 * Queues a closed connection owned, auto-delete ones and those with x-expires may take a moment to go, so the
 * check waits a few seconds for them before it counts them as left behind. Without RabbitMQ it checks nothing.
 */
import { rabbitmqAvailable, rabbitmqVhost } from './brokers.js';
import { RabbitmqctlInspector } from './rabbitmqctl.js';

const WELL_KNOWN = new Set(['', 'celery', 'celeryev', 'celery.pidbox', 'reply.celery.pidbox']);
const SETTLE_MS = 5000;

type Names = { queues: string[]; exchanges: string[] };

async function names(inspector: RabbitmqctlInspector): Promise<Names> {
  const keep = (name: string) => !name.startsWith('amq.') && !WELL_KNOWN.has(name);
  const [queues, exchanges] = await Promise.all([inspector.listQueues(), inspector.listExchanges()]);
  return { queues: queues.map((q) => q.name).filter(keep), exchanges: exchanges.map((x) => x.name).filter(keep) };
}

function added(before: Names, after: Names): string[] {
  const had = { queues: new Set(before.queues), exchanges: new Set(before.exchanges) };
  return [
    ...after.queues.filter((q) => !had.queues.has(q)).map((q) => `queue '${q}'`),
    ...after.exchanges.filter((x) => !had.exchanges.has(x)).map((x) => `exchange '${x}'`),
  ];
}

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (!(await rabbitmqAvailable())) return undefined;
  const vhost = rabbitmqVhost();
  const inspector = new RabbitmqctlInspector(vhost);
  const before = await names(inspector);
  return async () => {
    const deadline = Date.now() + SETTLE_MS;
    let left = added(before, await names(inspector));
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      left = added(before, await names(inspector));
    }
    if (left.length > 0) {
      // vitest prints a teardown error ("error during close") but does not fail the run for it: fail it here.
      process.exitCode = 1;
      throw new Error(
        `the tests left ${left.length} thing(s) behind on RabbitMQ vhost '${vhost}': ${left.join(', ')}. ` +
          `Find the test that declares them and delete them in its afterAll (by hand: camqadm -b <url> queue.delete <name>, exchange.delete <name>).`,
      );
    }
  };
}
