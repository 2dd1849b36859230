/**
 * Priority as a task option (issue 17): `app.task(name, fn, { priority })` is the AMQP priority of every message the
 * task sends, as Celery's `@app.task(priority=…)`; `applyAsync({ priority })` overrides it for one call.
 */
import { afterEach, expect, it } from 'vitest';
import { CamqApp } from '../../../src/worker/index.js';
import { FakeTransport } from '../../fakes/fake-transport.js';

const apps: CamqApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

it("sends with the task's priority, and applyAsync's priority overrides it", async () => {
  const conn = new FakeTransport();
  await conn.connect();
  const app = new CamqApp();
  app.useConnection(conn);
  apps.push(app);
  const urgent = app.task('tasks.urgent', (x: number) => x, { priority: 7, queue: 'jobs' });
  const plain = app.task('tasks.plain', (x: number) => x, { queue: 'jobs' });

  const byDefault = await urgent.delay(1);
  const overridden = await urgent.applyAsync({ args: [2], priority: 2 });
  const fromPlain = await plain.delay(3);

  const priorityOf = (id: string) => conn.published.find((p) => p.routingKey === 'jobs' && p.properties.correlationId === id)?.properties.priority;
  expect(priorityOf(byDefault.id)).toBe(7);
  expect(priorityOf(overridden.id)).toBe(2);
  expect(priorityOf(fromPlain.id)).toBe(0);
  // The message `applyAsync` would publish says the same.
  expect(urgent.message({ args: [1] }).properties.priority).toBe(7);
  expect(urgent.message({ args: [1], priority: 2 }).properties.priority).toBe(2);
});
