import { randomUUID } from 'node:crypto';
import {
  buildTaskMessage,
  requireCompression,
  requireSerializer,
  type BodyFormat,
  type OutgoingMessage,
  type Signature,
  type TaskMessage,
  type TaskSendOptions,
} from '../protocol/index.js';
import { isObject } from '../protocol/is-object.js';
import type { TaskOptions } from './task-registry.js';

/**
 * What a finished task sends on for its canvas (docs/protocol.md, Task messages and The worker's semantics), as
 * Celery's worker does (celery/app/trace.py, backends/base.py `_call_task_errbacks`):
 *
 * - on success, its callbacks (`link`) with the return value prepended to their args (unless `immutable`); several
 *   callbacks go as one group, as Celery applies them; then the next step of its chain: the LAST element of `chain`
 *   (the list is stored in reverse) with `(retval,)` prepended and `chain` = the rest;
 * - on failure, its errbacks (`link_error`) as a group, with the failed task's id prepended (Celery's "old style"
 *   errbacks; Celery calls an errback registered in the same worker whose function takes more than one argument
 *   inline with `(request, exc, traceback)` instead: camq always sends errbacks as tasks).
 *
 * Every message gets `parent_id` = this task's id and `root_id` = its root. Its priority is the signature's
 * `priority` option, else its task's when this worker registers it, else none: Celery's default
 * (`task_inherit_parent_priority` off) passes `priority=None`, which `Signature.apply_async` drops, so the finished
 * task's own priority is not inherited (checked against a Python Celery 5.2 worker). A signature's own options
 * (task_id, queue, exchange/routing_key, countdown, eta, expires, time limits, link, link_error, shadow, headers,
 * reply_to, serializer, compression) are honoured; it goes to `options.queue`, else (no exchange or routing key
 * given) the queue of its task when this worker registers it with one, else the app's default queue. Its body is
 * written as Celery's `signature.apply_async` writes it: in the signature's `serializer`/`compression` options, else
 * in those of its task when this worker registers it, else JSON.
 * Its result goes to `options.reply_to` when the sender froze one (chains do), else to this task's `reply_to`, so
 * whoever sent the workflow can read it (Celery would use the worker's own reply queue, which nobody reads).
 *
 * Signatures of type `chain` and `group` are expanded; chords are not supported (the rpc:// backend has no chords
 * either) and come back in `unsupported`, to be logged. Pure: no I/O; the worker declares the queues and publishes.
 */

/** One message to publish; `queue` is the queue to declare first (task_create_missing_queues), when routed by queue. */
export interface CanvasSend {
  readonly message: OutgoingMessage & { readonly id: string };
  readonly queue: string | undefined;
}

export interface CanvasPlan {
  readonly sends: CanvasSend[];
  /** Celery's result tuples of what was sent, for the `children` field of this task's result. */
  readonly children: unknown[];
  /** One line per signature that could not be applied (chords, unknown types). */
  readonly unsupported: string[];
  /** One line per serializer/compression option camq cannot write: that signature went as JSON/uncompressed. */
  readonly badFormats: string[];
}

/** The tasks this worker registers, for their serializer, compression, priority and queue (a TaskRegistry). */
export interface CanvasTasks {
  get(name: string): { readonly options: Pick<TaskOptions, 'serializer' | 'compression' | 'priority' | 'queue'> } | undefined;
}

export interface CanvasOptions {
  /** The sender node name written as `origin`. */
  readonly origin: string;
  /** Where a signature without a queue goes. */
  readonly defaultQueue: string;
  /** Epoch ms for countdown/expires arithmetic. @defaultValue Date.now() */
  readonly now?: number;
  /** The worker's tasks: a callback to one of them is written in its serializer/compression. @defaultValue none */
  readonly tasks?: CanvasTasks;
}

/** Whether a finished task has anything to send on (the hot path checks this first). */
export function hasCanvas(task: TaskMessage): boolean {
  const e = task.embed;
  return e.callbacks !== null || e.errbacks !== null || e.chain !== null || e.chord !== null;
}

/** On success: the callbacks, then the next step of the chain. */
export function successPlan(task: TaskMessage, retval: unknown, options: CanvasOptions): CanvasPlan {
  const plan = newPlan();
  const call = baseCall(task, options, [retval]);
  const callbacks = task.embed.callbacks ?? [];
  if (callbacks.length === 1) plan.children.push(apply(callbacks[0]!, call, plan));
  else if (callbacks.length > 1) plan.children.push(applyGroup(callbacks, undefined, call, plan));
  const chain = task.embed.chain;
  if (chain && chain.length > 0) {
    const rest = chain.slice(0, -1);
    plan.children.push(apply(chain.at(-1)!, { ...call, chain: rest }, plan));
  }
  return plan;
}

/** On failure: the errbacks, as one group, with the failed task's id as their first argument. */
export function failurePlan(task: TaskMessage, options: CanvasOptions): CanvasPlan {
  const plan = newPlan();
  const errbacks = task.embed.errbacks ?? [];
  if (errbacks.length > 0) plan.children.push(applyGroup(errbacks, undefined, baseCall(task, options, [task.id]), plan));
  return plan;
}

interface Call {
  /** Prepended to a mutable signature's args. */
  readonly args: readonly unknown[];
  readonly parentId: string;
  readonly rootId: string;
  readonly replyTo: string | null;
  readonly origin: string;
  readonly defaultQueue: string;
  readonly now: number | undefined;
  readonly tasks: CanvasTasks | undefined;
  readonly chain?: readonly Signature[];
  readonly groupId?: string;
  readonly groupIndex?: number;
  /** Options of an enclosing chain/group signature, merged under the signature's own. */
  readonly inherited?: Readonly<Record<string, unknown>>;
}

function newPlan(): { sends: CanvasSend[]; children: unknown[]; unsupported: string[]; badFormats: string[] } {
  return { sends: [], children: [], unsupported: [], badFormats: [] };
}

function baseCall(task: TaskMessage, options: CanvasOptions, args: unknown[]): Call {
  return {
    args,
    parentId: task.id,
    rootId: task.rootId ?? task.id,
    replyTo: task.replyTo,
    origin: options.origin,
    defaultQueue: options.defaultQueue,
    now: options.now,
    tasks: options.tasks,
  };
}

function isSignature(value: unknown): value is Signature {
  return isObject(value) && typeof value['task'] === 'string';
}

/** A signature's args as a call gives them: prepended unless immutable. */
function argsOf(sig: Signature, call: Call): unknown[] {
  const own = Array.isArray(sig.args) ? sig.args : [];
  return sig.immutable ? [...own] : [...call.args, ...own];
}

function tasksOf(sig: Signature): Signature[] {
  const tasks = isObject(sig.kwargs) ? sig.kwargs['tasks'] : undefined;
  return Array.isArray(tasks) ? tasks.filter(isSignature) : [];
}

/** Apply one signature of any supported type; returns its result tuple. */
function apply(sig: Signature, call: Call, plan: ReturnType<typeof newPlan>): unknown {
  const type = sig.subtask_type ?? null;
  if (type === null) return send(sig, call, plan);
  if (type === 'chain') {
    const tasks = tasksOf(sig);
    if (tasks.length === 0) return null;
    // The chain's own partial args go to its first task; its options apply to the first task (Celery's chain.run).
    const [first, ...others] = tasks;
    const chain = [...(call.chain ?? []), ...others.reverse()];
    return apply(first!, { ...call, args: argsOf(sig, call), chain, inherited: inheritable(call, sig.options) }, plan);
  }
  if (type === 'group') {
    if (call.chain && call.chain.length > 0) {
      plan.unsupported.push(`a group followed by more chain steps (a chord) in ${sig.task}`);
      return null;
    }
    return applyGroup(tasksOf(sig), sig, call, plan);
  }
  plan.unsupported.push(`a ${type} signature (${sig.task})`);
  return null;
}

/** Options of a chain or group signature that its tasks take on: not its own id or its own links. */
function inheritable(call: Call, options: unknown): Record<string, unknown> {
  const { task_id: _id, link: _link, link_error: _linkError, chord: _chord, ...rest } = isObject(options) ? options : {};
  return { ...call.inherited, ...rest };
}

/** Apply several signatures as one group (a shared group id, each with its index), like Celery's group.apply_async. */
function applyGroup(sigs: readonly Signature[], group: Signature | undefined, call: Call, plan: ReturnType<typeof newPlan>): unknown {
  const options = group?.options ?? {};
  const groupId = typeof options['task_id'] === 'string' ? options['task_id'] : randomUUID();
  const args = group ? argsOf(group, call) : call.args;
  const inherited = inheritable(call, options);
  const results = sigs.map((sig, groupIndex) => apply(sig, { ...call, args, groupId, groupIndex, inherited }, plan));
  return [[groupId, null], results];
}

/** Publish one plain signature; returns Celery's result tuple `[[id, parent], null]`. */
function send(sig: Signature, call: Call, plan: ReturnType<typeof newPlan>): unknown {
  const o: Record<string, unknown> = { ...call.inherited, ...(isObject(sig.options) ? sig.options : {}) };
  const str = (key: string) => (typeof o[key] === 'string' ? o[key] : undefined);
  const num = (key: string) => (typeof o[key] === 'number' && Number.isFinite(o[key]) ? o[key] : undefined);
  const sigs = (key: string) => {
    const v = o[key];
    const list = (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).filter(isSignature);
    return list.length > 0 ? list : undefined;
  };
  const queueOption = o['queue'];
  const queue =
    typeof queueOption === 'string'
      ? queueOption
      : isObject(queueOption) && typeof queueOption['name'] === 'string'
        ? queueOption['name']
        : undefined;
  const exchange = str('exchange');
  const routingKey = str('routing_key');
  const expires = num('expires') ?? str('expires');
  const eta = str('eta');
  const headers = o['headers'];
  // Celery's apply_async merges the task's own options (queue, priority, serializer, …) under the signature's: a task
  // registered here with a queue of its own goes there unless the signature routes it.
  const own = call.tasks?.get(sig.task)?.options;
  const format = bodyFormat(sig.task, o, own, plan);
  const ownQueue = exchange === undefined && routingKey === undefined ? own?.queue : undefined;
  const options: TaskSendOptions = {
    name: sig.task,
    args: argsOf(sig, call),
    kwargs: isObject(sig.kwargs) ? sig.kwargs : {},
    // An empty queue name is no queue, as in Celery's router: the default queue. Declared as '', it would make the
    // broker invent a durable amq.gen-* queue per message, left behind forever.
    queue: queue || ownQueue || call.defaultQueue,
    parentId: call.parentId,
    rootId: call.rootId,
    origin: call.origin,
    ...pick({
      id: str('task_id'),
      exchange,
      routingKey,
      priority: num('priority') ?? own?.priority,
      countdown: eta === undefined ? num('countdown') : undefined,
      eta,
      expires,
      timeLimit: num('time_limit'),
      softTimeLimit: num('soft_time_limit'),
      shadow: str('shadow'),
      headers: isObject(headers) ? headers : undefined,
      link: sigs('link'),
      linkError: sigs('link_error'),
      chain: call.chain && call.chain.length > 0 ? call.chain : undefined,
      group: call.groupId ?? str('group_id'),
      groupIndex: call.groupIndex ?? num('group_index'),
      replyTo: str('reply_to') ?? call.replyTo ?? undefined,
      ignoreResult: typeof o['ignore_result'] === 'boolean' ? o['ignore_result'] : undefined,
      now: call.now,
      serializer: format.serializer,
      compression: format.compression,
    }),
  };
  const message = buildTaskMessage(options);
  plan.sends.push({ message, queue: exchange ? undefined : options.queue });
  return [[message.id, null], null];
}

/**
 * The signature's `serializer`/`compression` options, each else its registered task's (Celery's apply_async merges
 * the task's options under the signature's), else JSON, uncompressed. A name camq cannot write falls back to that
 * default with one line (Celery would fail the finished task with an EncodeError instead).
 */
function bodyFormat(
  task: string,
  o: Readonly<Record<string, unknown>>,
  own: Pick<TaskOptions, 'serializer' | 'compression'> | undefined,
  plan: ReturnType<typeof newPlan>,
): BodyFormat {
  return {
    serializer: formatOption(task, o['serializer'], own?.serializer, requireSerializer, 'sent as JSON instead', plan),
    compression: formatOption(task, o['compression'], own?.compression, requireCompression, 'sent uncompressed instead', plan),
  };
}

/** One body-format option of a signature: `own` when not asked, the name asked, or the default (one line) when camq cannot write it. */
function formatOption<T extends string>(
  task: string,
  asked: unknown,
  own: T | undefined,
  parse: (name: string) => { readonly name: T },
  instead: string,
  plan: ReturnType<typeof newPlan>,
): T | undefined {
  if (asked === undefined || asked === null) return own;
  try {
    return parse(nameOf(asked)).name;
  } catch (err) {
    plan.badFormats.push(`${task}: ${(err as Error).message}; ${instead}`);
    return undefined;
  }
}

/** An option value as the name it should be (a non-string shows as JSON, so the line says what it was). */
function nameOf(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

/** Drop undefined values, so they do not override buildTaskMessage's defaults. */
function pick<T extends Record<string, unknown>>(values: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(values) as (keyof T)[]) if (values[key] !== undefined) out[key] = values[key];
  return out;
}
