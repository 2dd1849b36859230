import { DEFAULT_ACTION_POLICY, type ActionPolicy } from '../audit/action-policy.js';
import { BrokerError, CamqError, ReplyCode } from '../errors/index.js';
import type { MessageProperties } from '../protocol/amqp-message.js';
import type { Delivery, PublishOptions, Transport, TransportChannel } from '../transport/index.js';
import type { StoredMessage, StoredQueues } from '../transport/stored-queues.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { isSelective, selectMessage, type MessageSelector } from './message-selector.js';
import { probeQueueKind } from './queue-kind.js';

/**
 * `camq queues move <from> <to>`: re-drive a dead-letter or parking queue. Every message is published to `to`
 * (default exchange, routing key `to`, body and properties as they were) on a confirm channel, and acked on `from`
 * only after the broker confirmed the copy. So a kill -9 at any instant loses nothing: an unacked source message
 * goes back to `from` when the connection drops, and one whose copy was confirmed but whose ack was not sent yet
 * exists twice (once in each queue). Never zero times. Copies are published `mandatory`: a copy no queue took (the
 * target was deleted) comes back before its confirm, and the move stops without acking it. docs/queues-operations.md,
 * Move.
 *
 * Pipeline (all messages): one consumer on `from` with a prefetch of `window`, so at most `window` messages are
 * outstanding (unconfirmed, or confirmed and not yet acked); confirms settle in order and the source is acked in
 * batches, `basic.ack(multiple=true)` up to the newest message whose copy and every earlier copy are confirmed.
 * Filtered (`--task`): basic.get over the messages present at the start, non-matching ones held and returned
 * (basic.nack, requeue) at the end, matching ones acked one by one after their confirm.
 *
 * The messages present at the start are moved (or `limit` of them): the count comes from a passive declare, so
 * messages published meanwhile wait for the next run. The target must exist (refused before anything is taken)
 * unless `declare`, which declares it as a durable classic queue.
 *
 * Where queues are stored as data (Redis, `Transport.storedQueues`), no copy is made: each message is moved by one
 * atomic server step (LMOVE, or for a filtered move LREM + LPUSH in one script) into the same priority list of `to`,
 * so it is in exactly one queue at every instant; the messages a filter leaves are not touched (same list, same
 * order). A queue there has no existence of its own, so `to` is not checked.
 */
export interface MoveOptions {
  readonly selector?: MessageSelector;
  readonly limit?: number | undefined;
  readonly declare?: boolean | undefined;
  /** Outstanding messages at most. @defaultValue 5000 */
  readonly window?: number | undefined;
  readonly clock?: Clock;
  /** Called as messages are acked on the source, with the total so far. */
  readonly onProgress?: (moved: number) => void;
  /** Read-only mode and the audit trail (src/audit). @defaultValue allowed, not recorded */
  readonly actions?: ActionPolicy;
}

export interface MoveResult {
  readonly from: string;
  readonly to: string;
  /** Confirmed on the target and acked on the source. */
  readonly moved: number;
  /** Looked at and left (filtered moves). */
  readonly kept: number;
  /** True when the target was declared by this move. */
  readonly declared: boolean;
}

export const DEFAULT_MOVE_WINDOW = 5000;
/** How long the consumer may see nothing before the source is checked for being empty (someone else took messages). */
const IDLE_CHECK_MS = 1000;
/**
 * How long the consumer may get nothing while the source still has ready messages before the move gives up: the
 * broker is delivering them to someone else (a single-active-consumer queue whose active consumer is another).
 */
const STALL_MS = 10_000;

export async function moveMessages(transport: Transport, from: string, to: string, options: MoveOptions = {}): Promise<MoveResult> {
  const actions = options.actions ?? DEFAULT_ACTION_POLICY;
  const { tasks, ids, olderThanMs } = options.selector ?? {};
  return actions.run(
    {
      what: 'queue.move',
      target: `${from} -> ${to}`,
      args: {
        tasks: tasks ?? [],
        ids: ids ?? [],
        ...(olderThanMs === undefined ? {} : { olderThanMs }),
        ...(options.limit === undefined ? {} : { limit: options.limit }),
      },
    },
    () => moveNow(transport, from, to, options),
    (r) => ({ ok: true, result: { moved: r.moved, kept: r.kept } }),
  );
}

async function moveNow(transport: Transport, from: string, to: string, options: MoveOptions): Promise<MoveResult> {
  if (from === to) throw new CamqError('queues.same-queue', `cannot move '${from}' to itself; name another target queue`);
  if (transport.storedQueues) {
    // Queues stored as data (Redis): one atomic step per message, priority kept; a crash loses nothing.
    if (options.selector && isSelective(options.selector)) return moveSelectedStored(transport.storedQueues, from, to, options.selector, options);
    const moved = await transport.storedQueues.move(from, to, options.limit);
    options.onProgress?.(moved);
    return { from, to, moved, kept: 0, declared: false };
  }
  const channel = await transport.openChannel({ confirm: true });
  channel.on('error', () => {});
  try {
    const { messageCount } = await channel.checkQueue(from);
    if ((await probeQueueKind(transport, from)).type === 'stream') {
      throw new CamqError(
        'queues.unsupported-type',
        `'${from}' is a stream: a stream keeps its messages (nothing is removed by acks), so camq does not move from one`,
      );
    }
    const declared = await ensureTarget(transport, to, options.declare === true);
    const total = Math.min(messageCount, options.limit ?? Number.POSITIVE_INFINITY);
    if (total === 0) return { from, to, moved: 0, kept: 0, declared };
    const window = Math.max(1, options.window ?? DEFAULT_MOVE_WINDOW);
    const plan: MovePlan = { channel, from, to, total, present: messageCount, window, options };
    const counts = options.selector && isSelective(options.selector) ? await moveSelected(plan) : await movePipelined(plan);
    return { from, to, ...counts, declared };
  } finally {
    await channel.close().catch(() => {});
  }
}

/** The target exists (passive declare on a channel of its own: a 404 closes it), or is declared when allowed. */
async function ensureTarget(transport: Transport, to: string, declare: boolean): Promise<boolean> {
  const probe = await transport.openChannel();
  probe.on('error', () => {});
  try {
    await probe.checkQueue(to);
    return false;
  } catch (err) {
    if (!(err instanceof BrokerError) || err.replyCode !== ReplyCode.NOT_FOUND) throw err;
    if (!declare) {
      throw new CamqError(
        'queues.target-missing',
        `target queue '${to}' does not exist in vhost '${transport.url.vhost}'; nothing was taken. Declare it first, or add --declare (a durable classic queue)`,
      );
    }
    const channel = await transport.openChannel();
    try {
      await channel.assertQueue(to, { durable: true, exclusive: false, autoDelete: false });
    } finally {
      await channel.close().catch(() => {});
    }
    return true;
  } finally {
    await probe.close().catch(() => {});
  }
}

interface Outstanding {
  readonly message: Delivery;
  confirmed: boolean;
}

/** What both ways of moving work from: the confirm channel, the queues, how many to move and the window. */
interface MovePlan {
  readonly channel: TransportChannel;
  readonly from: string;
  readonly to: string;
  /** How many to move: the ready count at the start, or the limit. */
  readonly total: number;
  /** The ready count at the start. */
  readonly present: number;
  readonly window: number;
  readonly options: MoveOptions;
}

async function movePipelined({ channel, from, to, total, window, options }: MovePlan): Promise<{ moved: number; kept: number }> {
  const clock = options.clock ?? systemClock;
  const ackBatch = Math.max(1, Math.floor(window / 4));
  await channel.prefetch(Math.min(window, total));
  return new Promise((resolve, reject) => {
    const outstanding: Outstanding[] = [];
    const extras: Delivery[] = [];
    let delivered = 0;
    let moved = 0;
    let unackedSettled = 0;
    let lastSettled: Delivery | undefined;
    let consumerTag: string | undefined;
    let finished = false;

    const finish = (err?: Error) => {
      if (finished) return;
      finished = true;
      idle.cancel();
      channel.off('close', onClose);
      channel.off('return', onReturn);
      // Copies confirmed before a failure are in the target: ack them, so a second run does not copy them again.
      if (err !== undefined) {
        try {
          ackSettled();
        } catch {
          // The channel is gone: they come back to the source, and the next run copies them again.
        }
      }
      const settle = async () => {
        if (consumerTag !== undefined) await channel.cancel(consumerTag).catch(() => {});
        for (const message of extras) channel.nack(message, false, true);
      };
      void settle()
        .catch(() => {})
        .then(() => (err === undefined ? resolve({ moved, kept: 0 }) : reject(err)));
    };
    const ackSettled = () => {
      if (!lastSettled || unackedSettled === 0) return;
      channel.ack(lastSettled, true);
      moved += unackedSettled;
      unackedSettled = 0;
      options.onProgress?.(moved);
    };
    const advance = () => {
      while (outstanding.length > 0 && outstanding[0]!.confirmed) {
        lastSettled = outstanding.shift()!.message;
        unackedSettled++;
      }
      if (unackedSettled >= ackBatch || outstanding.length === 0) ackSettled();
      if (moved === total) finish();
    };
    let lastActivity = clock.monotonic();
    let checking = false;
    // Nothing came for a while and nothing is outstanding: someone else may have taken the rest. Stop when the
    // source is empty.
    const idle: TimerHandle = clock.setInterval(() => {
      if (finished || checking || outstanding.length > 0 || clock.monotonic() - lastActivity < IDLE_CHECK_MS) return;
      checking = true;
      channel.checkQueue(from).then(
        (status) => {
          checking = false;
          if (status.messageCount === 0) finish();
          else if (clock.monotonic() - lastActivity >= STALL_MS) {
            finish(
              new CamqError(
                'queues.move-failed',
                `the broker delivered nothing from '${from}' for ${STALL_MS / 1000} s although ${status.messageCount} messages are ready ` +
                  `(a single-active-consumer queue whose active consumer is another?); ${moved} moved, the rest are still in '${from}'`,
              ),
            );
          }
        },
        (err: unknown) => finish(err as Error),
      );
    }, IDLE_CHECK_MS);
    const onClose = () =>
      finish(new CamqError('queues.move-failed', `the channel closed during the move after ${moved} messages; the rest are still in '${from}'`));
    channel.on('close', onClose);
    // The broker returns a copy no queue took (the target was deleted) before its confirm: stop before acking it.
    const onReturn = () => finish(targetGone(to, from, moved));
    channel.on('return', onReturn);

    const onMessage = (message: Delivery | null) => {
      if (finished) return;
      if (message === null) return finish(new CamqError('queues.move-failed', `'${from}' was deleted during the move, after ${moved} messages`));
      lastActivity = clock.monotonic();
      if (delivered >= total) {
        extras.push(message);
        return;
      }
      delivered++;
      const entry: Outstanding = { message, confirmed: false };
      outstanding.push(entry);
      const onConfirm = (err: Error | null) => {
        if (finished) return;
        if (err) return finish(refusedCopy(to, from, moved, err));
        entry.confirmed = true;
        lastActivity = clock.monotonic();
        advance();
      };
      try {
        channel.publish('', to, message.content, forwarded(message), onConfirm);
      } catch (err) {
        finish(err as Error);
      }
    };
    channel.consume(from, onMessage, { noAck: false }).then(
      ({ consumerTag: tag }) => {
        consumerTag = tag;
        if (finished) void channel.cancel(tag).catch(() => {});
      },
      (err: unknown) => finish(err as Error),
    );
  });
}

async function moveSelected({ channel, from, to, total, present, window, options }: MovePlan): Promise<{ moved: number; kept: number }> {
  const clock = options.clock ?? systemClock;
  const held: Delivery[] = [];
  const inFlight = new Set<Promise<void>>();
  let moved = 0;
  let failure: Error | undefined;
  let returned = false;
  const onReturn = () => (returned = true);
  channel.on('return', onReturn);
  let selected = 0;
  for (let scanned = 0; scanned < present && selected < total && failure === undefined; scanned++) {
    const message = await channel.get(from, { noAck: false });
    if (message === false) break;
    if (selectMessage(options.selector!, message, clock.now()) !== 'match') {
      held.push(message);
      continue;
    }
    selected++;
    const confirmed = new Promise<void>((resolve) => {
      const onConfirm = (err: Error | null) => {
        // After a return (no queue took a copy), nothing more is acked: a copy may be missing.
        if (err || returned) failure ??= err ?? targetGone(to, from, moved);
        else {
          channel.ack(message);
          moved++;
          options.onProgress?.(moved);
        }
        resolve();
      };
      channel.publish('', to, message.content, forwarded(message), onConfirm);
    });
    inFlight.add(confirmed);
    void confirmed.then(() => inFlight.delete(confirmed));
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  for (const message of held) channel.nack(message, false, true);
  if (failure !== undefined) {
    throw new CamqError(
      'queues.move-failed',
      `the broker refused a copy in '${to}' (${failure.message}); ${moved} moved, the rest are still in '${from}'`,
    );
  }
  return { moved, kept: held.length };
}

/** Stored messages moved per server step batch, and reported as progress. */
const STORED_MOVE_BATCH = 100;

async function moveSelectedStored(
  stored: StoredQueues,
  from: string,
  to: string,
  selector: MessageSelector,
  options: MoveOptions,
): Promise<MoveResult> {
  const clock = options.clock ?? systemClock;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let moved = 0;
  let kept = 0;
  let batch: StoredMessage[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    moved += (await stored.moveSome(batch, to)).length;
    batch = [];
    options.onProgress?.(moved);
  };
  for (const message of await stored.snapshot(from)) {
    if (moved + batch.length >= limit) break;
    if (selectMessage(selector, message.delivery, clock.now()) !== 'match') kept++;
    else batch.push(message);
    if (batch.length >= STORED_MOVE_BATCH) await flush();
  }
  await flush();
  return { from, to, moved, kept, declared: false };
}

function refusedCopy(to: string, from: string, moved: number, err: Error): CamqError {
  return new CamqError(
    'queues.move-failed',
    `the broker refused a copy in '${to}' (${err.message}); ${moved} moved, the rest are still in '${from}'`,
  );
}

function targetGone(to: string, from: string, moved: number): CamqError {
  return new CamqError(
    'queues.move-failed',
    `the broker returned a copy: no queue '${to}' took it (deleted during the move?); ${moved} moved, the rest are still in '${from}'`,
  );
}

/** A delivery's properties, published again as they came (header values are what the wire decoded, so they encode back). */
/** The message's own properties, sent mandatory: a copy no queue takes comes back instead of being confirmed and dropped. */
function forwarded(message: Delivery): MessageProperties & PublishOptions {
  return { ...(message.properties as MessageProperties), mandatory: true };
}
