import type { ActionPolicy } from '../../audit/action-policy.js';
import { Chalk } from 'chalk';
import type { ControlClient } from '../../control/index.js';
import { moveMessages } from '../../queues/move.js';
import { PEEK_EFFECTS, peekQueue } from '../../queues/peek.js';
import { purgeAll } from '../../queues/purge.js';
import { isSameQueuePaneView, queuePaneView, type QueuePaneView } from '../../queues/queue-pane-rows.js';
import type { QueueWatcher, QueueWatchSnapshot } from '../../queues/queue-watcher.js';
import type { Transport } from '../../transport/index.js';
import { isErrorReply, isOkReply } from '../../protocol/control-replies.js';
import { formatNotice, formatOutcome, type TextLine } from '../../shell/format-text.js';
import type { ShellSession } from '../../shell/shell-session.js';
import type { ShellNotice } from '../../shell/shell-result.js';
import type { ControlActions, NodeReply } from '../../tui/control-actions.js';
import type { QueueActions } from '../../tui/queue-actions.js';
import { formatPeeked, peekTitle } from '../output/peeked-text.js';
import type { ShellEngineLike } from '../../tui/shell-engine-like.js';
import { planGroupRetry } from '../../dispatch/retry-plan.js';
import type { TaskDispatcher } from '../../dispatch/task-dispatcher.js';
import { retrySourceOf } from '../../failures/retry-source.js';
import { tappedTaskBody } from '../../journal/task-body-conversion.js';
import type { TaskBodyRecord } from '../../journal/journal-records.js';
import type { JournalReader } from '../../journal/journal-reader.js';
import type { FailureRetryActions } from '../../tui/screens/failures-screen.js';

/**
 * The composition root of the live view: the real engines behind the narrow interfaces the Ink app takes as props.
 * The app never sees a ControlClient or a ShellSession, only these adapters.
 */

/** One line of text for a worker's reply value: `pong`, `new rate limit set successfully`, or the error. */
export function replyText(value: unknown): { ok: boolean; text: string } {
  if (isErrorReply(value)) return { ok: false, text: value.error };
  if (isOkReply(value)) return { ok: true, text: value.ok };
  return { ok: true, text: value === null || value === undefined ? 'ok' : JSON.stringify(value) };
}

/** Revoke, rate-limit and ping through the celeryctl engine (Celery's 1 s broadcast window). */
export function controlActionsFor(client: ControlClient): ControlActions {
  const replies = (order: readonly { nodename: string; value: unknown }[]): NodeReply[] =>
    order.map(({ nodename, value }) => ({ node: nodename, ...replyText(value) }));
  return {
    ping: async () => replies((await client.ping()).order),
    revoke: async (taskId, { terminate }) => replies((await client.revoke(taskId, { terminate })).order),
    rateLimit: async (taskName, rate) => replies((await client.rateLimit(taskName, rate)).order),
  };
}

function lineText(line: TextLine): string {
  return line.label ? `${line.label} ${line.text}` : line.text;
}

/**
 * The camqadm engine as the shell screen wants it. Notices that happen between commands (a lost connection, a
 * reconnect) are shown with the next command's output, as camqadm prints them before its next prompt.
 */
export function shellEngineFor(session: ShellSession): ShellEngineLike {
  const pending: ShellNotice[] = [];
  session.on('notice', (notice) => pending.push(notice));
  return {
    async execute(line) {
      const outcome = await session.execute(line);
      const lines = pending.splice(0).map(formatNotice);
      if (outcome) lines.push(...formatOutcome(outcome));
      return { text: lines.map(lineText).join('\n'), isError: outcome ? !outcome.ok : false };
    },
    complete(line) {
      const { candidates, from } = session.complete(line);
      return candidates.map((candidate) => line.slice(0, from) + candidate);
    },
    prompt: () => `${session.nextNumber}> `,
  };
}

/** How many messages Enter in the queues pane peeks (`camq queues peek`'s default). */
export const PANE_PEEK_COUNT = 20;

/**
 * The queues engine as the queues pane wants it: the watcher's listings made into rows once per listing (never per
 * frame), and peek, purge and move on the view's connection, each followed by a fresh listing.
 */
export function queueActionsFor(watcher: QueueWatcher, transport: Transport, actions?: ActionPolicy): QueueActions {
  let last: { snapshot: QueueWatchSnapshot; view: QueuePaneView } | undefined;
  const plain = new Chalk({ level: 0 });
  return {
    subscribe: (listener) => watcher.subscribe(listener),
    getSnapshot: () => {
      const snapshot = watcher.getSnapshot();
      if (last?.snapshot !== snapshot) {
        const view = queuePaneView(snapshot, watcher.growth, watcher.history);
        // The same object when nothing shown changed, so React's useSyncExternalStore does not render the view again.
        last = { snapshot, view: last !== undefined && isSameQueuePaneView(last.view, view) ? last.view : view };
      }
      return last.view;
    },
    async peek(queue) {
      const result = await peekQueue(transport, queue, { count: PANE_PEEK_COUNT });
      return { title: peekTitle(result), lines: result.messages.flatMap((m) => formatPeeked(m, plain)), note: PEEK_EFFECTS };
    },
    async purge(queue) {
      const { messageCount } = await purgeAll(transport, queue, actions === undefined ? {} : { actions });
      watcher.refresh();
      return messageCount;
    },
    async move(from, to) {
      const { moved } = await moveMessages(transport, from, to, actions === undefined ? {} : { actions });
      watcher.refresh();
      return moved;
    },
  };
}

/**
 * The failures screen's retries: the dry run from what the view knows of each task (its tapped body when the
 * journal holds one, else its events' argsrepr/kwargsrepr), sent through the dispatcher (the view's action policy:
 * read-only refuses).
 */
export function failureRetryFor(dispatcher: TaskDispatcher, journal: Pick<JournalReader, 'entries'> | undefined): FailureRetryActions {
  return {
    plan: (tasks) => {
      // One scan of the journal's task bodies for the whole group (the newest body of each task wins).
      const wanted = new Set(tasks.map((t) => t.uuid));
      const bodies = new Map<string, TaskBodyRecord>();
      for (const entry of journal?.entries({ kinds: ['task-body'] }) ?? [])
        if (entry.kind === 'task-body' && wanted.has(entry.body.taskId)) bodies.set(entry.body.taskId, entry.body);
      return planGroupRetry(
        tasks.map((task) => {
          const body = bodies.get(task.uuid);
          return retrySourceOf(task, body === undefined ? undefined : tappedTaskBody(body));
        }),
      );
    },
    send: (plan) => dispatcher.retryGroup(plan),
  };
}
