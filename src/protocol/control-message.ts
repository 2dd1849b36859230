import { randomUUID } from 'node:crypto';
import { encodeJson, jsonProperties, type HeaderTable, type IncomingMessage, type OutgoingMessage } from './amqp-message.js';
import { PIDBOX_EXCHANGE, REPLY_EXCHANGE } from './topology.js';

/**
 * kombu's pidbox mailbox (docs/protocol.md, Remote control): requests fan out on `celery.pidbox`, every worker filters
 * by `destination`/`pattern` itself, and replies go to `reply.celery.pidbox` keyed by the client's oid, carrying the
 * request's `ticket` in a header.
 */

export interface ReplyTo {
  exchange: string;
  routing_key: string;
}

export type Matcher = 'glob' | 'pcre';

/** The body of a request, with kombu's wire names. */
export interface ControlRequestBody {
  method: string;
  arguments: Record<string, unknown>;
  destination: string[] | null;
  pattern: string | null;
  matcher: Matcher | null;
  /** Present only when a reply is wanted. */
  ticket?: string;
  reply_to?: ReplyTo;
}

export interface ControlRequestHeaders {
  /** The sender's mailbox Lamport clock. */
  clock: number;
  /** `time() + timeout` in Unix seconds (float), or 0; workers ignore it. */
  expires: number;
}

export interface ControlRequest extends ControlRequestBody {
  readonly clock: number;
}

export interface ControlRequestOptions {
  readonly method: string;
  readonly arguments?: Record<string, unknown>;
  readonly destination?: readonly string[] | null;
  readonly pattern?: string | null;
  readonly matcher?: Matcher | null;
  /** The reply routing key (the client's oid). Omit for a cast: no reply wanted, no ticket. */
  readonly replyRoutingKey?: string;
  /** @defaultValue a random UUID4 when a reply is wanted */
  readonly ticket?: string;
  /** @defaultValue 1 */
  readonly clock?: number;
  /** Seconds; sets the `expires` header. */
  readonly timeoutSeconds?: number;
  /** Epoch ms. @defaultValue Date.now() */
  readonly now?: number;
}

/** Build a request as `app.control.broadcast` publishes it (docs/protocol.md, Remote control). */
export function buildControlRequest(options: ControlRequestOptions): OutgoingMessage & { readonly ticket: string | undefined } {
  const wantsReply = options.replyRoutingKey !== undefined;
  const ticket = wantsReply ? (options.ticket ?? randomUUID()) : undefined;
  const body: ControlRequestBody = {
    method: options.method,
    arguments: options.arguments ?? {},
    destination: options.destination && options.destination.length > 0 ? [...options.destination] : null,
    pattern: options.pattern ?? null,
    matcher: options.matcher ?? null,
    ...(wantsReply ? { ticket, reply_to: { exchange: REPLY_EXCHANGE.name, routing_key: options.replyRoutingKey } } : {}),
  };
  const now = options.now ?? Date.now();
  const headers: ControlRequestHeaders = {
    clock: options.clock ?? 1,
    expires: options.timeoutSeconds === undefined ? 0 : now / 1000 + options.timeoutSeconds,
  };
  return {
    ticket,
    exchange: PIDBOX_EXCHANGE.name,
    routingKey: '',
    content: encodeJson(body),
    properties: jsonProperties({ deliveryMode: 2, headers: headers as unknown as HeaderTable }),
  };
}

export type ControlDecodeResult = { readonly ok: true; readonly request: ControlRequest } | { readonly ok: false; readonly error: string };

/** Decode a request as a worker receives it. */
export function decodeControlRequest(msg: IncomingMessage): ControlDecodeResult {
  let body: unknown;
  try {
    body = JSON.parse(msg.content.toString('utf8'));
  } catch (err) {
    return { ok: false, error: `control message is not JSON: ${(err as Error).message}` };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof (body as ControlRequestBody).method !== 'string') {
    return { ok: false, error: 'control message has no method' };
  }
  const b = body as Partial<ControlRequestBody> & { method: string };
  const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const destination = Array.isArray(b.destination) ? b.destination.filter((d): d is string => typeof d === 'string') : null;
  const args = typeof b.arguments === 'object' && b.arguments !== null && !Array.isArray(b.arguments) ? b.arguments : {};
  const replyTo =
    b.reply_to && typeof b.reply_to === 'object' && typeof b.reply_to.routing_key === 'string'
      ? { exchange: typeof b.reply_to.exchange === 'string' ? b.reply_to.exchange : REPLY_EXCHANGE.name, routing_key: b.reply_to.routing_key }
      : undefined;
  return {
    ok: true,
    request: {
      method: b.method,
      arguments: args,
      destination: destination && destination.length > 0 ? destination : null,
      pattern: typeof b.pattern === 'string' ? b.pattern : null,
      matcher: b.matcher === 'glob' || b.matcher === 'pcre' ? b.matcher : null,
      ...(typeof b.ticket === 'string' ? { ticket: b.ticket } : {}),
      ...(replyTo ? { reply_to: replyTo } : {}),
      clock: typeof headers['clock'] === 'number' ? headers['clock'] : 0,
    },
  };
}

/** fnmatch-style glob to a RegExp: `*`, `?`, `[seq]`, `[!seq]`. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) out += '\\[';
      else {
        let set = glob.slice(i + 1, end);
        if (set.startsWith('!')) set = '^' + set.slice(1);
        out += `[${set.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}

/**
 * Whether `nodename` should run `request` (docs/protocol.md, Remote control): a non-empty destination is an exact
 * membership test; otherwise a pattern with a matcher (`glob` = fnmatch, `pcre` = Python `re.match`, anchored at the
 * start); otherwise everyone.
 */
export function matchesDestination(request: Pick<ControlRequestBody, 'destination' | 'pattern' | 'matcher'>, nodename: string): boolean {
  if (request.destination && request.destination.length > 0) return request.destination.includes(nodename);
  if (request.pattern && request.matcher) {
    try {
      if (request.matcher === 'glob') return globToRegExp(request.pattern).test(nodename);
      return new RegExp(`^(?:${request.pattern})`).test(nodename);
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Build a worker's reply (docs/protocol.md, Remote control): `{nodename: value}`, headers `{ticket, clock}`, delivery
 * mode 1.
 */
export function buildControlReply(options: {
  readonly nodename: string;
  readonly value: unknown;
  readonly replyTo: ReplyTo;
  readonly ticket: string | undefined;
  readonly clock: number;
}): OutgoingMessage {
  const headers: HeaderTable = { clock: options.clock };
  if (options.ticket !== undefined) headers['ticket'] = options.ticket;
  return {
    exchange: options.replyTo.exchange,
    routingKey: options.replyTo.routing_key,
    content: encodeJson({ [options.nodename]: options.value ?? null }),
    properties: jsonProperties({ deliveryMode: 1, headers }),
  };
}

export interface ControlReply {
  readonly nodename: string;
  readonly value: unknown;
  /** Absent on replies from senders that set none; kombu then assumes it matches. */
  readonly ticket: string | undefined;
  readonly clock: number | undefined;
}

/** Decode a reply as a client receives it; undefined for anything that is not a one-key JSON object. */
export function decodeControlReply(msg: IncomingMessage): ControlReply | undefined {
  let body: unknown;
  try {
    body = JSON.parse(msg.content.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const entries = Object.entries(body as Record<string, unknown>);
  if (entries.length !== 1) return undefined;
  const [nodename, value] = entries[0]!;
  const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
  return {
    nodename,
    value,
    ticket: typeof headers['ticket'] === 'string' ? headers['ticket'] : undefined,
    clock: typeof headers['clock'] === 'number' ? headers['clock'] : undefined,
  };
}
