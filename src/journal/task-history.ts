import type { EventEnvelope } from '../protocol/event-message.js';
import { statePrecedence, SUBJECT_TO_STATE } from '../events/task-states.js';

/** One task as the journal's events tell it: the fields `camq history` prints and filters on. */
export interface TaskHistory {
  readonly uuid: string;
  name: string | undefined;
  state: string;
  /** The worker that ran it (the last worker event's hostname). */
  worker: string | undefined;
  args: string | undefined;
  kwargs: string | undefined;
  result: string | undefined;
  exception: string | undefined;
  traceback: string | undefined;
  runtime: number | undefined;
  retries: number;
  /** Epoch seconds of the first and last event (receipt time). */
  firstSeen: number;
  lastSeen: number;
}

/** Folds task events, in time order, into TaskHistory records (Celery's state precedence for out-of-order ones). */
export class TaskHistoryBuilder {
  readonly tasks = new Map<string, TaskHistory>();

  add(event: EventEnvelope): void {
    const e = event as unknown as Record<string, unknown>;
    const uuid = e['uuid'];
    const type = event.type;
    if (typeof uuid !== 'string' || typeof type !== 'string' || !type.startsWith('task-')) return;
    const subject = type.slice(5);
    const at = typeof event.local_received === 'number' ? event.local_received : Number(event.timestamp) || 0;
    let task = this.tasks.get(uuid);
    if (task === undefined) {
      task = {
        uuid,
        name: undefined,
        state: 'PENDING',
        worker: undefined,
        args: undefined,
        kwargs: undefined,
        result: undefined,
        exception: undefined,
        traceback: undefined,
        runtime: undefined,
        retries: 0,
        firstSeen: at,
        lastSeen: at,
      };
      this.tasks.set(uuid, task);
    }
    if (at < task.firstSeen) task.firstSeen = at;
    if (at > task.lastSeen) task.lastSeen = at;
    const state = SUBJECT_TO_STATE[subject] ?? subject.toUpperCase();
    if (statePrecedence(state) <= statePrecedence(task.state) || task.state === 'RETRY') task.state = state;
    if (subject === 'retried') task.retries++;
    if (typeof e['name'] === 'string') task.name = e['name'];
    if (typeof e['args'] === 'string') task.args = e['args'];
    if (typeof e['kwargs'] === 'string') task.kwargs = e['kwargs'];
    if (typeof e['result'] === 'string') task.result = e['result'];
    if (typeof e['exception'] === 'string') task.exception = e['exception'];
    if (typeof e['traceback'] === 'string') task.traceback = e['traceback'];
    if (typeof e['runtime'] === 'number') task.runtime = e['runtime'];
    if (subject !== 'sent' && typeof event.hostname === 'string') task.worker = event.hostname;
  }
}
