import type { Logger } from '../util/logger.js';
import type { CanvasPlan, CanvasSend } from './canvas.js';
import type { Request } from './request.js';
import type { ResultSender } from './result-sender.js';
import { taskQueue, type TaskQueue } from './task-queue.js';

/**
 * Sends what a finished task's canvas asks for (canvas.ts plans it: callbacks, errbacks, chains, groups): each
 * message after its queue is declared, once per connection (kombu's maybe_declare), through the ResultSender.
 */
export class CanvasSender {
  private readonly results: ResultSender;
  private readonly prepare: (queue: TaskQueue) => Promise<void>;
  private readonly logger: Logger;
  /** Queues declared for canvas messages on this connection. */
  private readonly declaredQueues = new Map<string, Promise<void>>();

  constructor(options: { results: ResultSender; prepare: (queue: TaskQueue) => Promise<void>; logger: Logger }) {
    this.results = options.results;
    this.prepare = options.prepare;
    this.logger = options.logger;
  }

  /** The connection was lost: its declarations go with it. */
  reset(): void {
    this.declaredQueues.clear();
  }

  /** Send what a finished task's canvas asks for; returns the result tuples for its result's `children`. */
  send(req: Request, plan: CanvasPlan): unknown[] {
    if (req.message.embed.chord) {
      this.logger.warning(
        `Task ${req.name}[${req.id}] is part of a chord: camq does not run chords (nor does the rpc:// result backend), so the chord's body will not run`,
      );
    }
    for (const what of plan.unsupported) {
      this.logger.error(`Task ${req.name}[${req.id}]: cannot apply ${what}: camq applies callbacks, errbacks, chains and groups, not chords`);
    }
    for (const what of plan.badFormats) this.logger.error(`Task ${req.name}[${req.id}]: canvas message to ${what}`);
    for (const send of plan.sends) void this.publish(send);
    return plan.children;
  }

  private async publish(send: CanvasSend): Promise<void> {
    if (send.queue !== undefined) await this.declareQueue(send.queue);
    await this.results.send(send.message);
  }

  /**
   * Declare a queue a canvas message goes to, once per connection (kombu's maybe_declare). A queue that exists with
   * other arguments is used as it is (one warning); any other failure is logged and the message published anyway.
   */
  private declareQueue(name: string): Promise<void> {
    let declared = this.declaredQueues.get(name);
    if (!declared) {
      declared = this.prepare(taskQueue(name)).catch((err: Error) => {
        this.declaredQueues.delete(name);
        this.logger.warning(`cannot declare queue ${name} for a canvas message (publishing anyway): ${err.message}`);
      });
      this.declaredQueues.set(name, declared);
    }
    return declared;
  }
}
