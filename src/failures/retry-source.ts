import type { TaskRecord } from '../events/cluster-state.js';
import type { RetrySource } from '../dispatch/retry-plan.js';
import type { TappedTaskBody } from '../protocol/trace-message.js';

/**
 * What the view knows of a failed task, for planRetry: its name and the `args`/`kwargs` reprs of its events, the
 * routing key it was sent with, and its tapped body when the journal holds one (`tapped`).
 */
export function retrySourceOf(task: TaskRecord, tapped?: TappedTaskBody): RetrySource {
  return {
    taskId: task.uuid,
    name: task.name ?? '(unknown task)',
    ...(tapped === undefined ? {} : { tapped }),
    argsrepr: task.args,
    kwargsrepr: task.kwargs,
    queue: task.routingKey,
  };
}
