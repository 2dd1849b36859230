/**
 * A failed task sent again by an operator (camq's retry, docs/retry.md): the original message with a new id. Pure.
 *
 * From a tapped body (the exact bytes the caller published): body, content type and encoding, compression, priority,
 * reply_to and every header are kept; `id` (and `root_id` when the task was its own root) become the new id, the
 * correlation id follows it, `retries` restarts at 0, an `eta`/`expires` already past is dropped (the retry runs now
 * and does not arrive expired), and the header RETRY_OF_HEADER names the task it retries. Protocol 1 carries the id
 * in its JSON body, which is rewritten with the new one (its other fields as they were).
 */
import { randomUUID } from 'node:crypto';
import { encodeJson, MAX_EXPIRATION_MS, type HeaderTable, type MessageProperties, type OutgoingMessage } from './amqp-message.js';
import { parseIsoDate } from './iso-date.js';
import { isObject } from './is-object.js';
import type { TappedTaskBody } from './trace-message.js';

/** The header naming the task a retry re-sends (a worker shows it as `task.request.camq_retry_of`). */
export const RETRY_OF_HEADER = 'camq_retry_of';

export interface ResendOptions {
  /** @defaultValue a random UUID4 */
  readonly newId?: string;
  /** Epoch ms. @defaultValue Date.now() */
  readonly now?: number;
}

const isPast = (value: unknown, now: number): boolean => {
  if (typeof value !== 'string') return false;
  const ms = parseIsoDate(value);
  return ms !== undefined && ms <= now;
};

/** The message that re-sends a tapped task under a new id, to the exchange and routing key it was first sent to. */
export function buildTappedResend(tapped: TappedTaskBody, options: ResendOptions = {}): OutgoingMessage & { readonly id: string } {
  const id = options.newId ?? randomUUID();
  const now = options.now ?? Date.now();
  const { headers: _h, expiration: _e, correlationId: _c, ...kept } = tapped.properties;
  let content = tapped.body;
  let headers: Record<string, unknown> = { ...tapped.headers };
  if (tapped.protocol === 2) {
    headers['id'] = id;
    if (headers['root_id'] === tapped.taskId) headers['root_id'] = id;
    if ('retries' in headers) headers['retries'] = 0;
    if (isPast(headers['eta'], now)) headers['eta'] = null;
    if (isPast(headers['expires'], now)) headers['expires'] = null;
  } else {
    const body: unknown = JSON.parse(tapped.body.toString('utf8'));
    const v1 = isObject(body) ? { ...body } : {};
    v1['id'] = id;
    if ('retries' in v1) v1['retries'] = 0;
    if (isPast(v1['eta'], now)) v1['eta'] = null;
    if (isPast(v1['expires'], now)) v1['expires'] = null;
    content = encodeJson(v1);
    headers = { ...(isObject(tapped.properties.headers) ? tapped.properties.headers : {}) };
  }
  headers[RETRY_OF_HEADER] = tapped.taskId;
  const expires = tapped.protocol === 2 ? headers['expires'] : undefined;
  const expiresMs = typeof expires === 'string' ? parseIsoDate(expires) : undefined;
  const properties: MessageProperties = {
    ...kept,
    correlationId: id,
    headers: headers as HeaderTable,
    // RabbitMQ refuses a TTL past 10 years; the `expires` header alone then does the job, as buildTaskMessage does.
    ...(expiresMs === undefined || expiresMs - now > MAX_EXPIRATION_MS ? {} : { expiration: String(Math.max(0, Math.round(expiresMs - now))) }),
  };
  return { id, exchange: tapped.exchange, routingKey: tapped.routingKey, content, properties };
}
