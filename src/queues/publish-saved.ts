import { DEFAULT_ACTION_POLICY, type ActionPolicy } from '../audit/action-policy.js';
import { CamqError } from '../errors/index.js';
import type { Transport } from '../transport/index.js';
import type { RestoredMessage } from './saved-messages.js';

/**
 * `camq queues publish FILE <queue>`: put saved messages back, in the file's order, through the default exchange to
 * `queue` (which must exist: a passive declare first, so nothing is published into the void; and `mandatory`, so a
 * message no queue took comes back and is counted), on a confirm channel: it resolves once the broker has confirmed
 * every one. Body and properties are those saved (saved-messages.ts).
 */
export async function publishSaved(
  transport: Transport,
  queue: string,
  messages: readonly RestoredMessage[],
  onProgress?: (published: number) => void,
  actions: ActionPolicy = DEFAULT_ACTION_POLICY,
): Promise<{ readonly published: number }> {
  return actions.run(
    { what: 'queue.publish', target: queue, args: { messages: messages.length } },
    () => publishNow(transport, queue, messages, onProgress),
    (r) => ({ ok: true, result: { published: r.published } }),
  );
}

async function publishNow(
  transport: Transport,
  queue: string,
  messages: readonly RestoredMessage[],
  onProgress?: (published: number) => void,
): Promise<{ readonly published: number }> {
  const channel = await transport.openChannel({ confirm: true });
  channel.on('error', () => {});
  try {
    await channel.checkQueue(queue);
    let failure: Error | null = null;
    let confirmed = 0;
    // Mandatory: a message no queue takes (the queue was deleted meanwhile) comes back instead of vanishing.
    let returned = 0;
    channel.on('return', () => returned++);
    for (const message of messages) {
      const ok = channel.publish('', queue, message.content, { ...message.properties, mandatory: true }, (err) => {
        if (err) failure ??= err;
        else confirmed++;
      });
      if (!ok) await new Promise<void>((resolve) => channel.once('drain', resolve));
      if (confirmed % 1000 === 0) onProgress?.(confirmed);
    }
    await channel.waitForConfirms().catch(() => {});
    if (returned > 0) {
      throw new CamqError(
        'queues.move-failed',
        `${returned} of ${messages.length} messages came back: no queue '${queue}' took them (deleted meanwhile?); the file is unchanged, publish it again`,
      );
    }
    if (failure !== null) {
      throw new CamqError(
        'queues.move-failed',
        `the broker refused ${messages.length - confirmed} of ${messages.length} messages (${(failure as Error).message}); the file is unchanged, publish it again (a message may then exist twice)`,
      );
    }
    return { published: confirmed };
  } finally {
    await channel.close().catch(() => {});
  }
}
