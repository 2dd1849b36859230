import { Redis } from 'ioredis';
import { CamqError } from '../errors/index.js';
import type { BrokerUrl } from '../transport/broker-url.js';
import type { ResultBackend } from '../transport/result-backend.js';
import { taskMetaKey } from './redis-keys.js';
import { translateRedisError } from './redis-error.js';
import { ioredisOptions } from './redis-settings.js';

/** Celery's `result_expires` default: one day. */
export const DEFAULT_RESULT_EXPIRES_S = 86_400;

/**
 * Celery 5.2's Redis result backend (celery/backends/redis.py): a result is the key `celery-task-meta-<id>`, written
 * with SETEX for `result_expires` and PUBLISHed on a channel of the same name in the same pipeline; a waiting client
 * SUBSCRIBEs to that channel and GETs the key right after, so a result stored in between is not missed. The key never
 * carries `global_keyprefix` (5.2.6 ignores it). The URL's `result_expires` query (seconds, 0 = never) sets the expiry.
 */
export class RedisResultBackend implements ResultBackend {
  readonly masked: string;
  private readonly url: BrokerUrl;
  private readonly expiresS: number;
  private client: Redis | undefined;
  private subscriber: Redis | undefined;
  private readonly waiters = new Map<string, Set<(content: Buffer) => void>>();

  constructor(url: BrokerUrl) {
    this.url = url;
    this.masked = url.masked;
    const expires = url.query['result_expires'];
    this.expiresS = expires === undefined ? DEFAULT_RESULT_EXPIRES_S : Math.max(0, Number(expires) || 0);
  }

  async connect(): Promise<void> {
    if (this.client) return;
    const client = new Redis(ioredisOptions(this.url, 4000, 'camq-results'));
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (err) {
      client.disconnect();
      throw translateRedisError(err, this.masked, this.url);
    }
    this.client = client;
  }

  async store(taskId: string, content: Buffer): Promise<void> {
    const key = taskMetaKey(taskId);
    const pipe = this.require().pipeline();
    if (this.expiresS > 0) pipe.setex(key, this.expiresS, content);
    else pipe.set(key, content);
    pipe.publish(key, content);
    try {
      await pipe.exec();
    } catch (err) {
      throw translateRedisError(err, this.masked, this.url);
    }
  }

  async get(taskId: string): Promise<Buffer | null> {
    try {
      return await this.require().getBuffer(taskMetaKey(taskId));
    } catch (err) {
      throw translateRedisError(err, this.masked, this.url);
    }
  }

  async wait(taskId: string, timeoutMs: number): Promise<Buffer> {
    const key = taskMetaKey(taskId);
    const sub = await this.requireSubscriber();
    let listener: ((content: Buffer) => void) | undefined;
    const arrived = new Promise<Buffer>((resolve) => (listener = resolve));
    let set = this.waiters.get(key);
    if (!set) {
      set = new Set();
      this.waiters.set(key, set);
      await sub.subscribe(key);
    }
    set.add(listener!);
    let timer: NodeJS.Timeout | undefined;
    try {
      const stored = await this.get(taskId);
      if (stored !== null) return stored;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new CamqError('broker.timeout', `no result for task ${taskId} within ${timeoutMs} ms in ${this.masked}`)),
          timeoutMs,
        );
      });
      return await Promise.race([arrived, timeout]);
    } finally {
      clearTimeout(timer);
      set.delete(listener!);
      if (set.size === 0) {
        this.waiters.delete(key);
        await sub.unsubscribe(key).catch(() => {});
      }
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    const sub = this.subscriber;
    this.client = undefined;
    this.subscriber = undefined;
    sub?.disconnect();
    if (client) await client.quit().catch(() => client.disconnect());
  }

  private require(): Redis {
    if (!this.client) throw new CamqError('broker.closed', `the result backend ${this.masked} is not connected`);
    return this.client;
  }

  private async requireSubscriber(): Promise<Redis> {
    if (this.subscriber) return this.subscriber;
    const sub = this.require().duplicate();
    sub.on('error', () => {});
    sub.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
      for (const waiter of [...(this.waiters.get(channel.toString('utf8')) ?? [])]) waiter(payload);
    });
    this.subscriber = sub;
    await sub.connect().catch((err: unknown) => {
      this.subscriber = undefined;
      throw translateRedisError(err, this.masked, this.url);
    });
    return sub;
  }
}
