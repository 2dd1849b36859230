import type { PeekedMessage } from '../../queues/peeked-message.js';
import type { PeekResult } from '../../queues/peek.js';
import type { ChalkInstance } from 'chalk';

/**
 * Peeked messages as text: a task as one header line (position, name[id]) and its fields indented under it; a
 * message that is not a task as `raw` with why, its content type and the start of its body. JSON values as JSON.
 */
export function formatPeeked(message: PeekedMessage, style: ChalkInstance): string[] {
  const meta = [
    `size ${message.size} B`,
    `priority ${message.priority ?? '-'}`,
    `age ${message.ageMs === null ? 'unknown (no timestamp)' : formatAge(message.ageMs)}`,
    `redelivered ${message.redelivered ? 'yes' : 'no'}`,
    ...(message.deliveryCount === null ? [] : [`delivery count ${message.deliveryCount}`]),
  ].join(', ');
  if (message.kind === 'task') {
    return [
      `${style.bold(`#${message.position}`)} ${style.cyan(message.name)}[${message.id}]  (protocol ${message.protocol})`,
      `    args ${json(message.args)}  kwargs ${json(message.kwargs)}`,
      `    eta ${message.eta ?? '-'}  expires ${message.expires ?? '-'}  retries ${message.retries}`,
      `    root ${message.rootId ?? '-'}  parent ${message.parentId ?? '-'}${message.group ? `  group ${message.group}` : ''}`,
      `    ${meta}`,
    ];
  }
  return [
    `${style.bold(`#${message.position}`)} ${style.yellow('raw')} ${message.contentType ?? '(no content type)'}${message.contentEncoding ? ` (${message.contentEncoding})` : ''}: ${message.reason}`,
    `    body ${JSON.stringify(message.preview)}${message.size > message.preview.length ? ' …' : ''}`,
    ...(Object.keys(message.headers).length > 0 ? [`    headers ${json(message.headers)}`] : []),
    `    ${meta}`,
  ];
}

/** The line above a peek's messages: `queue 'celery' (classic): 120 ready, 0 consumers; showing the first 20`. */
export function peekTitle(result: PeekResult): string {
  const { queue, status, kind, messages } = result;
  return (
    `queue '${queue}' (${kind.type}): ${status.messageCount} ready, ${status.consumerCount} consumers; ` +
    `showing ${messages.length === status.messageCount ? 'all' : `the first ${messages.length}`}`
  );
}

function json(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (Buffer.isBuffer(v) ? `<${v.length} bytes>` : v));
}

function formatAge(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}
