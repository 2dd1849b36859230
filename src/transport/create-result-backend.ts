import { UsageError } from '../errors/index.js';
import { RedisResultBackend } from '../redis/redis-result-backend.js';
import { isRedisUrl, parseBrokerUrl } from './broker-url.js';
import type { ResultBackend } from './result-backend.js';

/**
 * The result backend for a URL (Celery's `result_backend`): undefined for `rpc://` (results go back through the
 * broker, the worker's default), Celery's Redis backend for `redis://` and `rediss://`. Anything else is refused in
 * one line.
 */
export function createResultBackend(url: string): ResultBackend | undefined {
  const text = url.trim();
  if (text === '' || /^rpc:\/\//i.test(text)) return undefined;
  if (/^rediss?:\/\//i.test(text)) {
    const parsed = parseBrokerUrl(text);
    if (isRedisUrl(parsed)) return new RedisResultBackend(parsed);
  }
  throw new UsageError(
    `unsupported result backend '${text.replace(/:\/\/([^@/]*):[^@/]*@/, '://$1:**@')}': camq stores results over rpc:// or in Redis (redis://host:port/db)`,
  );
}
