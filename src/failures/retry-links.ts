/**
 * Which task retried which (docs/live-view.md, Retry): the `camq_retry_of` header travels in the message, not in
 * the events, so the view learns the pairs from its own retries' outcomes and from the journal's `task.retry`
 * action records (whose args name the new id).
 */
import type { ActionRecord } from '../journal/journal-records.js';

export class RetryLinks {
  private readonly retryOfMap = new Map<string, string>();
  private readonly retriedAsMap = new Map<string, string[]>();

  /** `newId` was sent as a retry of `original`. */
  add(original: string, newId: string): void {
    if (this.retryOfMap.has(newId)) return;
    this.retryOfMap.set(newId, original);
    const list = this.retriedAsMap.get(original) ?? [];
    list.push(newId);
    this.retriedAsMap.set(original, list);
  }

  /**
   * The pairs named by retry actions that succeeded: the audit record (`task.retry`, its `outcome.result.id`) as
   * the audit sink writes it, or a journal action record (`retry`, the id in `replies`).
   */
  addActions(actions: readonly ActionRecord[]): void {
    for (const action of actions) {
      if ((action.what !== 'task.retry' && action.what !== 'retry') || typeof action.target !== 'string') continue;
      const outcome = (action as { outcome?: unknown }).outcome ?? action.replies;
      const newId = idOf(outcome) ?? idOf((action.args as { newId?: unknown } | undefined)?.newId);
      if (newId !== undefined && isOk(outcome)) this.add(action.target, newId);
    }
  }

  /** Pairs known: goes up with every link added (the live view redraws then). */
  get size(): number {
    return this.retryOfMap.size;
  }

  retryOf(taskId: string): string | undefined {
    return this.retryOfMap.get(taskId);
  }

  /** The retries sent for a task, oldest first. */
  retriedAs(taskId: string): readonly string[] {
    return this.retriedAsMap.get(taskId) ?? [];
  }

  /** "retry of 1a2b3c4d" / "retried as 5e6f7a8b" / both, for a task row; '' when neither. */
  describe(taskId: string): string {
    const parts: string[] = [];
    const of = this.retryOf(taskId);
    if (of !== undefined) parts.push(`retry of ${of.slice(0, 8)}`);
    const as = this.retriedAs(taskId);
    if (as.length > 0) parts.push(`retried as ${as.map((id) => id.slice(0, 8)).join(', ')}`);
    return parts.join(' · ');
  }
}

function idOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const result = (value as { result?: { id?: unknown } } | undefined)?.result;
  return typeof result?.id === 'string' ? result.id : undefined;
}

function isOk(replies: unknown): boolean {
  return (replies as { ok?: unknown } | undefined)?.ok !== false;
}
