import type { Transport } from '../transport/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { RepeatLimiter } from '../util/repeat-limiter.js';
import type { TaskConsumer } from './consumer.js';
import type { EventDispatcher } from './event-dispatcher.js';
import type { Heart } from './heartbeat.js';
import type { Mailbox } from './mailbox.js';
import type { Pool } from './pool.js';
import type { RequestLifecycle } from './request-lifecycle.js';
import type { StateDb } from './state-db.js';

export type ShutdownMode = 'warm' | 'cold';

/** What a shutdown stops, and how. */
export interface ShutdownParts {
  readonly lifecycle: RequestLifecycle;
  readonly consumer: TaskConsumer;
  readonly events: EventDispatcher;
  readonly badLines: RepeatLimiter;
  readonly heart: Heart;
  readonly mailbox: Mailbox;
  readonly state: StateDb;
  /** The app's own connection, if it opened one to send tasks from handlers. */
  readonly app: { close(): Promise<void> };
  readonly transport: Transport;
  readonly pool: Pool;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long a warm shutdown waits for running tasks. */
  readonly timeoutMs: number;
  /** The start-up in progress (settles, never rejects), if any. */
  readonly starting: Promise<void> | undefined;
  /** The mode now: a second signal turns a warm shutdown cold while it runs. */
  mode(): ShutdownMode;
}

/**
 * The shutdown sequence (docs/protocol.md, The worker's semantics). Warm: stop consuming, give reserved, ETA-held and
 * rate-limited messages back to the queue, wait for running tasks (up to the shutdown timeout), send worker-offline,
 * close. Cold: the same without waiting; running tasks are aborted (early-acked ones are lost, as with Celery;
 * acks-late ones come back). Resolves with the mode it ended in.
 */
export async function shutDown(p: ShutdownParts): Promise<ShutdownMode> {
  p.logger.warning(p.mode() === 'warm' ? 'worker: Warm shutdown (MainProcess)' : 'worker: Cold shutdown (MainProcess)');
  // A signal during start-up (mingle waits 1 s for replies): closing the connection under the steps in flight failed
  // them ("the control channel … was closed", exit 2). Let them finish (setup then does not consume) and undo them.
  await p.starting;
  await p.consumer.stopConsuming().catch(() => {});
  p.lifecycle.giveBackUnstarted();
  // The mode now, not at the start: a second signal during the steps above already made it cold.
  if (p.mode() === 'warm' && p.lifecycle.activeCount > 0) {
    let timer: TimerHandle | undefined;
    await Promise.race([p.lifecycle.whenIdle(), new Promise<void>((resolve) => (timer = p.clock.setTimeout(resolve, p.timeoutMs)))]);
    timer?.cancel();
    if (p.lifecycle.activeCount > 0 && p.mode() === 'warm')
      p.logger.warning(`${p.lifecycle.activeCount} task(s) still running after ${p.timeoutMs / 1000}s; stopping anyway`);
  }
  p.lifecycle.stopAllRunning();
  p.events.flush();
  p.badLines.flush();
  p.heart.offline();
  await p.mailbox.close();
  await p.state.save();
  // Give the results of the last tasks a moment to leave before the connection goes; the last acks go now.
  await new Promise<void>((resolve) => p.clock.setImmediate(resolve));
  p.consumer.flushAcks();
  await p.app.close().catch(() => {});
  await p.transport.close();
  await p.pool.stop();
  return p.mode();
}
