import type { Delivery } from '../transport/transport-channel.js';
import type { QueueDepthByPriority, StoredQueues, UnackedMessage } from '../transport/stored-queues.js';
import { envelopeToDelivery, parseEnvelope } from './envelope.js';
import { PRIORITY_STEPS, UNACKED_INDEX_KEY, UNACKED_KEY, bindingSet, parseBindingMember, priorityList } from './redis-keys.js';
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

  async depth(queue: string): Promise<QueueDepthByPriority> {
    const pipe = this.link.requireClient().pipeline();
    for (const step of PRIORITY_STEPS) pipe.llen(this.link.key(priorityList(queue, step)));
    const counts = ((await pipe.exec()) ?? []).map(([err, n]) => (err ? 0 : Number(n)));
    const byPriority = PRIORITY_STEPS.map((priority, i) => ({ priority, key: priorityList(queue, priority), count: counts[i] ?? 0 }));
    return { queue, total: byPriority.reduce((sum, p) => sum + p.count, 0), byPriority };
  }

  async peek(queue: string, count: number): Promise<Delivery[]> {
    const out: Delivery[] = [];
    const client = this.link.requireClient();
    for (const step of PRIORITY_STEPS) {
      const want = count - out.length;
      if (want <= 0) break;
      // BRPOP serves a list from its tail: the last `want` elements, tail first.
      const raws = (await client.lrange(this.link.key(priorityList(queue, step)), -want, -1)).reverse();
      for (const raw of raws) {
        const env = parseEnvelope(raw);
        out.push(
          env instanceof Error
            ? {
                content: Buffer.from(raw, 'utf8'),
                properties: { headers: {} },
                fields: { deliveryTag: out.length + 1, redelivered: false, exchange: '', routingKey: queue },
              }
            : envelopeToDelivery(env, { deliveryTag: out.length + 1 }),
        );
      }
    }
    return out;
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
