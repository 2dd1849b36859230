import type { Redis } from 'ioredis';
import type { CamqError } from '../errors/index.js';
import type { Clock } from '../util/clock.js';
import type { BrokenMessageLog } from './broken-message.js';
import type { RedisSettings } from './redis-settings.js';

/** The ioredis client with the transport's scripts (src/redis/redis-scripts.ts). */
export type ScriptedRedis = Redis & {
  routeDirect(set: string, routingKey: string, sep: string, prefix: string, suffix: string, payload: string): Promise<number>;
  restoreTag(numKeys: number, ...args: string[]): Promise<number>;
  releaseMutex(mutex: string, token: string): Promise<number>;
  claimName(key: string, owner: string, leaseMs: string): Promise<number>;
  takeAndHold(list: string, unacked: string, index: string, count: number, now: number, record: '0' | '1'): Promise<[string[], number[]]>;
  takeElements(numKeys: number, ...args: string[]): Promise<number[]>;
  moveElements(numKeys: number, ...args: string[]): Promise<number[]>;
};

export type FanoutListener = (channel: string, payload: Buffer) => void;

/** A binding made through this connection: what deleting its queue removes (kombu's state.bindings). */
export interface KnownBinding {
  readonly exchange: string;
  readonly routingKey: string;
  /** The binding-set member as stored. */
  readonly member: string;
}

/**
 * What a RedisChannel needs of its connection (RedisTransport implements it): the shared command client, a blocking
 * client of its own, pub/sub, kombu's in-memory state (exchange types, bindings made here) and the settings.
 */
export interface RedisLink {
  readonly settings: RedisSettings;
  readonly clock: Clock;
  readonly isOpen: boolean;
  /** Where a channel reports a taken element that is not an envelope (one line per interval). */
  readonly brokenLog: BrokenMessageLog;
  /** Exchange name → type, for the exchanges declared through this connection (kombu's state.exchanges). */
  readonly exchangeTypes: Map<string, string>;
  /** Queue → the bindings made through this connection, keyed by exchange and routing key. */
  readonly queueBindings: Map<string, Map<string, KnownBinding>>;
  key(name: string): string;
  requireClient(): ScriptedRedis;
  blockingClient(): Promise<Redis>;
  translate(err: unknown): CamqError;
  subscribe(pattern: string, listener: FanoutListener): Promise<void>;
  unsubscribe(pattern: string, listener: FanoutListener): Promise<void>;
}
