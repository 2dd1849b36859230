import type { TaskRecord } from '../../events/cluster-state.js';
import { selectTaskTimeline } from '../../events/selectors.js';
import { formatClockTime, formatRuntime, wrapLines } from '../format.js';

export interface DetailLine {
  readonly text: string;
  readonly tone?: 'label' | 'error' | 'state' | 'dim';
}

const LABEL_WIDTH = 11;

function field(label: string, value: string, width: number, tone?: DetailLine['tone']): DetailLine[] {
  const wrapped = wrapLines(value, Math.max(10, width - LABEL_WIDTH - 1));
  return wrapped.map((text, i) => ({ text: `${(i === 0 ? label : '').padEnd(LABEL_WIDTH)} ${text}`, ...(tone ? { tone } : {}) }));
}

/** Everything known about one task, as lines of at most `width` characters (the details screen scrolls them). */
export function taskDetailLines(task: TaskRecord, width: number): DetailLine[] {
  const lines: DetailLine[] = [];
  lines.push(...field('uuid', task.uuid, width));
  lines.push(...field('name', task.name ?? '(unknown: its task-received was not seen)', width));
  lines.push(...field('state', task.state, width, 'state'));
  if (task.worker) lines.push(...field('worker', task.worker, width));
  if (task.client) lines.push(...field('client', task.client, width));
  lines.push(...field('args', task.args ?? '-', width));
  lines.push(...field('kwargs', task.kwargs ?? '-', width));
  if (task.result !== undefined) lines.push(...field('result', task.result, width));
  if (task.exception !== undefined) lines.push(...field('exception', task.exception, width, 'error'));
  if (task.retries) lines.push(...field('retries', String(task.retries), width));
  if (task.eta) lines.push(...field('eta', task.eta, width));
  if (task.expires) lines.push(...field('expires', task.expires, width));
  if (task.parentId) lines.push(...field('parent', task.parentId, width));
  if (task.rootId && task.rootId !== task.uuid) lines.push(...field('root', task.rootId, width));
  if (task.state === 'REVOKED') {
    const how = [task.terminated ? `terminated (signal ${String(task.signum ?? '?')})` : '', task.expired ? 'expired' : '']
      .filter(Boolean)
      .join(', ');
    if (how) lines.push(...field('revoked', how, width));
  }
  if (task.requeue !== undefined) lines.push(...field('requeue', String(task.requeue), width));
  lines.push({ text: '' });
  lines.push({ text: 'Timings', tone: 'label' });
  const timeline = selectTaskTimeline(task);
  const first = timeline[0]?.at;
  for (const point of timeline) {
    const offset = first === undefined || point.at === first ? '' : `  +${formatRuntime(point.at - first)}`;
    lines.push(...field(point.label, `${formatClockTime(point.at)}${offset}`, width));
  }
  if (task.runtime !== undefined) lines.push(...field('runtime', formatRuntime(task.runtime), width));
  if (task.received !== undefined && task.started !== undefined)
    lines.push(...field('waited', formatRuntime(Math.max(0, task.started - task.received)), width));
  if (task.traceback) {
    lines.push({ text: '' });
    lines.push({ text: 'Traceback', tone: 'label' });
    for (const text of wrapLines(task.traceback.replace(/\n$/, ''), width)) lines.push({ text, tone: 'error' });
  }
  return lines;
}
