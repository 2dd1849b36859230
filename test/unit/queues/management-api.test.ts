/**
 * The management API client against a real HTTP peer on loopback that answers badly (test/helpers/bad-http-peer.ts)
 * and against the embedded broker's API: one clear error for each way, and discovery that only takes an API
 * describing the broker camq is connected to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBrokerHandle } from '../../../src/broker/embedded.js';
import { ManagementApiError } from '../../../src/errors/index.js';
import { ManagementApi, discoverManagementApi } from '../../../src/queues/index.js';
import { nodeHttpGet } from '../../../src/queues/node-http-get.js';
import { parseBrokerUrl } from '../../../src/transport/index.js';
import { closedPortUrl, startBadApi, type BadApiPeer } from '../../helpers/bad-http-peer.js';

let peer: BadApiPeer;
let broker: EmbeddedBrokerHandle;
let nothing: string;
beforeAll(async () => {
  peer = await startBadApi();
  nothing = await closedPortUrl();
  broker = await startEmbeddedBroker({ port: 0, managementPort: 0 });
});
afterAll(async () => {
  await peer.close();
  await broker.close();
});

const api = (how: string, timeoutMs = 300, fetch?: typeof globalThis.fetch) =>
  new ManagementApi({ baseUrl: `${peer.url}/${how}`, username: 'guest', password: 'secret', timeoutMs, ...(fetch ? { fetch } : {}) });

async function failure(promise: Promise<unknown>): Promise<ManagementApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ManagementApiError);
  return err as ManagementApiError;
}

// Node's fetch, and the node:http GET celeryctl uses to stay clear of undici's start-up cost: the same errors.
describe.each([
  ['fetch', undefined],
  ['nodeHttpGet', nodeHttpGet],
])('ManagementApi over %s', (_name, fetch) => {
  it.each([
    ['html', 'api.not-json', /answered GET \/api\/overview with an HTML page, not JSON; is that address RabbitMQ's management API/],
    ['text', 'api.not-json', /answered GET \/api\/overview with 'text\/plain', not JSON/],
    ['unauthorized', 'api.unauthorized', /refused the login \(401\) for GET \/api\/overview; check the user and password$/],
    ['forbidden', 'api.forbidden', /refused GET \/api\/overview \(403\): the user needs the 'monitoring' or 'management' tag/],
    ['notfound', 'api.not-found', /has no GET \/api\/overview \(404\)/],
    ['error', 'api.http-error', /answered GET \/api\/overview with HTTP 500 \(something broke\)$/],
    ['hang', 'api.timeout', /did not answer GET \/api\/overview within 0\.3 s; check the address or give another with --api$/],
    ['slowbody', 'api.timeout', /did not answer GET \/api\/overview within 0\.3 s/],
  ])('%s: %s, one line naming the address and the request', async (how, code, message) => {
    const err = await failure(api(how, 300, fetch).get('overview'));
    expect(err.code).toBe(code);
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`${peer.url}/${how}`);
    expect(err.message).not.toContain('secret');
    expect(err.message).not.toContain('\n');
  });

  it('says so when nothing listens', async () => {
    const err = await failure(new ManagementApi({ baseUrl: nothing, username: 'u', password: 'p', ...(fetch ? { fetch } : {}) }).get('overview'));
    expect(err.code).toBe('api.unreachable');
    expect(err.message).toBe(
      `cannot reach the management API at ${nothing} (ECONNREFUSED: connect ECONNREFUSED ${nothing.slice(7)}); is the rabbitmq_management plugin enabled?`,
    );
  });

  it("reads the embedded broker's API", async () => {
    const client = new ManagementApi({ baseUrl: broker.apiUrl!, username: 'guest', password: 'guest', ...(fetch ? { fetch } : {}) });
    expect(await client.get('overview')).toMatchObject({ product_name: 'camq embedded broker' });
    expect(await client.get(`exchanges/%2F/celery.pidbox/bindings/source`)).toEqual([]);
  });

  it('never shows the password: not in its origin, not when inspected', async () => {
    const client = new ManagementApi({ baseUrl: 'http://admin:hunter2@127.0.0.1:15672', username: 'admin', password: 'hunter2' });
    expect(client.origin).toBe('http://127.0.0.1:15672');
    const { inspect } = await import('node:util');
    expect(inspect(client)).not.toContain('hunter2');
    expect(JSON.stringify(client)).not.toContain('aHVudGVyMg'); // base64 of hunter2
  });
});

describe('discoverManagementApi', () => {
  it("takes the embedded broker's API when its listeners include the broker's port", async () => {
    const found = await discoverManagementApi({ broker: parseBrokerUrl(broker.url), candidates: [broker.apiUrl!] });
    expect(found.api?.origin).toBe(broker.apiUrl);
  });

  it('refuses an API that describes another broker, saying whose ports it lists', async () => {
    const other = parseBrokerUrl(`amqp://guest:guest@127.0.0.1:${broker.port + 1}//`);
    const found = await discoverManagementApi({ broker: other, candidates: [broker.apiUrl!, nothing] });
    expect(found.api).toBeNull();
    expect(found.reason).toBe(
      `the management API at ${broker.apiUrl} describes another broker (its AMQP ports: ${broker.port}; camq is connected to ${broker.port + 1}); ` +
        `cannot reach the management API at ${nothing} (ECONNREFUSED: connect ECONNREFUSED ${nothing.slice(7)}); is the rabbitmq_management plugin enabled?`,
    );
  });

  it("uses an explicit URL as given, with its own credentials over the broker URL's", async () => {
    const url = new URL(broker.apiUrl!);
    url.username = 'guest';
    url.password = 'guest';
    const found = await discoverManagementApi({ broker: parseBrokerUrl('amqp://nobody:wrong@127.0.0.1:1//'), apiUrl: url.href });
    expect(await found.api!.get('overview')).toMatchObject({ product_name: 'camq embedded broker' });
    const refused = await discoverManagementApi({ broker: parseBrokerUrl('amqp://nobody:wrong@127.0.0.1:1//'), apiUrl: broker.apiUrl });
    expect((await failure(refused.api!.get('overview'))).code).toBe('api.unauthorized');
  });
});
