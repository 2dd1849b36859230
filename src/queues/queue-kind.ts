import { BrokerError, inequivalentArg, ReplyCode } from '../errors/index.js';
import type { Transport } from '../transport/index.js';

/**
 * A queue's type and delivery limit, learnt over AMQP alone. AMQP has no "describe queue": a passive declare gives
 * counts only. But a redeclare is checked for equivalence (RabbitMQ's rabbit_amqqueue:declare_args, and the embedded
 * broker's copy of it), and the 406 names the first argument that differs and its current value:
 *
 * - declare `{durable: true, x-queue-type: classic}`: accepted → classic; `inequivalent arg 'x-queue-type' … current
 *   is 'quorum'` → quorum (or stream); `inequivalent arg 'durable'` (or 'auto_delete') → classic (quorum and stream queues are
 *   always durable, never auto-delete); 405 RESOURCE_LOCKED → an exclusive queue, so classic.
 * - on a quorum queue, declare `{durable: true, x-queue-type: quorum}`: accepted → no `x-delivery-limit` argument;
 *   `inequivalent arg 'x-delivery-limit' … current is the value '3'` → 3; another argument named first → unknown.
 *
 * Each probe runs on a channel of its own (a 406 closes it) after a passive declare said the queue exists. What this
 * cannot see: a delivery-limit set by a policy (only the management API shows effective policies), so `policyLimit`
 * is always 'unknown'. The one race: a queue deleted between the passive declare and the probe is created again
 * (durable classic, empty), which a later `camq queues` shows.
 */
export interface QueueKind {
  readonly type: 'classic' | 'quorum' | 'stream' | 'unknown';
  /** The `x-delivery-limit` argument: a number, null when the queue has none, 'unknown' when the probe could not tell. */
  readonly deliveryLimit: number | null | 'unknown';
}

export async function probeQueueKind(transport: Transport, queue: string): Promise<QueueKind> {
  const first = await redeclare(transport, queue, 'classic');
  if (first.accepted || first.lockedOrDurable) return { type: 'classic', deliveryLimit: null };
  if (first.arg !== 'x-queue-type' || first.current === undefined) return { type: 'unknown', deliveryLimit: 'unknown' };
  const type = first.current === 'quorum' || first.current === 'stream' ? first.current : 'unknown';
  if (type !== 'quorum') return { type, deliveryLimit: type === 'stream' ? null : 'unknown' };
  const second = await redeclare(transport, queue, 'quorum');
  if (second.accepted) return { type, deliveryLimit: null };
  if (second.arg === 'x-delivery-limit' && second.current !== undefined && /^\d+$/.test(second.current)) {
    return { type, deliveryLimit: Number(second.current) };
  }
  return { type, deliveryLimit: 'unknown' };
}

interface Probe {
  readonly accepted: boolean;
  readonly lockedOrDurable: boolean;
  readonly arg?: string;
  readonly current?: string;
}

async function redeclare(transport: Transport, queue: string, type: 'classic' | 'quorum'): Promise<Probe> {
  const channel = await transport.openChannel();
  channel.on('error', () => {});
  try {
    await channel.assertQueue(queue, { durable: true, exclusive: false, autoDelete: false, arguments: { 'x-queue-type': type } });
    return { accepted: true, lockedOrDurable: false };
  } catch (err) {
    if (!(err instanceof BrokerError)) throw err;
    if (err.replyCode === ReplyCode.RESOURCE_LOCKED) return { accepted: false, lockedOrDurable: true };
    // Without configure permission the probe cannot run: the type stays unknown.
    if (err.replyCode === ReplyCode.ACCESS_REFUSED) return { accepted: false, lockedOrDurable: false };
    if (err.replyCode !== ReplyCode.PRECONDITION_FAILED) throw err;
    const refused = inequivalentArg(err.message);
    if (refused?.arg === 'durable' || refused?.arg === 'auto_delete') return { accepted: false, lockedOrDurable: true };
    if (refused?.current === undefined) return { accepted: false, lockedOrDurable: false };
    return { accepted: false, lockedOrDurable: false, arg: refused.arg, current: refused.current };
  } finally {
    await channel.close().catch(() => {});
  }
}
