import { useMemo, type Dispatch } from 'react';
import type { ControlActions, NodeReply } from '../control-actions.js';
import type { ShellEngineLike } from '../shell-engine-like.js';
import type { UiAction } from '../state/ui-reducer.js';

/** What the keys can ask for that goes beyond the UI state: control commands and the shell. */
export interface ViewActions {
  /** `worker`: where the task was last seen, whose reply is shown first. */
  revoke(uuid: string, terminate: boolean, worker?: string): void;
  rateLimit(taskName: string, rate: string): void;
  /** Ping every worker; `known` (the workers online) lets the notice name the ones that did not answer. */
  ping(known?: readonly string[]): void;
  shellExecute(line: string): void;
  shellComplete(line: string): readonly string[];
  readonly shellPrompt: string;
}

const MAX_NAMED_NODES = 3;

/**
 * The replies on one status line: identical ones grouped (`w1@vm, w2@vm: pong`, `w1@vm, w2@vm, w3@vm +7: pong`), so a
 * large cluster still fits; the group of `firstNode` (the task's own worker) first, then errors, then the rest in
 * the order they came. Or why there is nothing to show.
 */
export function summarizeReplies(replies: readonly NodeReply[], firstNode?: string): { text: string; isOk: boolean } {
  if (replies.length === 0) return { text: 'no worker replied', isOk: false };
  const groups = new Map<string, { ok: boolean; text: string; nodes: string[] }>();
  for (const r of replies) {
    const id = `${r.ok}\u0000${r.text}`;
    const group = groups.get(id) ?? { ok: r.ok, text: r.text, nodes: [] };
    if (r.node === firstNode) group.nodes.unshift(r.node);
    else group.nodes.push(r.node);
    groups.set(id, group);
  }
  const rank = (g: { ok: boolean; nodes: string[] }) => (firstNode !== undefined && g.nodes.includes(firstNode) ? 0 : g.ok ? 2 : 1);
  const ordered = [...groups.values()].map((g, i) => ({ g, i })).sort((a, b) => rank(a.g) - rank(b.g) || a.i - b.i);
  const text = ordered
    .map(({ g }) => {
      const shown = g.nodes.slice(0, MAX_NAMED_NODES).join(', ');
      const more = g.nodes.length > MAX_NAMED_NODES ? ` +${g.nodes.length - MAX_NAMED_NODES}` : '';
      return `${shown}${more}: ${g.text}`;
    })
    .join('; ');
  return { text, isOk: replies.every((r) => r.ok) };
}

/**
 * The known workers that sent no reply, named (`3 of 200 did not answer: w17@h, w90@h, w3@h +1`), or '' when every
 * one answered.
 */
export function silentWorkers(known: readonly string[], replies: readonly NodeReply[]): string {
  const answered = new Set(replies.map((r) => r.node));
  const silent = known.filter((n) => !answered.has(n)).sort();
  if (silent.length === 0) return '';
  const more = silent.length > MAX_NAMED_NODES ? ` +${silent.length - MAX_NAMED_NODES}` : '';
  return `${silent.length} of ${known.length} did not answer: ${silent.slice(0, MAX_NAMED_NODES).join(', ')}${more}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Control commands and shell runs as fire-and-forget calls whose outcome lands in the UI state (a notice, or shell
 * lines). Without the engines (not wired into this build) they say so instead of doing nothing.
 */
export function useViewActions(control: ControlActions | undefined, shell: ShellEngineLike | undefined, dispatch: Dispatch<UiAction>): ViewActions {
  return useMemo(() => {
    const run = (label: string, call: (c: ControlActions) => Promise<readonly NodeReply[]>, firstNode?: string, known?: readonly string[]) => {
      if (!control) {
        dispatch({ type: 'notice', notice: { text: `${label}: remote control is not available in this build`, tone: 'error' } });
        return;
      }
      dispatch({ type: 'notice', notice: { text: `${label}: waiting for replies…`, tone: 'pending' } });
      call(control).then(
        (replies) => {
          const { text, isOk } = summarizeReplies(replies, firstNode);
          const silent = known ? silentWorkers(known, replies) : '';
          // The silent ones first: on a large cluster they are the news, and a long line is cut at its end.
          const line = silent ? `${label}: ${silent}; ${text}` : `${label}: ${text}`;
          dispatch({ type: 'notice', notice: { text: line, tone: isOk && !silent ? 'success' : 'error' } });
        },
        (err: unknown) => dispatch({ type: 'notice', notice: { text: `${label} failed: ${errorText(err)}`, tone: 'error' } }),
      );
    };
    return {
      revoke: (uuid, terminate, worker) =>
        run(`${terminate ? 'terminate' : 'revoke'} ${uuid.slice(0, 8)}`, (c) => c.revoke(uuid, { terminate }), worker),
      rateLimit: (taskName, rate) => run(`rate_limit ${taskName} ${rate}`, (c) => c.rateLimit(taskName, rate)),
      ping: (known) => run('ping', (c) => c.ping(), undefined, known),
      // A getter: the prompt number moves with every command the engine runs.
      get shellPrompt() {
        return shell ? shell.prompt() : '> ';
      },
      shellExecute: (line) => {
        if (!shell) {
          dispatch({ type: 'shell-result', text: 'the shell engine is not available in this build', isError: true });
          return;
        }
        shell.execute(line).then(
          (result) => dispatch({ type: 'shell-result', text: result.text, isError: result.isError }),
          (err: unknown) => dispatch({ type: 'shell-result', text: errorText(err), isError: true }),
        );
      },
      shellComplete: (line) => (shell ? shell.complete(line) : []),
    };
  }, [control, shell, dispatch]);
}
