import type { Delivery } from '../transport/index.js';
import { publishedAt, taskOf } from './peeked-message.js';

/**
 * Which messages a selective purge (or a filtered move) takes: Celery task messages by task name, by task id, or
 * published longer ago than a duration. Criteria combine with AND; within `tasks` and `ids`, any one matches. A
 * message that is not a Celery task matches only a selector without task criteria; `olderThanMs` needs a publish
 * time (the `timestamp` property or RabbitMQ's `timestamp_in_ms` header), and Celery sets neither, so without one
 * a message never matches it (the result counts them as `undated`).
 */
export interface MessageSelector {
  readonly tasks?: readonly string[] | undefined;
  readonly ids?: readonly string[] | undefined;
  readonly olderThanMs?: number | undefined;
}

export type Verdict = 'match' | 'no-match' | 'undated';

export function isSelective(selector: MessageSelector): boolean {
  return (selector.tasks?.length ?? 0) > 0 || (selector.ids?.length ?? 0) > 0 || selector.olderThanMs !== undefined;
}

/** Whether `delivery` is selected, at `now` (epoch ms). */
export function selectMessage(selector: MessageSelector, delivery: Delivery, now: number): Verdict {
  const byTask = (selector.tasks?.length ?? 0) > 0 || (selector.ids?.length ?? 0) > 0;
  if (byTask) {
    const task = taskOf(delivery);
    if (!task) return 'no-match';
    if (selector.tasks?.length && !selector.tasks.includes(task.name)) return 'no-match';
    if (selector.ids?.length && !selector.ids.includes(task.id)) return 'no-match';
  }
  if (selector.olderThanMs !== undefined) {
    const at = publishedAt(delivery);
    if (at === null) return 'undated';
    if (now - at < selector.olderThanMs) return 'no-match';
  }
  return 'match';
}
