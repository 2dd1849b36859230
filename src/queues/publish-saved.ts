import { CamqError } from '../errors/index.js';
import type { Transport } from '../transport/index.js';
import type { RestoredMessage } from './saved-messages.js';

/**
 * `camq queues publish FILE <queue>`: put saved messages back, in the file's order, through the default exchange to
 * `queue` (which must exist: a passive declare first, so nothing is published into the void), on a confirm channel:
 * it resolves once the broker has confirmed every one. Body and properties are those saved (saved-messages.ts).
 */
export async function publishSaved(
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
    for (const message of messages) {
      const ok = channel.publish('', queue, message.content, message.properties, (err) => {
        if (err) failure ??= err;
        else confirmed++;
      });
      if (!ok) await new Promise<void>((resolve) => channel.once('drain', resolve));
      if (confirmed % 1000 === 0) onProgress?.(confirmed);
    }
    await channel.waitForConfirms().catch(() => {});
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
