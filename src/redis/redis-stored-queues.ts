import { randomUUID } from 'node:crypto';
import type { Delivery } from '../transport/transport-channel.js';
import type { QueueDepthByPriority, StoredMessage, StoredQueues, UnackedMessage } from '../transport/stored-queues.js';
import { envelopeToDelivery, parseEnvelope, type Envelope } from './envelope.js';
import { PRIORITY_STEPS, UNACKED_INDEX_KEY, UNACKED_KEY, bindingSet, parseBindingMember, priorityList, queueOfList } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';

/**
 * StoredQueues on Redis (docs/redis-protocol.md, "camq queues on Redis"): queues are lists, so depth is LLEN per
 * priority list, peek is LRANGE (read-only: order and content unchanged), the unacked messages are kombu's
 * `unacked` hash and `unacked_index` sorted set, purge is DEL, and move is LMOVE per message.
 */
export class RedisStoredQueues implements StoredQueues {
  constructor(private readonly link: RedisLink) {}

  get visibilityTimeoutS(): number {
    return this.link.settings.visibilityTimeoutS;
  }

  /**
   * SCAN for list keys (a queue's priority lists) and binding sets (their members name queues, empty ones too), at
   * most MAX_SCANNED keys: a database that also holds a million result keys is walked in ~1,000 round trips, so the
   * walk stops there and says so. camq's own lists (`_camq.*`) and kombu's keeping are not queues.
   */
  async queueNames(): Promise<{ names: string[]; complete: boolean }> {
    const client = this.link.requireClient();
    const prefix = this.link.key('');
    const names = new Set<string>();
    let scanned = 0;
    for (const [type, match] of [
      ['list', `${prefix}*`],
      ['set', `${prefix}${bindingSet('*')}`],
    ] as const) {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT, 'TYPE', type);
        cursor = next;
        scanned += SCAN_COUNT;
        for (const key of keys) {
          const name = key.slice(prefix.length);
          if (type === 'list') {
            if (!name.startsWith('_camq.') && !name.startsWith('_kombu.')) names.add(queueOfList(name));
          } else {
            for (const member of await client.smembers(key)) {
              const binding = parseBindingMember(member);
              if (binding) names.add(binding.queue);
            }
          }
        }
        if (scanned >= MAX_SCANNED) return { names: [...names].sort(), complete: false };
      } while (cursor !== '0');
    }
    return { names: [...names].sort(), complete: true };
  }

  async depth(queue: string): Promise<QueueDepthByPriority> {
    const pipe = this.link.requireClient().pipeline();
    for (const step of PRIORITY_STEPS) pipe.llen(this.link.key(priorityList(queue, step)));
    const counts = ((await pipe.exec()) ?? []).map(([err, n]) => (err ? 0 : Number(n)));
    const byPriority = PRIORITY_STEPS.map((priority, i) => ({ priority, key: priorityList(queue, priority), count: counts[i] ?? 0 }));
    return { queue, total: byPriority.reduce((sum, p) => sum + p.count, 0), byPriority };
  }

  async peek(queue: string, count: number): Promise<Delivery[]> {
    const out: Delivery[] = [];
    for (const step of PRIORITY_STEPS) {
      const want = count - out.length;
      if (want <= 0) break;
      for (const m of await this.readList(queue, step, -want, out.length)) out.push(m.delivery);
    }
    return out;
  }

  async snapshot(queue: string): Promise<StoredMessage[]> {
    const out: StoredMessage[] = [];
    for (const step of PRIORITY_STEPS) out.push(...(await this.readList(queue, step, 0, out.length)));
    return out;
  }

  async take(messages: readonly StoredMessage[]): Promise<StoredMessage[]> {
    // Only kombu envelopes: a restore could not route anything else back, so it would be lost.
    const candidates = messages.filter((m) => refOf(m).env !== null);
    const taken: StoredMessage[] = [];
    for (let i = 0; i < candidates.length; i += SCRIPT_BATCH) {
      const batch = candidates.slice(i, i + SCRIPT_BATCH);
      const args: string[] = [String(this.link.clock.now() / 1000)];
      for (const m of batch) {
        const { raw, env } = refOf(m);
        const { exchange, routing_key: routingKey } = env!.properties.delivery_info;
        args.push(raw, tagOf(m), `[${raw}, ${JSON.stringify(exchange)}, ${JSON.stringify(routingKey)}]`);
      }
      const keys = [this.link.key(UNACKED_KEY), this.link.key(UNACKED_INDEX_KEY), ...batch.map((m) => this.link.key(refOf(m).list))];
      const done = await this.link.requireClient().takeElements(keys.length, ...keys, ...args);
      batch.forEach((m, j) => done[j] === 1 && taken.push(m));
    }
    return taken;
  }

  async ack(messages: readonly StoredMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const pipe = this.link.requireClient().pipeline();
    for (const m of messages) pipe.zrem(this.link.key(UNACKED_INDEX_KEY), tagOf(m)).hdel(this.link.key(UNACKED_KEY), tagOf(m));
    await pipe.exec();
  }

  async moveSome(messages: readonly StoredMessage[], to: string): Promise<StoredMessage[]> {
    const moved: StoredMessage[] = [];
    for (let i = 0; i < messages.length; i += SCRIPT_BATCH) {
      const batch = messages.slice(i, i + SCRIPT_BATCH);
      const keys = batch.flatMap((m) => [this.link.key(refOf(m).list), this.link.key(priorityList(to, refOf(m).step))]);
      const done = await this.link.requireClient().moveElements(keys.length, ...keys, ...batch.map((m) => refOf(m).raw));
      batch.forEach((m, j) => done[j] === 1 && moved.push(m));
    }
    return moved;
  }

  /**
   * A priority list's elements from `start` (a negative index counts from the tail) to its tail, in the order BRPOP
   * serves them (tail first), numbered on from `before`.
   */
  private async readList(queue: string, step: number, start: number, before: number): Promise<StoredMessage[]> {
    const list = priorityList(queue, step);
    const raws = (await this.link.requireClient().lrange(this.link.key(list), start, -1)).reverse();
    return raws.map((raw, i) => {
      const env = parseEnvelope(raw);
      const deliveryTag = before + i + 1;
      const delivery: Delivery =
        env instanceof Error
          ? {
              content: Buffer.from(raw, 'utf8'),
              properties: { headers: {} },
              fields: { deliveryTag, redelivered: false, exchange: '', routingKey: queue },
            }
          : envelopeToDelivery(env, { deliveryTag });
      const ref: StoredRef = { list, step, raw, env: env instanceof Error ? null : env, tag: undefined };
      return { delivery, ref };
    });
  }

  async unacked(queue?: string): Promise<UnackedMessage[]> {
    const client = this.link.requireClient();
    const index = await client.zrange(this.link.key(UNACKED_INDEX_KEY), '0', '-1', 'WITHSCORES');
    const tags: string[] = [];
    const scores: number[] = [];
    for (let i = 0; i + 1 < index.length; i += 2) {
      tags.push(index[i]!);
      scores.push(Number(index[i + 1]));
    }
    if (tags.length === 0) return [];
    const records = await client.hmget(this.link.key(UNACKED_KEY), ...tags);
    const routes = new Map<string, string[]>();
    const now = this.link.clock.now();
    const out: UnackedMessage[] = [];
    for (let i = 0; i < tags.length; i++) {
      const record = parseRecord(records[i] ?? null);
      if (!record) continue;
      const queues = record.exchange === '' ? [record.routingKey] : await this.routeOf(record.exchange, record.routingKey, routes);
      const takenAt = scores[i]! * 1000;
      for (const q of queues.length > 0 ? queues : [`(${record.exchange}/${record.routingKey})`]) {
        if (queue !== undefined && q !== queue) continue;
        out.push({
          queue: q,
          tag: tags[i]!,
          takenAt,
          ageMs: Math.max(0, now - takenAt),
          visibilityTimeoutS: this.link.settings.visibilityTimeoutS,
          message: record.envelope,
        });
      }
    }
    return out;
  }

  async purge(queue: string): Promise<number> {
    const keys = PRIORITY_STEPS.map((step) => this.link.key(priorityList(queue, step)));
    const tx = this.link.requireClient().multi();
    for (const key of keys) tx.llen(key);
    tx.del(...keys);
    const replies = (await tx.exec()) ?? [];
    return replies.slice(0, keys.length).reduce((sum, [, n]) => sum + Number(n ?? 0), 0);
  }

  async move(from: string, to: string, limit = Infinity): Promise<number> {
    const client = this.link.requireClient();
    let moved = 0;
    for (const step of PRIORITY_STEPS) {
      const source = this.link.key(priorityList(from, step));
      const target = this.link.key(priorityList(to, step));
      // Taken from the end consumers take from, put at the end producers push to: the order is kept behind what
      // `to` already holds. LMOVE is one atomic step: a crash between two leaves each message in exactly one list.
      while (moved < limit && (await client.lmove(source, target, 'RIGHT', 'LEFT')) !== null) moved++;
    }
    return moved;
  }

  /** The queues a direct binding routes (exchange, routing key) to, from `_kombu.binding.<exchange>`, cached per call. */
  private async routeOf(exchange: string, routingKey: string, cache: Map<string, string[]>): Promise<string[]> {
    const id = `${exchange}\n${routingKey}`;
    const known = cache.get(id);
    if (known) return known;
    const members = await this.link.requireClient().smembers(this.link.key(bindingSet(exchange)));
    const queues = [
      ...new Set(
        members
          .map(parseBindingMember)
          .filter((m) => m !== undefined && m.routingKey === routingKey)
          .map((m) => m!.queue),
      ),
    ];
    cache.set(id, queues);
    return queues;
  }
}

/** Elements per script call: each call holds the server for its LREMs, so a long filtered purge lets others in between. */
const SCRIPT_BATCH = 100;
/** SCAN's COUNT hint, and the keys queueNames looks at before it stops (per walk of both types together). */
const SCAN_COUNT = 1000;
const MAX_SCANNED = 200_000;

/** Where a StoredMessage of this transport lies: its list (without the key prefix), priority step and element. */
interface StoredRef {
  readonly list: string;
  readonly step: number;
  readonly raw: string;
  readonly env: Envelope | null;
  /** The kombu delivery tag `take` recorded it under (the envelope's, or a new UUID when it has none). */
  tag: string | undefined;
}

function refOf(message: StoredMessage): StoredRef {
  return message.ref as StoredRef;
}

function tagOf(message: StoredMessage): string {
  const ref = refOf(message);
  const own = ref.env?.properties.delivery_tag;
  return (ref.tag ??= typeof own === 'string' && own !== '' ? own : randomUUID());
}

/** An `unacked` hash value: JSON `[envelope, exchange, routing_key]` (kombu's QoS.append). */
function parseRecord(text: string | null): { envelope: Delivery | null; exchange: string; routingKey: string } | undefined {
  if (text === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length < 3 || typeof value[1] !== 'string' || typeof value[2] !== 'string') return undefined;
  const env = parseEnvelope(JSON.stringify(value[0]));
  return { envelope: env instanceof Error ? null : envelopeToDelivery(env, { deliveryTag: 0 }), exchange: value[1], routingKey: value[2] };
}
