import { DEFAULT_ACTION_POLICY, type ActionPolicy } from '../audit/action-policy.js';
import type { Delivery, Transport, TransportChannel } from '../transport/index.js';
import type { StoredMessage, StoredQueues } from '../transport/stored-queues.js';
import { systemClock, type Clock } from '../util/clock.js';
import { describeMessage, taskOf, type PeekedMessage } from './peeked-message.js';
import { selectMessage, type MessageSelector } from './message-selector.js';
import { savedLine, type SavedMessageWriter } from './saved-messages.js';

/**
 * `camq queues purge`. All: one queue.purge, which drops the ready messages (unacked ones, held by consumers, stay).
 *
 * Selective: the queue's ready messages at the start (the passive declare's count) are taken one by one with
 * basic.get, unacked, on a channel of this purge. A selected message is written to the saved-messages file; every
 * `SAVE_BATCH` of them (and at the end) the file is fsynced and only then are they acked. The others are held,
 * unacked, until the scan ends and then returned (basic.nack, requeue) at their positions. A worker consuming the
 * queue meanwhile takes what the purge has not: a selected task is either saved (taken by the purge) or run (taken
 * by the worker), never both. The one window: a crash between the fsync and the ack leaves a saved message on the
 * queue too (it comes back redelivered).
 *
 * Where queues are stored as data (Redis, `Transport.storedQueues`): the ready messages are read without taking them
 * (LRANGE), judged, and only the selected ones are taken, each atomically moved from its list into the transport's
 * unacked keeping (kombu's `unacked`), saved and fsynced, then acked. The others are never touched: they stay in
 * their priority list, in order, not marked redelivered. A selected one a worker took first is the worker's (not
 * saved). A crash between the take and the ack leaves the taken ones in `unacked`, which any consumer restores to
 * the queue after the visibility timeout: nothing is lost.
 */
export interface SelectivePurgeOptions {
  readonly selector: MessageSelector;
  /** List what would go, take nothing. */
  readonly dryRun?: boolean;
  /** Where the selected messages are saved; without one they are dropped. */
  readonly writer?: SavedMessageWriter | undefined;
  readonly clock?: Clock;
  /** Called after each batch is acked, with the count removed so far. */
  readonly onProgress?: (removed: number) => void;
  /** Read-only mode and the audit trail (src/audit); a dry run is not an action. @defaultValue allowed, not recorded */
  readonly actions?: ActionPolicy;
}

export interface SelectivePurgeResult {
  readonly queue: string;
  /** Messages looked at. */
  readonly scanned: number;
  /** Removed (acked; saved first when there was a writer); with dryRun, what would be removed. */
  readonly removed: number;
  /** Given back to the queue. */
  readonly kept: number;
  /** Messages `olderThanMs` could not judge: no publish time. */
  readonly undated: number;
  /** With dryRun, the messages that would go. */
  readonly selected: PeekedMessage[];
}

/** Selected messages fsynced and acked together. */
export const SAVE_BATCH = 200;

/** queue.purge: refused when read-only, recorded with the count removed (`actions`). */
export async function purgeAll(
  transport: Transport,
  queue: string,
  options: { readonly actions?: ActionPolicy } = {},
): Promise<{ readonly messageCount: number }> {
  const actions = options.actions ?? DEFAULT_ACTION_POLICY;
  return actions.run(
    { what: 'queue.purge', target: queue, args: { all: true } },
    () => purgeAllNow(transport, queue),
    (r) => ({ ok: true, result: { removed: r.messageCount } }),
  );
}

async function purgeAllNow(transport: Transport, queue: string): Promise<{ readonly messageCount: number }> {
  // Queues stored as data (Redis): LLEN + DEL of the priority lists in one transaction.
  if (transport.storedQueues) return { messageCount: await transport.storedQueues.purge(queue) };
  const channel = await transport.openChannel();
  channel.on('error', () => {});
  try {
    await channel.checkQueue(queue);
    return await channel.purgeQueue(queue);
  } finally {
    await channel.close().catch(() => {});
  }
}

export async function purgeSelected(transport: Transport, queue: string, options: SelectivePurgeOptions): Promise<SelectivePurgeResult> {
  if (options.dryRun === true) return purgeSelectedNow(transport, queue, options);
  const actions = options.actions ?? DEFAULT_ACTION_POLICY;
  const { tasks, ids, olderThanMs } = options.selector;
  return actions.run(
    { what: 'queue.purge', target: queue, args: { tasks: tasks ?? [], ids: ids ?? [], ...(olderThanMs === undefined ? {} : { olderThanMs }) } },
    () => purgeSelectedNow(transport, queue, options),
    (r) => ({ ok: true, result: { removed: r.removed, kept: r.kept, scanned: r.scanned } }),
  );
}

async function purgeSelectedNow(transport: Transport, queue: string, options: SelectivePurgeOptions): Promise<SelectivePurgeResult> {
  if (transport.storedQueues) return purgeSelectedStored(transport.storedQueues, queue, options);
  const clock = options.clock ?? systemClock;
  const channel = await transport.openChannel();
  channel.on('error', () => {});
  const held: Delivery[] = [];
  let batch: Delivery[] = [];
  const selected: PeekedMessage[] = [];
  let scanned = 0;
  let removed = 0;
  let undated = 0;
  const settleBatch = async () => {
    if (batch.length === 0) return;
    await options.writer?.flush();
    for (const message of batch) channel.ack(message);
    removed += batch.length;
    batch = [];
    options.onProgress?.(removed);
  };
  try {
    const { messageCount } = await channel.checkQueue(queue);
    while (scanned < messageCount) {
      const message = await channel.get(queue, { noAck: false });
      if (message === false) break;
      scanned++;
      const now = clock.now();
      const verdict = selectMessage(options.selector, message, now);
      if (verdict === 'undated') undated++;
      if (verdict !== 'match') {
        held.push(message);
        continue;
      }
      if (options.dryRun) {
        selected.push(describeMessage(message, scanned, now));
        held.push(message);
        continue;
      }
      const task = taskOf(message);
      options.writer?.add(savedLine(message, queue, new Date(now), task ? { name: task.name, id: task.id } : undefined));
      batch.push(message);
      if (batch.length >= SAVE_BATCH) await settleBatch();
    }
    await settleBatch();
    returnHeld(channel, held);
    const kept = held.length - selected.length;
    held.length = 0;
    return { queue, scanned, removed: options.dryRun ? selected.length : removed, kept, undated, selected };
  } finally {
    // On failure, whatever is unacked (held, and a batch whose save failed) goes back when the channel closes.
    await channel.close().catch(() => {});
  }
}

async function purgeSelectedStored(stored: StoredQueues, queue: string, options: SelectivePurgeOptions): Promise<SelectivePurgeResult> {
  const clock = options.clock ?? systemClock;
  const selected: PeekedMessage[] = [];
  let batch: StoredMessage[] = [];
  let scanned = 0;
  let matched = 0;
  let removed = 0;
  let undated = 0;
  const settleBatch = async () => {
    if (batch.length === 0) return;
    const taken = await stored.take(batch);
    batch = [];
    const at = new Date(clock.now());
    for (const { delivery } of taken) {
      const task = taskOf(delivery);
      options.writer?.add(savedLine(delivery, queue, at, task ? { name: task.name, id: task.id } : undefined));
    }
    await options.writer?.flush();
    await stored.ack(taken);
    removed += taken.length;
    options.onProgress?.(removed);
  };
  for (const message of await stored.snapshot(queue)) {
    scanned++;
    const now = clock.now();
    const verdict = selectMessage(options.selector, message.delivery, now);
    if (verdict === 'undated') undated++;
    if (verdict !== 'match') continue;
    matched++;
    if (options.dryRun) selected.push(describeMessage(message.delivery, scanned, now));
    else batch.push(message);
    if (batch.length >= SAVE_BATCH) await settleBatch();
  }
  await settleBatch();
  return { queue, scanned, removed: options.dryRun ? selected.length : removed, kept: scanned - matched, undated, selected };
}

function returnHeld(channel: TransportChannel, held: readonly Delivery[]): void {
  for (const message of held) channel.nack(message, false, true);
}
