/**
 * The Redis server integration tests use (docs/redis-protocol.md): CAMQ_TEST_REDIS_URL, by default database 11 of
 * the local server. Tests flush only that database. With CAMQ_REQUIRE_REDIS=1 (set by .ci/run) a Redis that does
 * not answer fails the run by name instead of skipping, like CAMQ_REQUIRE_RABBITMQ (brokers.ts).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { parseBrokerUrl } from '../../src/transport/broker-url.js';

export const REDIS_URL = process.env['CAMQ_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379/11';
export const REQUIRE_REDIS = process.env['CAMQ_REQUIRE_REDIS'] === '1';

/** A plain ioredis client on the test database, for looking at what the transport wrote. */
export function redisClient(): Redis {
  const url = parseBrokerUrl(REDIS_URL);
  const client = new Redis({
    host: url.hostname,
    port: url.port,
    db: Number(url.vhost),
    ...(url.password === '' ? {} : { password: url.password }),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  return client;
}

let probe: Promise<boolean> | undefined;

/** Resolve to true when Redis tests should run; throw when Redis is required but absent; else warn and skip. */
export async function useRedis(): Promise<boolean> {
  probe ??= (async () => {
    const client = redisClient();
    try {
      await client.connect();
      await client.ping();
      return true;
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  })();
  if (await probe) return true;
  const masked = parseBrokerUrl(REDIS_URL).masked;
  if (REQUIRE_REDIS) throw new Error(`CAMQ_REQUIRE_REDIS=1 but Redis does not answer at ${masked}`);
  process.stderr.write(`note: Redis does not answer at ${masked}; its tests are skipped\n`);
  return false;
}

/** Every key of the test database (redis-cli --scan), sorted. */
export async function allKeys(client: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys.sort();
}

/**
 * The test database for a describe block: a client connected before its tests, the database flushed before them (and
 * before each test with `flushBeforeEach`) and after them, then disconnected. Call it inside the describe.
 */
export function testRedisDatabase(options: { readonly flushBeforeEach?: boolean } = {}): Redis {
  const client = redisClient();
  beforeAll(async () => {
    await client.connect();
    await client.flushdb();
  });
  if (options.flushBeforeEach) beforeEach(() => client.flushdb().then(() => undefined));
  afterAll(async () => {
    await client.flushdb();
    client.disconnect();
  });
  return client;
}
