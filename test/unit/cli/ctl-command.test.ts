import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { createCeleryctlProgram, createCtlCommand, type CtlDeps } from '../../../src/cli/commands/ctl.js';
import { runCli } from '../../../src/cli/main.js';
import { captureIO } from '../../helpers/capture-io.js';
import { fakeClient, recordingConnect, type FakeReplies } from './ctl-test-kit.js';

const TASK = {
  id: '130d0ac8-0cf1-46fb-b30d-2f202b41d772',
  name: 'tasks.sleep',
  args: [20.0],
  kwargs: {},
  type: 'tasks.sleep',
  hostname: 'w1@vm',
  time_start: null,
  acknowledged: false,
  delivery_info: { exchange: '', routing_key: 'celery', priority: 0, redelivered: false },
  worker_pid: null,
};

/** The live workers the fake management API reports: by default exactly those that reply. */
const liveAre = (nodes: readonly string[]) => vi.fn(async () => ({ nodes }));

async function celeryctl(args: string[], replies: FakeReplies = [], deps: Partial<CtlDeps> & { stdinIsTTY?: boolean; stderrIsTTY?: boolean } = {}) {
  const cap = captureIO({ stdinIsTTY: deps.stdinIsTTY ?? false, stderrIsTTY: deps.stderrIsTTY ?? false });
  const client = fakeClient(replies);
  const connect = recordingConnect(client);
  const liveWorkers = deps.liveWorkers ?? liveAre([...new Set(replies.map(([node]) => node))]);
  const code = await runCli(createCeleryctlProgram({ io: cap.io, connect, ...deps, liveWorkers }), ['node', 'celeryctl', ...args], cap.io);
  return { code, out: cap.out(), err: cap.err(), client, connect };
}

describe('celeryctl: bad input is refused before connecting', () => {
  it.each([
    [['rate-limit', 'tasks.add', '10/x'], /invalid rate '10\/x': unknown unit 'x'/],
    [['rate-limit', 'tasks.add'], /missing required argument 'rate'/],
    [['revoke'], /missing required argument 'id'/],
    [['revoke', 'abc', '--signal', 'NOPE'], /unknown signal 'NOPE'/],
    [['terminate', 'KILL'], /missing required argument 'id'/],
    [['inspect', 'nope'], /unknown inspect target 'nope'/],
    [['inspect', 'query-task'], /needs at least one id/],
    [['inspect', 'stats', 'extra'], /takes no arguments/],
    [['call', 'x', '--args', '{bad'], /--args is not valid JSON/],
    [['call', 'x', '--args', '[1,2]'], /--args must be a JSON object/],
    [['time-limit', 'tasks.add', 'soon'], /invalid soft time limit 'soon'/],
    [['autoscale', '2', '5'], /larger than max/],
    [['pool-grow', '-1'], /invalid pool-grow n/],
    [['add-consumer', 'q', '--exchange-type', 'bogus'], /Allowed choices are direct, topic, fanout, headers/],
    [
      ['add-consumer', 'é'.repeat(128)],
      /the queue name is 256 bytes in UTF-8 \(128 characters\); AMQP allows at most 255 bytes there, so nothing was sent/,
    ],
    [['add-consumer', 'q', '--exchange', 'x'.repeat(256)], /the exchange name is 256 bytes; AMQP allows at most 255/],
    [['add-consumer', 'q', '--routing-key', '字'.repeat(86)], /the routing key is 258 bytes in UTF-8 \(86 characters\)/],
    [['cancel-consumer', 'é'.repeat(128)], /the queue name is 256 bytes/],
    [['ping', '-t', '0'], /expected seconds as a number > 0/],
    [['ping', '--limit', 'two'], /expected a whole number >= 1/],
    [['ping', '-d', ' , '], /expected node names separated by commas/],
    [['ping', '-b', 'ftp://host'], /invalid broker URL|unsupported/],
    [['shutdown'], /add --yes to confirm when stdin is not a terminal/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('%j', async (args, message) => {
    const r = await celeryctl(args, [['w1@vm', { ok: 'pong' }]]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/^Error: [^\n]+\n$/);
    expect(r.connect).not.toHaveBeenCalled();
  });
});

describe('celeryctl: what goes on the wire', () => {
  it('sends Celery method names with the common options', async () => {
    const r = await celeryctl(['rate-limit', 'tasks.add', '10/m', '-d', 'w1@vm, w2@vm', '-t', '0.5', '--limit', '3'], [['w1@vm', { ok: 'x' }]]);
    expect(r.code).toBe(0);
    expect(r.client.broadcasts[0]!.command).toEqual({ method: 'rate_limit', arguments: { task_name: 'tasks.add', rate_limit: '10/m' } });
    expect(r.client.broadcasts[0]!.options).toMatchObject({ destination: ['w1@vm', 'w2@vm'], timeout: 0.5, limit: 3 });
    expect(r.client.closed).toBe(true);
  });

  it.each([
    [
      ['revoke', 'a', 'b', '--terminate', '--signal', 'KILL'],
      { method: 'revoke', arguments: { task_id: ['a', 'b'], terminate: true, signal: 'SIGKILL' } },
    ],
    [['terminate', 'TERM', 'a'], { method: 'terminate', arguments: { signal: 'SIGTERM', task_id: ['a'] } }],
    [['time-limit', 'tasks.sleep', '5', '10'], { method: 'time_limit', arguments: { task_name: 'tasks.sleep', soft: 5, hard: 10 } }],
    [['enable-events'], { method: 'enable_events', arguments: {} }],
    [['disable-events'], { method: 'disable_events', arguments: {} }],
    [['heartbeat'], { method: 'heartbeat', arguments: {} }],
    [
      ['add-consumer', 'images', '--exchange', 'media', '--exchange-type', 'topic', '--routing-key', 'img.#'],
      { method: 'add_consumer', arguments: { queue: 'images', exchange: 'media', exchange_type: 'topic', routing_key: 'img.#' } },
    ],
    [['cancel-consumer', 'images'], { method: 'cancel_consumer', arguments: { queue: 'images' } }],
    [['pool-grow'], { method: 'pool_grow', arguments: { n: 1 } }],
    [['pool-shrink', '2'], { method: 'pool_shrink', arguments: { n: 2 } }],
    [['autoscale', '10', '3'], { method: 'autoscale', arguments: { max: 10, min: 3 } }],
    [['inspect', 'dump-reserved'], { method: 'reserved', arguments: {} }],
    [['inspect', 'query_task', 'a', 'b'], { method: 'query_task', arguments: { ids: ['a', 'b'] } }],
    [['call', 'dump_tasks', '--args', '{"builtins": true}'], { method: 'dump_tasks', arguments: { builtins: true } }],
    [['status'], { method: 'ping', arguments: {} }],
  ])('%j', async (args, command) => {
    const r = await celeryctl(args, [['w1@vm', { ok: 'done' }]]);
    expect(r.code).toBe(0);
    expect(r.client.broadcasts.map((b) => b.command)).toEqual([command]);
    expect(r.client.broadcasts[0]!.options.timeout).toBe(1);
  });
});

describe('celeryctl: output', () => {
  const two: FakeReplies = [
    ['w1@vm', { ok: 'pong' }],
    ['w2@vm', { ok: 'pong' }],
  ];

  it('ping prints one line per worker and the count', async () => {
    const r = await celeryctl(['ping'], two);
    expect(r.out).toBe('-> w1@vm: OK pong\n-> w2@vm: OK pong\n\n2 nodes online.\n');
    expect(r.err).toBe('');
  });

  it('status prints the workers and the count', async () => {
    const r = await celeryctl(['status'], [['w1@vm', { ok: 'pong' }]]);
    expect(r.out).toBe('-> w1@vm: OK\n\n1 node online.\n');
  });

  it('--json prints each reply as it came, keyed by node', async () => {
    const r = await celeryctl(
      ['inspect', 'reserved', '--json'],
      [
        ['w1@vm', [TASK]],
        ['w2@vm', []],
      ],
    );
    expect(JSON.parse(r.out).replies).toEqual({ 'w1@vm': [TASK], 'w2@vm': [] });
  });

  it('control commands print their status line and no count; errors show as ERROR for that worker', async () => {
    const r = await celeryctl(
      ['rate-limit', 'tasks.nope', '1/s'],
      [
        ['w1@vm', { error: 'unknown task' }],
        ['w2@vm', { ok: 'new rate limit set successfully' }],
      ],
    );
    expect(r.code).toBe(0);
    expect(r.out).toBe('-> w1@vm: ERROR unknown task\n-> w2@vm: OK new rate limit set successfully\n');
  });

  it('reserved tasks become table rows with the worker', async () => {
    const r = await celeryctl(
      ['inspect', 'reserved'],
      [
        ['w1@vm', [TASK]],
        ['w2@vm', []],
      ],
    );
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('-> w1@vm: OK 1 task');
    expect(lines[1]).toBe('-> w2@vm: OK - empty -');
    expect(r.out).toMatch(/│ id\s+│ name\s+│ args\s+│ eta │ priority │ worker │/);
    expect(r.out).toMatch(/│ 130d0ac8-0cf1-46fb-b30d-2f202b41d772 │ tasks.sleep │ \(20,\)\s+│ -\s+│ 0\s+│ w1@vm\s+│/);
    expect(r.out.trimEnd().endsWith('2 nodes online.')).toBe(true);
  });

  it('no reply: the Celery message and exit code 3', async () => {
    const r = await celeryctl(['ping', '-d', 'nobody@nowhere'], two);
    expect(r.code).toBe(3);
    expect(r.out).toBe('');
    expect(r.err).toBe('Error: No nodes replied within time constraint.\n');
  });

  it('warns on stderr about duplicate node names and silent destinations', async () => {
    const dup = await celeryctl(['ping'], [...two, ['w1@vm', { ok: 'pong' }]]);
    expect(dup.err).toMatch(/warning: 2 replies came from node name w1@vm/);
    const missing = await celeryctl(['ping', '-d', 'w1@vm,w3@vm'], two);
    expect(missing.code).toBe(0);
    expect(missing.err).toMatch(/warning: no reply within 1 s from w3@vm/);
  });
});

describe('celeryctl on a large cluster: live workers, grouping, the silent ones', () => {
  const pongs = (n: number): FakeReplies => Array.from({ length: n }, (_, i) => [`w${i + 1}@h`, { ok: 'pong' }] as const);
  const names = (n: number) => Array.from({ length: n }, (_, i) => `w${i + 1}@h`);

  it('groups identical replies and names the live workers that did not answer', async () => {
    const r = await celeryctl(['ping'], [...pongs(198), ['odd@h', { error: 'busy' }]], { liveWorkers: liveAre([...names(200), 'odd@h']) });
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      '198 workers: OK pong\n-> odd@h: ERROR busy\n2 of 201 workers did not answer within 1 s: w199@h, w200@h\n\n199 nodes online.\n',
    );
    expect(r.client.broadcasts[0]!.options.expected).toBeTypeOf('function');
  });

  it('--expand prints one line per worker, as replies arrive', async () => {
    const r = await celeryctl(['ping', '--expand'], pongs(6), { liveWorkers: liveAre(names(7)) });
    expect(r.out).toBe(
      `${names(6)
        .map((n) => `-> ${n}: OK pong\n`)
        .join('')}1 of 7 workers did not answer within 1 s: w7@h\n\n6 nodes online.\n`,
    );
  });

  it('--json: Celery’s object under replies, the silent ones under did_not_answer', async () => {
    const r = await celeryctl(['ping', '--json'], pongs(2), { liveWorkers: liveAre(names(3)) });
    expect(JSON.parse(r.out)).toEqual({ replies: { 'w1@h': { ok: 'pong' }, 'w2@h': { ok: 'pong' } }, did_not_answer: ['w3@h'] });
  });

  it('without the management API: the whole timeout, one line saying why, and did_not_answer null', async () => {
    const liveWorkers = vi.fn(async () => ({ reason: 'cannot reach the management API at http://h:15672 (ECONNREFUSED)' }));
    const r = await celeryctl(['ping', '--json'], pongs(2), { liveWorkers });
    expect(JSON.parse(r.out).did_not_answer).toBeNull();
    expect(r.err).toBe(
      'note: waited the whole 1 s, not knowing which workers are live: cannot reach the management API at http://h:15672 (ECONNREFUSED) (--api URL names the management API; --wait-all silences this)\n',
    );
  });

  it('--wait-all and -d do not ask for the live workers, and print no note', async () => {
    const liveWorkers = vi.fn(async () => ({ reason: 'never asked' }));
    const all = await celeryctl(['ping', '--wait-all'], pongs(2), { liveWorkers });
    const named = await celeryctl(['ping', '-d', 'w1@h'], pongs(2), { liveWorkers });
    expect(liveWorkers).not.toHaveBeenCalled();
    expect(all.client.broadcasts[0]!.options.expected).toBeUndefined();
    expect(all.err + named.err).toBe('');
  });

  it('--api and $CAMQ_API_URL choose the management API to ask', async () => {
    const liveWorkers = vi.fn(async (_broker: unknown, _options: unknown) => ({ nodes: ['w1@h'] }));
    await celeryctl(['ping', '--api', 'http://mq:15672'], pongs(1), { liveWorkers });
    expect(liveWorkers.mock.calls[0]![1]).toEqual({ apiUrl: 'http://mq:15672', timeoutMs: 1000 });
  });

  it('nobody answered and no API: the note and exit 3', async () => {
    const r = await celeryctl(['ping'], [], { liveWorkers: vi.fn(async () => ({ reason: 'no API' })) });
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^note: waited the whole 1 s, not knowing which workers are live: no API .*\nError: No nodes replied/);
  });

  it('the help text’s grace and group size are the engine’s', async () => {
    const { DEFAULT_EXPECTED_GRACE_MS } = await import('../../../src/control/control-client.js');
    const { GROUP_MIN } = await import('../../../src/control/reply-text.js');
    const { DEFAULT_GRACE_MS, GROUP_MIN_TEXT } = await import('../../../src/cli/commands/ctl.js');
    expect(DEFAULT_GRACE_MS).toBe(DEFAULT_EXPECTED_GRACE_MS);
    expect(['one', 'two', 'three', 'four', 'five', 'six'].indexOf(GROUP_MIN_TEXT) + 1).toBe(GROUP_MIN);
  });
});

describe('celeryctl progress while waiting for replies', () => {
  const two: FakeReplies = [
    ['w1@vm', { ok: 'pong' }],
    ['w2@vm', { ok: 'pong' }],
  ];
  const ERASE = '\r\u001b[2K';

  it('on a terminal, stderr shows a spinner counting replies, erased before each reply and at the end', async () => {
    const r = await celeryctl(['ping', '--wait-all'], two, { stderrIsTTY: true });
    expect(r.out).toBe('-> w1@vm: OK pong\n-> w2@vm: OK pong\n\n2 nodes online.\n');
    expect(r.err).toContain('waiting up to 1 s for replies: 0 so far');
    expect(r.err).toContain('waiting up to 1 s for replies: 2 so far');
    expect(r.err.endsWith(ERASE)).toBe(true);
  });

  it('counts against the live workers the management API names', async () => {
    const r = await celeryctl(['ping'], two, { stderrIsTTY: true, liveWorkers: liveAre(['w1@vm', 'w2@vm', 'w3@vm']) });
    expect(r.err).toContain('waiting up to 1 s for replies: 2 of 3');
  });

  it('counts against the named destinations with -d, also with --json', async () => {
    const r = await celeryctl(['ping', '-d', 'w1@vm,w3@vm', '--json'], two, { stderrIsTTY: true });
    expect(JSON.parse(r.out).replies).toEqual({ 'w1@vm': { ok: 'pong' } });
    expect(r.err).toContain('waiting up to 1 s for replies: 1 of 2');
  });

  it('a live count that comes after the call ended does not bring the spinner back', async () => {
    let answer: (v: { nodes: string[] }) => void = () => {};
    const late = new Promise<{ nodes: string[] }>((resolve) => (answer = resolve));
    const cap = captureIO({ stderrIsTTY: true });
    const client = fakeClient(two);
    // This client does not wait for the list, as the real one does not past its deadline.
    const broadcast = client.broadcast;
    client.broadcast = (command: never, options: Record<string, unknown> = {}) => broadcast(command, { ...options, expected: undefined });
    const code = await runCli(
      createCeleryctlProgram({ io: cap.io, connect: recordingConnect(client), liveWorkers: () => late }),
      ['node', 'celeryctl', 'ping'],
      cap.io,
    );
    expect(code).toBe(0);
    const before = cap.err();
    answer({ nodes: ['w1@vm', 'w2@vm', 'w3@vm'] });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(cap.err()).toBe(before);
    expect(before.endsWith(ERASE)).toBe(true);
  });

  it('piped stderr gets no spinner at all', async () => {
    const r = await celeryctl(['ping'], two);
    expect(r.err).toBe('');
  });
});

describe('celeryctl shutdown', () => {
  it('with --yes: pings, then casts shutdown to exactly the workers that answered', async () => {
    const r = await celeryctl(
      ['shutdown', '--yes', '-d', 'w2@vm,w3@vm'],
      [
        ['w1@vm', { ok: 'pong' }],
        ['w2@vm', { ok: 'pong' }],
      ],
    );
    expect(r.code).toBe(0);
    expect(r.client.broadcasts[0]!.command.method).toBe('ping');
    expect(r.client.casts).toEqual([{ command: { method: 'shutdown', arguments: {} }, options: { destination: ['w2@vm'] } }]);
    expect(r.out).toBe('-> w2@vm: OK shutdown requested\n');
  });

  it('on a terminal it asks, and a no sends nothing', async () => {
    const confirm = vi.fn(async () => false);
    const r = await celeryctl(['shutdown'], [['w1@vm', { ok: 'pong' }]], { stdinIsTTY: true, confirm });
    expect(confirm).toHaveBeenCalledWith('Shut down 1 worker (w1@vm)? [y/N] ');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/shutdown cancelled; nothing was sent/);
    expect(r.client.casts).toEqual([]);
  });

  it('on a terminal a yes sends it; --json reports the workers asked', async () => {
    const r = await celeryctl(['shutdown', '--json'], [['w1@vm', { ok: 'pong' }]], { stdinIsTTY: true, confirm: async () => true });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ 'w1@vm': { ok: 'shutdown requested' } });
    expect(r.client.casts).toHaveLength(1);
  });

  it('with nobody answering the ping it exits 3 and sends nothing', async () => {
    const r = await celeryctl(['shutdown', '--yes'], []);
    expect(r.code).toBe(3);
    expect(r.client.casts).toEqual([]);
  });
});

describe('camq ctl', () => {
  it('mounts the same commands under `ctl` and honours the root -b', async () => {
    const cap = captureIO();
    const client = fakeClient([['w1@vm', { ok: 'pong' }]]);
    const connect = recordingConnect(client);
    const root = new Command('camq').option('-b, --broker <url>').addCommand(createCtlCommand({ io: cap.io, connect }));
    const code = await runCli(root, ['node', 'camq', '-b', 'amqp://u:p@h:5672/v', 'ctl', 'ping'], cap.io);
    expect(code).toBe(0);
    expect(connect).toHaveBeenCalledWith('amqp://u:p@h:5672/v');
    expect(cap.out()).toBe('-> w1@vm: OK pong\n\n1 node online.\n');
  });
});
