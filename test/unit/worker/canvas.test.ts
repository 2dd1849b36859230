/**
 * What a finished task sends on for its canvas (src/worker/canvas.ts): callbacks, the next chain step, errbacks,
 * chain and group signatures, and what is refused (chords). Inputs are decoded from messages built like Python's.
 */
import { describe, expect, it } from 'vitest';
import {
  buildTaskMessage,
  decodeTaskMessage,
  signature,
  type Signature,
  type TaskMessage,
  type TaskSendOptions,
} from '../../../src/protocol/index.js';
import { failurePlan, hasCanvas, successPlan, type CanvasPlan } from '../../../src/worker/canvas.js';

const OPTIONS = { origin: 'w1@test', defaultQueue: 'celery', now: Date.parse('2026-11-21T19:00:00Z') };

function received(options: Omit<TaskSendOptions, 'name'> & { name?: string }): TaskMessage {
  const built = buildTaskMessage({ name: 'tasks.add', replyTo: 'client-oid', queue: 'q1', ...options });
  const decoded = decodeTaskMessage({
    content: built.content,
    properties: built.properties,
    fields: { exchange: '', routingKey: 'q1', redelivered: false, deliveryTag: 1 },
  });
  if (!decoded.ok) throw new Error(decoded.error.message);
  return decoded.task;
}

/** The sends of a plan as Python would read them: headers, body and the AMQP properties that matter. */
function sent(plan: CanvasPlan) {
  return plan.sends.map(({ message, queue }) => {
    const headers = message.properties.headers as Record<string, unknown>;
    const [args, kwargs, embed] = JSON.parse(message.content.toString('utf8')) as [unknown[], Record<string, unknown>, Record<string, unknown>];
    return {
      queue,
      exchange: message.exchange,
      routingKey: message.routingKey,
      id: headers['id'],
      task: headers['task'],
      args,
      kwargs,
      embed,
      headers,
      properties: message.properties,
    };
  });
}

const sig = (task: string, args: unknown[], options: Record<string, unknown> = {}, immutable = false): Signature =>
  signature(task, args, {}, { immutable, options });

describe('canvas', () => {
  it("chain: sends the last chain element with (retval,) prepended, the rest as its chain, parent/root ids and reply_to kept, not the finished task's priority", () => {
    // chain(add.s(1, 1), add.s(10), add.s(100)) as Python sends its head (PROTOCOL.md §1.4): the chain is reversed
    const last = sig('tasks.add', [100], { task_id: 'id-100', reply_to: 'client-oid' });
    const middle = sig('tasks.add', [10], { task_id: 'id-10', reply_to: 'client-oid' });
    const head = received({ id: 'id-head', args: [1, 1], chain: [last, middle], priority: 3 });
    expect(hasCanvas(head)).toBe(true);
    const plan = successPlan(head, 2, OPTIONS);
    expect(sent(plan)).toEqual([
      expect.objectContaining({
        queue: 'celery',
        exchange: '',
        routingKey: 'celery',
        id: 'id-10',
        task: 'tasks.add',
        args: [2, 10],
        embed: { callbacks: null, errbacks: null, chain: [last], chord: null },
        headers: expect.objectContaining({ parent_id: 'id-head', root_id: 'id-head', argsrepr: '(2, 10)', origin: 'w1@test', group: null }),
        // Celery 5.2's default (task_inherit_parent_priority off): the next step has its own priority, none here.
        properties: expect.objectContaining({ replyTo: 'client-oid', correlationId: 'id-10', priority: 0, deliveryMode: 2 }),
      }),
    ]);
    expect(plan.children).toEqual([[['id-10', null], null]]);
    expect(plan.unsupported).toEqual([]);
    // the next step, once it ran, sends the last one with the same root
    const next = received({ id: 'id-10', args: [2, 10], chain: [last], rootId: 'id-head', parentId: 'id-head' });
    expect(sent(successPlan(next, 12, OPTIONS))).toEqual([
      expect.objectContaining({
        id: 'id-100',
        args: [12, 100],
        embed: expect.objectContaining({ chain: null }),
        headers: expect.objectContaining({ parent_id: 'id-10', root_id: 'id-head' }),
      }),
    ]);
  });

  it('one callback gets the return value first; an immutable one keeps its own args; reply_to falls back to the sender', () => {
    const task = received({ id: 'p', args: [2, 2], link: [sig('tasks.add', [10])], priority: 5 });
    const [cb] = sent(successPlan(task, 4, OPTIONS));
    expect(cb).toMatchObject({
      args: [4, 10],
      queue: 'celery',
      headers: { parent_id: 'p', root_id: 'p', group: null },
      properties: { replyTo: 'client-oid', priority: 0 }, // not the finished task's 5
    });
    expect(typeof cb!.id).toBe('string');
    const immutable = received({ id: 'p2', link: [sig('tasks.noop', [], {}, true)] });
    expect(sent(successPlan(immutable, 'ignored', OPTIONS))[0]).toMatchObject({ task: 'tasks.noop', args: [] });
  });

  it('several callbacks go as one group: a shared group id and their indexes, one group result tuple', () => {
    const task = received({ id: 'p', link: [sig('tasks.a', []), sig('tasks.b', [1])] });
    const plan = successPlan(task, 'r', OPTIONS);
    const [a, b] = sent(plan);
    expect(a).toMatchObject({ task: 'tasks.a', args: ['r'], headers: { group_index: 0 } });
    expect(b).toMatchObject({ task: 'tasks.b', args: ['r', 1], headers: { group_index: 1 } });
    const group = a!.headers['group'];
    expect(typeof group).toBe('string');
    expect(b!.headers['group']).toBe(group);
    expect(plan.children).toEqual([
      [
        [group, null],
        [
          [[a!.id, null], null],
          [[b!.id, null], null],
        ],
      ],
    ]);
  });

  it('callbacks and the chain both go on success; errbacks only on failure, with the failed id first', () => {
    const task = received({
      id: 'p',
      rootId: 'root',
      link: [sig('tasks.cb', [])],
      linkError: [sig('tasks.eb', ['x']), sig('tasks.eb2', [], {}, true)],
      chain: [sig('tasks.next', [])],
    });
    expect(sent(successPlan(task, 7, OPTIONS)).map((s) => [s.task, s.args])).toEqual([
      ['tasks.cb', [7]],
      ['tasks.next', [7]],
    ]);
    const failed = sent(failurePlan(task, OPTIONS));
    expect(failed.map((s) => [s.task, s.args])).toEqual([
      ['tasks.eb', ['p', 'x']],
      ['tasks.eb2', []],
    ]);
    expect(failed[0]!.headers).toMatchObject({ parent_id: 'p', root_id: 'root', group_index: 0 });
    expect(failed[0]!.headers['group']).toBe(failed[1]!.headers['group']);
    expect(failed[0]!.properties.priority).toBe(0);
    expect(sent(failurePlan(received({ id: 'q', link: [sig('tasks.cb', [])] }), OPTIONS))).toEqual([]);
  });

  it("honours a signature's options: queue, routing, countdown, expires, time limits, its own links and priority", () => {
    const own = sig('tasks.x', [1], {
      queue: 'video',
      countdown: 30,
      expires: 60,
      time_limit: 10,
      soft_time_limit: 5,
      shadow: 'nice-name',
      headers: { 'x-trace': 'abc' },
      link: sig('tasks.after', []),
      link_error: [sig('tasks.oops', [])],
      priority: 9,
    });
    const task = received({ id: 'p', link: [own] });
    const [x] = sent(failurePlan(received({ id: 'f', linkError: [own] }), OPTIONS));
    expect(x).toMatchObject({ queue: 'video', routingKey: 'video', properties: { priority: 9, expiration: '60000' } });
    const [y] = sent(successPlan(task, 0, OPTIONS));
    expect(y).toMatchObject({
      queue: 'video',
      args: [0, 1],
      headers: {
        eta: '2026-11-21T19:00:30.000000+00:00',
        expires: '2026-11-21T19:01:00.000000+00:00',
        timelimit: [10, 5],
        shadow: 'nice-name',
        'x-trace': 'abc',
      },
      embed: { callbacks: [expect.objectContaining({ task: 'tasks.after' })], errbacks: [expect.objectContaining({ task: 'tasks.oops' })] },
      properties: { priority: 9 }, // its own, not the finished task's (Celery does not inherit it by default)
    });
    const routed = sent(successPlan(received({ link: [sig('tasks.y', [], { exchange: 'ex', routing_key: 'rk' })] }), 0, OPTIONS))[0];
    expect(routed).toMatchObject({ exchange: 'ex', routingKey: 'rk', queue: undefined });
  });

  it("sends a signature with queue '' (or {name: ''}) to the default queue, never to a server-named queue", () => {
    const task = received({ id: 'p', link: [sig('tasks.x', [], { queue: '' }), sig('tasks.y', [], { queue: { name: '' } })] });
    const sends = sent(successPlan(task, 0, OPTIONS));
    expect(sends.map((x) => [x.queue, x.routingKey])).toEqual([
      ['celery', 'celery'],
      ['celery', 'celery'],
    ]);
  });

  it('expands chain and group signatures used as callbacks', () => {
    const chainSig: Signature = {
      ...signature('celery.chain', [], { tasks: [sig('tasks.a', [1]), sig('tasks.b', [2]), sig('tasks.c', [3])] }),
      subtask_type: 'chain',
    };
    const [first] = sent(successPlan(received({ id: 'p', link: [chainSig] }), 'r', OPTIONS));
    expect(first).toMatchObject({ task: 'tasks.a', args: ['r', 1] });
    expect((first!.embed['chain'] as Signature[]).map((s) => s.task)).toEqual(['tasks.c', 'tasks.b']);
    const groupSig: Signature = {
      ...signature('celery.group', [], { tasks: [sig('tasks.a', []), sig('tasks.b', [])] }, { options: { task_id: 'gid' } }),
      subtask_type: 'group',
    };
    const plan = successPlan(received({ id: 'p', link: [groupSig] }), 'r', OPTIONS);
    expect(sent(plan).map((s) => [s.task, s.args, s.headers['group'], s.headers['group_index']])).toEqual([
      ['tasks.a', ['r'], 'gid', 0],
      ['tasks.b', ['r'], 'gid', 1],
    ]);
    expect(plan.children[0]).toEqual([['gid', null], expect.any(Array)]);
  });

  it('refuses chords, and a group in the middle of a chain, and says so', () => {
    const chord: Signature = { ...signature('celery.chord', [], {}), subtask_type: 'chord' };
    const plan = successPlan(received({ link: [chord] }), 1, OPTIONS);
    expect(plan.sends).toEqual([]);
    expect(plan.unsupported).toEqual(['a chord signature (celery.chord)']);
    const group: Signature = { ...signature('celery.group', [], { tasks: [sig('tasks.a', [])] }), subtask_type: 'group' };
    const midChain = successPlan(received({ chain: [sig('tasks.after', []), group] }), 1, OPTIONS);
    expect(midChain.sends).toEqual([]);
    expect(midChain.unsupported).toEqual(['a group followed by more chain steps (a chord) in celery.group']);
  });

  it("a callback's priority: the signature's, else its registered task's, never the finished task's (Celery 5.2's default)", () => {
    const tasks = new Map([['tasks.urgent', { options: { priority: 7 } }]]);
    const task = received({
      priority: 5,
      link: [sig('tasks.urgent', []), sig('tasks.urgent', [], { priority: 2 }), sig('tasks.other', [])],
    });
    expect(sent(successPlan(task, 0, { ...OPTIONS, tasks })).map((s) => s.properties.priority)).toEqual([7, 2, 0]);
  });

  it('a callback to a task registered here with a queue goes to that queue, unless the signature routes it', () => {
    const tasks = new Map([['tasks.resize', { options: { queue: 'images' } }]]);
    const task = received({
      link: [
        sig('tasks.resize', []),
        sig('tasks.resize', [], { queue: 'fast' }),
        sig('tasks.resize', [], { exchange: 'ex', routing_key: 'rk' }),
        sig('tasks.other', []),
      ],
    });
    expect(sent(successPlan(task, 0, { ...OPTIONS, tasks })).map((s) => [s.queue, s.exchange, s.routingKey])).toEqual([
      ['images', '', 'images'],
      ['fast', '', 'fast'],
      [undefined, 'ex', 'rk'],
      ['celery', '', 'celery'],
    ]);
  });

  describe("the body's serializer and compression (issue 17: as Celery's signature.apply_async)", () => {
    const registered = new Map([
      ['tasks.packed', { options: { serializer: 'msgpack' as const, compression: 'gzip' } }],
      ['tasks.plain', { options: {} }],
    ]);
    const WITH_TASKS = { ...OPTIONS, tasks: registered };
    /** Each send decoded as a worker would (every serializer accepted): [content type, compression header, args]. */
    const formats = (plan: CanvasPlan) =>
      plan.sends.map(({ message }) => {
        const decoded = decodeTaskMessage(
          {
            content: message.content,
            properties: message.properties,
            fields: { exchange: '', routingKey: 'celery', redelivered: false, deliveryTag: 1 },
          },
          new Set(['application/json', 'application/x-msgpack', 'application/x-yaml']),
        );
        if (!decoded.ok) throw new Error(decoded.error.message);
        return [message.properties.contentType, (message.properties.headers as Record<string, unknown>)['compression'], decoded.task.args];
      });

    it("a callback, errback or chain step to a task registered here goes in that task's serializer and compression", () => {
      const task = received({ id: 'p', link: [sig('tasks.packed', [1])], linkError: [sig('tasks.packed', [])], chain: [sig('tasks.packed', [])] });
      expect(formats(successPlan(task, 'r', WITH_TASKS))).toEqual([
        ['application/x-msgpack', 'application/x-gzip', ['r', 1]],
        ['application/x-msgpack', 'application/x-gzip', ['r']],
      ]);
      expect(formats(failurePlan(task, WITH_TASKS))).toEqual([['application/x-msgpack', 'application/x-gzip', ['p']]]);
    });

    it('JSON for a task without options, one not registered here, or no registry given', () => {
      const task = received({ link: [sig('tasks.plain', []), sig('tasks.remote', [])] });
      expect(formats(successPlan(task, 0, WITH_TASKS)).map((f) => f.slice(0, 2))).toEqual([
        ['application/json', undefined],
        ['application/json', undefined],
      ]);
      expect(formats(successPlan(received({ link: [sig('tasks.packed', [])] }), 0, OPTIONS))[0]!.slice(0, 2)).toEqual([
        'application/json',
        undefined,
      ]);
    });

    it("the signature's own serializer/compression options win, key by key, over the registered task's", () => {
      const task = received({
        link: [
          sig('tasks.packed', [], { serializer: 'yaml' }),
          sig('tasks.packed', [], { compression: 'bzip2' }),
          sig('tasks.remote', [], { serializer: 'msgpack', compression: 'zlib' }),
        ],
      });
      expect(formats(successPlan(task, 0, WITH_TASKS)).map((f) => f.slice(0, 2))).toEqual([
        ['application/x-yaml', 'application/x-gzip'],
        ['application/x-msgpack', 'application/x-bz2'],
        ['application/x-msgpack', 'application/x-gzip'],
      ]);
    });

    it('a serializer or compression camq cannot write falls back to JSON / uncompressed, with one line each', () => {
      const task = received({
        link: [sig('tasks.packed', [], { serializer: 'pickle' }), sig('tasks.remote', [], { compression: 'lzma', serializer: 5 })],
      });
      const plan = successPlan(task, 0, WITH_TASKS);
      expect(formats(plan).map((f) => f.slice(0, 2))).toEqual([
        ['application/json', 'application/x-gzip'],
        ['application/json', undefined],
      ]);
      expect(plan.badFormats).toEqual([
        "tasks.packed: serializer 'pickle': camq never writes pickle; use one of json, msgpack, yaml; sent as JSON instead",
        "tasks.remote: serializer '5': unknown serializer; use one of json, msgpack, yaml; sent as JSON instead",
        "tasks.remote: compression 'lzma': camq cannot write lzma; use one of gzip, zlib, bzip2, bzip, brotli; sent uncompressed instead",
      ]);
    });
  });

  it('a task without callbacks, errbacks, chain or chord has no canvas', () => {
    expect(hasCanvas(received({}))).toBe(false);
  });
});
