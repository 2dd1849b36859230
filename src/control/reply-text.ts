import { findControlCommand } from '../protocol/control-catalog.js';
import { isErrorReply, isOkReply } from '../protocol/control-replies.js';
import { pyRepr, pyTupleRepr } from '../protocol/python-repr.js';
import type { ControlResult } from './reply-collector.js';
import { plainText } from '../protocol/plain-text.js';
import { isObject } from '../protocol/is-object.js';

/**
 * Replies as text, the way `celery inspect|control` prints them (docs/protocol.md, Remote control): one `-> node: OK ...` block per
 * worker as replies arrive, then, for task and queue listings, one table over all workers (as table data: celeryctl
 * renders it with cli/output/control-table.ts), and for read-only commands the `N nodes online.` count. Pure: data
 * in, lines out; how a command's replies are shown comes from its reply shape in the catalog.
 */

/** How a command's replies are shown: `status` only says who answered; listings get a table. */
export type ReplyView = 'status' | 'generic' | 'tasks' | 'scheduled' | 'query' | 'queues';

const LISTINGS: readonly string[] = ['tasks', 'scheduled', 'query', 'queues'] satisfies ReplyView[];

export function viewFor(method: string): ReplyView {
  const shape = findControlCommand(method)?.reply.shape;
  return shape !== undefined && LISTINGS.includes(shape) ? (shape as ReplyView) : 'generic';
}

/** Read-only commands end with the node count, as `celery inspect` does; control commands do not. */
export function showsNodeCount(method: string): boolean {
  return findControlCommand(method)?.kind === 'inspect';
}

type Paint = (text: string) => string;

/** The colours a reply is shown with: a chalk instance, or plain functions. */
export interface ReplyStyle {
  readonly bold: Paint;
  readonly cyan: { readonly bold: Paint };
  readonly green: { readonly bold: Paint };
  readonly red: { readonly bold: Paint };
}

const INDENT = '    ';
/** A one-line rendering longer than this goes on its own indented line instead of after `OK`. */
const INLINE_MAX = 72;
const ARGS_MAX = 40;

/** The block for one reply: `-> w1@host: OK pong`, `-> w1@host: ERROR unknown task`, or `OK` and indented lines. */
export function formatReply(nodename: string, value: unknown, view: ReplyView, style: ReplyStyle): string[] {
  return withHead(`${style.bold('->')} ${style.cyan.bold(`${nodename}:`)} `, replyLines(value, view, style));
}

/** A reply without its head: `OK pong`, `ERROR unknown task`, or `OK` and indented lines. */
function replyLines(value: unknown, view: ReplyView, style: ReplyStyle): string[] {
  const ok = style.green.bold('OK');
  if (isErrorReply(value)) {
    const [first = '', ...rest] = value.error.split('\n');
    return [`${style.red.bold('ERROR')} ${first}`, ...rest.map((l) => INDENT + l)];
  }
  if (view === 'status') return [ok];
  if (view === 'generic' && isBulletList(value)) return [ok, ...value.map((item) => `${INDENT}* ${scalarText(item)}`)];
  const body = view === 'generic' ? genericBody(value) : listingBody(value, view);
  if (body.length === 0) return [ok];
  if (body.length === 1 && body[0]!.length <= INLINE_MAX) return [`${ok} ${body[0]}`];
  return [ok, ...body.map((l) => INDENT + l)];
}

function withHead(head: string, lines: readonly string[]): string[] {
  return [head + lines[0], ...lines.slice(1)];
}

/** Identical replies from this many workers or more print as one `N workers: OK pong` block (unless `--expand`). */
export const GROUP_MIN = 5;

/**
 * The replies grouped, for a large cluster: each set of at least `minGroup` workers whose replies print the same
 * becomes one `198 workers: OK pong` block, largest first; every other reply follows as its own `-> node:` block,
 * in arrival order. Replies that differ in what they hold but print the same (two `OK 1 task`) group too: the
 * listing table after them shows the difference.
 */
export function formatGrouped(result: ControlResult, view: ReplyView, style: ReplyStyle, minGroup = GROUP_MIN): string[] {
  const groups = new Map<string, { lines: string[]; nodes: string[] }>();
  for (const [node, value] of result.replies) {
    const lines = replyLines(value, view, style);
    const key = lines.join('\n');
    const group = groups.get(key);
    if (group) group.nodes.push(node);
    else groups.set(key, { lines, nodes: [node] });
  }
  const big = [...groups.values()].filter((g) => g.nodes.length >= minGroup).sort((a, b) => b.nodes.length - a.nodes.length);
  const grouped = new Set(big.flatMap((g) => g.nodes));
  const out = big.flatMap((g) => withHead(`${style.bold(`${g.nodes.length} workers:`)} `, g.lines));
  for (const [node, value] of result.replies) if (!grouped.has(node)) out.push(...formatReply(node, value, view, style));
  return out;
}

/** At most this many names in the `did not answer` line; `--json` lists them all. */
const SILENT_NAMES_MAX = 20;

/**
 * `2 of 200 workers did not answer within 1 s: w17@h, w90@h`: the live workers (the expected ones) that stayed
 * silent; nothing when everyone answered or camq did not know who should have (then the call waited its timeout).
 */
export function formatSilent(result: ControlResult, timeoutSeconds: number): string[] {
  if (result.expected === null || result.missing.length === 0) return [];
  const total = new Set([...result.expected, ...result.replies.keys()]).size;
  const shown = result.missing.slice(0, SILENT_NAMES_MAX).join(', ');
  const more = result.missing.length > SILENT_NAMES_MAX ? ` and ${result.missing.length - SILENT_NAMES_MAX} more (--json lists them all)` : '';
  return [`${result.missing.length} of ${total} ${total === 1 ? 'worker' : 'workers'} did not answer within ${timeoutSeconds} s: ${shown}${more}`];
}

/** Lists of names or ids (`registered`, `revoked`) get one `* item` line each, as `celery inspect` prints them. */
function isBulletList(value: unknown): value is unknown[] {
  return Array.isArray(value) && value.length > 0 && value.every(isScalar);
}

function genericBody(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (isOkReply(value) && Object.keys(value).length === 1) return value.ok.split('\n');
  if (Array.isArray(value) && value.length === 0) return ['- empty -'];
  return treeLines(value);
}

/** Listings say how many entries a worker has; the entries go into the table printed after all replies. */
function listingBody(value: unknown, view: ReplyView): string[] {
  const count = Array.isArray(value) ? value.length : isObject(value) ? Object.keys(value).length : undefined;
  if (count === undefined) return genericBody(value);
  if (count === 0) return ['- empty -'];
  const noun = view === 'queues' ? 'queue' : 'task';
  return [`${count} ${noun}${count === 1 ? '' : 's'}`];
}

/** The closing `N nodes online.` of read-only commands and `status`, as `celery inspect` prints it. */
export function formatNodeCount(result: ControlResult, view: ReplyView): string[] {
  if (view !== 'status' && !showsNodeCount(result.method)) return [];
  const n = result.replies.size;
  return ['', `${n} ${n === 1 ? 'node' : 'nodes'} online.`];
}

/**
 * `--json`: `{"replies": {"<nodename>": <reply>, ...}, "did_not_answer": [...]}`. `replies` is Celery's `-j`
 * output, each reply exactly as it came; `did_not_answer` names the workers that should have answered and did not
 * (the named destinations, else the live mailboxes), `[]` when all did, `null` when camq could not know who should.
 */
export function formatJson(result: ControlResult): string {
  const known = result.expected !== null || result.destination !== null;
  return JSON.stringify({ replies: Object.fromEntries(result.replies), did_not_answer: known ? result.missing : null });
}

/**
 * Warnings for stderr: node names that answered twice, and named destinations that did not answer. The live workers
 * that stayed silent (`expected`) are named by formatSilent on stdout and in --json's `did_not_answer`, not again here.
 */
export function formatWarnings(result: ControlResult, timeoutSeconds: number): string[] {
  const counts = new Map<string, number>();
  for (const r of result.order) counts.set(r.nodename, (counts.get(r.nodename) ?? 0) + 1);
  const lines = result.duplicates.map(
    (node) => `warning: ${counts.get(node)} replies came from node name ${node}: several workers share it; start each with a unique -n`,
  );
  if (result.expected === null && result.missing.length > 0 && result.replies.size > 0) {
    lines.push(`warning: no reply within ${timeoutSeconds} s from ${result.missing.join(', ')}`);
  }
  return lines;
}

type Row = readonly string[];

/** A listing as table data: a header and one row per task (or queue) over all workers; undefined when empty. */
export interface ListingTable {
  readonly head: Row;
  readonly rows: readonly Row[];
}

export function listingTable(result: ControlResult, view: ReplyView): ListingTable | undefined {
  let head: Row;
  const rows: Row[] = [];
  const each = <T>(fn: (item: T, worker: string) => Row | undefined) => {
    for (const [worker, value] of result.replies) {
      if (!Array.isArray(value)) continue;
      for (const item of value as T[]) {
        const row = isObject(item) ? fn(item, worker) : undefined;
        if (row) rows.push(row);
      }
    }
  };
  switch (view) {
    case 'tasks':
      head = ['id', 'name', 'args', 'eta', 'priority', 'worker'];
      each<Record<string, unknown>>((task, worker) => taskRow(task, '-', worker));
      break;
    case 'scheduled':
      head = ['id', 'name', 'args', 'eta', 'priority', 'worker'];
      each<Record<string, unknown>>((entry, worker) =>
        isObject(entry['request']) ? taskRow(entry['request'], shortIso(entry['eta']), worker) : undefined,
      );
      break;
    case 'query':
      head = ['id', 'name', 'args', 'state', 'priority', 'worker'];
      for (const [worker, value] of result.replies) {
        if (!isObject(value) || isErrorReply(value)) continue;
        for (const [id, entry] of Object.entries(value)) {
          if (Array.isArray(entry) && isObject(entry[1])) rows.push(taskRow({ ...entry[1], id }, String(entry[0]), worker));
        }
      }
      break;
    case 'queues':
      head = ['queue', 'exchange', 'type', 'routing key', 'worker'];
      each<Record<string, unknown>>((q, worker) => {
        const exchange = isObject(q['exchange']) ? q['exchange'] : {};
        return [text(q['name']), text(exchange['name']), text(exchange['type']), text(q['routing_key']), worker];
      });
      break;
    default:
      return undefined;
  }
  return rows.length === 0 ? undefined : { head, rows };
}

/**
 * One task as a row. `priority` is the message priority (`delivery_info.priority`), not the worker's internal
 * timer priority that `scheduled` entries also carry (always 6 on Celery, docs/protocol.md, Remote control).
 */
function taskRow(task: Record<string, unknown>, third: string, worker: string): Row {
  const delivery = isObject(task['delivery_info']) ? task['delivery_info'] : {};
  return [text(task['id']), text(task['name']), argsText(task['args'], task['kwargs']), third, text(delivery['priority']), worker];
}

/** `(2, 2)`, plus the kwargs when there are any, as Python would print them; cut at 40 characters. */
export function argsText(args: unknown, kwargs: unknown): string {
  let out = Array.isArray(args) ? pyTupleRepr(args) : typeof args === 'string' ? args : '()';
  if (typeof kwargs === 'string' && kwargs !== '{}' && kwargs !== '') out += ` ${kwargs}`;
  else if (isObject(kwargs) && Object.keys(kwargs).length > 0) out += ` ${pyRepr(kwargs)}`;
  return out.length <= ARGS_MAX ? out : out.slice(0, ARGS_MAX - 1) + '…';
}

/** `2026-11-21T19:05:39.970070+00:00` → `2026-11-21T19:05:39+00:00`: seconds are plenty on screen. */
function shortIso(value: unknown): string {
  return typeof value === 'string' ? value.replace(/(T\d\d:\d\d:\d\d)\.\d+/, '$1') : text(value);
}

/** Nested replies (stats, conf, ...) as indented `key: value` lines; short scalar lists stay on one line. */
export function treeLines(value: unknown, indent = ''): string[] {
  if (isScalar(value))
    return String(scalarText(value))
      .split('\n')
      .map((l) => indent + l);
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${indent}[]`];
    const inline = inlineList(value);
    if (inline !== undefined) return [indent + inline];
    return value.flatMap((item) => {
      const sub = treeLines(item, indent + '  ');
      sub[0] = `${indent}- ${sub[0]!.slice(indent.length + 2)}`;
      return sub;
    });
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return [`${indent}{}`];
  return entries.flatMap(([key, v]) => {
    if (isScalar(v) && !(typeof v === 'string' && v.includes('\n'))) return [`${indent}${key}: ${scalarText(v)}`];
    const inline = Array.isArray(v) ? inlineList(v) : isObject(v) && Object.keys(v).length === 0 ? '{}' : undefined;
    if (inline !== undefined) return [`${indent}${key}: ${inline}`];
    return [`${indent}${key}:`, ...treeLines(v, indent + INDENT)];
  });
}

function inlineList(items: readonly unknown[]): string | undefined {
  if (!items.every(isScalar)) return undefined;
  const line = `[${items.map(scalarText).join(', ')}]`;
  return line.length <= INLINE_MAX ? line : undefined;
}

function isScalar(value: unknown): value is string | number | boolean | null | undefined {
  return value === null || value === undefined || typeof value !== 'object';
}

function scalarText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value === '') return "''";
  return plainText(value);
}

function text(value: unknown): string {
  return value === null || value === undefined || value === '' ? '-' : plainText(value);
}
