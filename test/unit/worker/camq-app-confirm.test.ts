/**
 * CamqApp with publisher confirms ({ confirm: true }) on the fake transport: the publish channel is a confirm
 * channel, messages go out mandatory, `send` settles on the broker's confirm, and a returned or nacked message
 * rejects with a code a caller can branch on.
 */
import { afterEach, expect, it } from 'vitest';
import { CamqApp } from '../../../src/worker/index.js';
import type { PublishOptions } from '../../../src/transport/index.js';
import { FakeTransport } from '../../fakes/fake-transport.js';

const apps: CamqApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function appOn(confirm: boolean): Promise<{ app: CamqApp; conn: FakeTransport }> {
  const conn = new FakeTransport();
  await conn.connect();
  const app = new CamqApp({ confirm });
  app.useConnection(conn);
  apps.push(app);
  return { app, conn };
}

it('sends on a confirm channel, mandatory, and resolves after the confirm', async () => {
  const { app, conn } = await appOn(true);
  let settled = false;
  const sending = app.send({ name: 'tasks.add', args: [1, 2], queue: 'jobs' }).then((r) => {
    settled = true;
    return r;
  });
  const result = await sending;
  expect(settled).toBe(true);
  const sent = conn.published.filter((p) => p.routingKey === 'jobs');
  expect(sent).toHaveLength(1);
  expect((sent[0]!.properties as PublishOptions).mandatory).toBe(true);
  expect(sent[0]!.properties.correlationId).toBe(result.id);
  const publishChannel = conn.channels.find((c) => c.published.includes(sent[0]!));
  expect(publishChannel?.confirm).toBe(true);
});

it('without confirm: a plain channel, nothing mandatory (as before)', async () => {
  const { app, conn } = await appOn(false);
  await app.send({ name: 'tasks.add', args: [1, 2], queue: 'jobs' });
  const sent = conn.published.filter((p) => p.routingKey === 'jobs');
  expect((sent[0]!.properties as PublishOptions).mandatory).toBeUndefined();
  expect(conn.channels.find((c) => c.published.includes(sent[0]!))?.confirm).toBe(false);
});

it('a message no queue took rejects with publish.unroutable, naming exchange and routing key', async () => {
  const { app, conn } = await appOn(true);
  conn.unroutable.add('nowhere');
  const error = await app.send({ name: 'tasks.add', queue: 'nowhere', exchange: 'amq.direct', routingKey: 'nowhere' }).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'publish.unroutable' });
  expect((error as Error).message).toMatch(/exchange 'amq\.direct' with routing key 'nowhere'.*NO_ROUTE/);
  // The next send to a routable queue still resolves: one return does not poison the channel.
  await expect(app.send({ name: 'tasks.add', queue: 'jobs' })).resolves.toBeDefined();
});

it('a nacked message rejects with broker.nacked', async () => {
  const { app, conn } = await appOn(true);
  conn.nackPublishes = true;
  await expect(app.send({ name: 'tasks.add', queue: 'jobs' })).rejects.toMatchObject({ code: 'broker.nacked' });
});
