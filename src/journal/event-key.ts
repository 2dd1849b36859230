import type { EventEnvelope } from '../protocol/event-message.js';

/**
 * The identity of a journal record, the same whoever wrote it, so readers keep each once (docs/journal.md, Dedup).
 *
 * - A task event: `type`, `uuid`, the sender's `hostname` and `timestamp` (the sender's `time.time()`).
 * - Any other event (worker-online, heartbeat, offline): `type`, `hostname`, `timestamp` and the sender's `clock`.
 * - A task-sent's clock is excluded: receivers replace it with their own Lamport clock minus one (Celery's
 *   `event_from_message`), so two receivers give one task-sent two clocks. Task events already differ by uuid.
 * - `local_received` never counts: it is each receiver's own receipt time.
 */
export function eventKey(event: EventEnvelope): string {
  const e = event as unknown as Record<string, unknown>;
  const type = String(e['type']);
  const host = String(e['hostname']);
  const ts = String(e['timestamp']);
  const uuid = e['uuid'];
  if (typeof uuid === 'string' && type.startsWith('task-')) return `${type}\u0000${uuid}\u0000${host}\u0000${ts}`;
  return `${type}\u0000${host}\u0000${ts}\u0000${String(e['clock'])}`;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
/** The hash state of eventKeyHash, module-wide: no closure or object per event on the append path. */
let h1 = 0;
let h2 = 0;

function mixString(text: unknown): void {
  const s = typeof text === 'string' ? text : String(text);
  let a = h1;
  let b = h2;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    a = Math.imul(a ^ ch, 2654435761);
    b = Math.imul(b ^ ch, 1597334677);
  }
  h1 = Math.imul(a ^ 0xff, 2654435761);
  h2 = Math.imul(b ^ 0xff, 1597334677);
}

function mixNumber(value: unknown): void {
  if (typeof value !== 'number') return mixString(value);
  F64[0] = value;
  h1 = Math.imul(h1 ^ U32[0]!, 2654435761);
  h2 = Math.imul(h2 ^ U32[1]!, 1597334677);
}

/**
 * `hashKey(eventKey(event))` without building the key: the same fields, numbers hashed by their bits rather than
 * printed (printing a float is the slow part). What writers use; equal for equal keys in any process.
 */
export function eventKeyHash(event: EventEnvelope): number {
  const e = event as unknown as { type?: unknown; uuid?: unknown; hostname?: unknown; timestamp?: unknown; clock?: unknown };
  const type = e.type;
  const uuid = e.uuid;
  h1 = 0xdeadbeef;
  h2 = 0x41c6ce57;
  mixString(type);
  mixString(e.hostname);
  mixNumber(e.timestamp);
  if (typeof uuid === 'string' && typeof type === 'string' && type.startsWith('task-')) mixString(uuid);
  else mixNumber(e.clock);
  const a = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  const b = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909);
  return 4294967296 * (2097151 & b) + (a >>> 0);
}

export function taskBodyKey(taskId: string): string {
  return `body\u0000${taskId}`;
}

export function actionKey(action: { readonly who: string; readonly when: number; readonly what: string; readonly target?: unknown }): string {
  // The target too: two revokes of different tasks in one millisecond are two actions.
  const target = action.target === undefined ? '' : typeof action.target === 'string' ? action.target : JSON.stringify(action.target);
  return `action\u0000${action.who}\u0000${action.when}\u0000${action.what}\u0000${target}`;
}

/**
 * A 53-bit hash of a key (cyrb53): stored in each record's header, so dedup needs no JSON parse. At 10 million
 * records the chance of any collision is about 1 in 180,000.
 */
export function hashKey(key: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < key.length; i++) {
    const ch = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
