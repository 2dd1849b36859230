/**
 * camqadm and celeryctl against random input (issue 9, "Must show"; budget about 10 s of the fuzz project).
 *
 * - Random lines (command names with random arguments, random tokens, unicode, names over 255 bytes, quotes,
 *   control characters, property words) into one ShellSession on the embedded broker: every line is answered (a
 *   hang fails with the line that caused it), every failure is one CamqError line, and after each case the session
 *   still does a normal round trip (queue.declare, basic.publish, basic.get). The heap stays bounded.
 * - Random scripts piped into the camqadm bin with --json --keep-going: one JSON answer per command line, exit
 *   0 or 1, and the round trip appended to the script still works.
 * - Random argument vectors into celeryctl's program, in process, with a connect that fails as an unreachable
 *   broker would: each ends in help (exit 0), or one `Error:` line with exit 1 (usage) or 2 (broker), never a stack
 *   trace or an unexpected-error line.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnection } from '../../src/amqp/index.js';
import { startEmbeddedBroker, type EmbeddedBrokerHandle } from '../../src/broker/embedded.js';
import { createCeleryctlProgram } from '../../src/cli/commands/ctl.js';
import { runCli } from '../../src/cli/main.js';
import { BrokerConnectionError, CamqError } from '../../src/errors/index.js';
import { COMMAND_NAMES, COMMANDS, formatOutcome, isCommentOrBlank, ShellSession, type ShellOutcome } from '../../src/shell/index.js';
import { requiredCount, type ArgSpec } from '../../src/shell/command-table.js';
import { captureIO } from '../helpers/capture-io.js';
import { runBin } from '../helpers/run-bin.js';
import { fuzzParams } from './fuzz-seed.js';

/** Not a timing assertion: a line still unanswered after this long is a hang, reported with the line. */
const HANG_MS = 15_000;

const CONTROL = fc.constantFrom('\u0000', '\u0007', '\b', '\t', '\u000b', '\f', '\u001b', '\u001b[2J', '\u007f', '\u0085', '\u2028', '\u202e');
const LONG_NAME = fc.tuple(fc.constantFrom('é', 'a', '字', '😀'), fc.integer({ min: 60, max: 300 })).map(([c, n]) => c.repeat(n));
const PROPERTY = fc
  .tuple(
    fc.constantFrom(
      'content_type',
      'content_encoding',
      'priority',
      'delivery_mode',
      'correlation_id',
      'reply_to',
      'expiration',
      'message_id',
      'timestamp',
      'type',
      'app_id',
      'user_id',
      'headers',
      'header.x',
      'header.',
    ),
    fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer().map(String),
      LONG_NAME,
      fc.constantFrom('{"a":1}', '{"!":"int8","value":999}', '[1,2]', '{', 'null'),
    ),
  )
  .map(([name, value]) => `${name}=${value}`);

/** One word of a line: plausible arguments mixed with hostile ones. */
const TOKEN = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'yes',
      'no',
      '1',
      '0',
      'true',
      "''",
      '""',
      'direct',
      'fanout',
      'topic',
      'headers',
      'amq.direct',
      'amq.topic',
      'celery',
      '#',
      '*',
      '-1',
      '99999999999999999999',
    ),
  },
  { weight: 3, arbitrary: fc.string({ maxLength: 10 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 2, arbitrary: LONG_NAME },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 300_000 }).map((n) => 'x'.repeat(n)) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 100, max: 20_000 })
      .map((n) => `headers='{"h":"${'y'.repeat(n)}","n":${'['.repeat(n % 150)}${']'.repeat(n % 150)}}'`),
  },
  { weight: 2, arbitrary: PROPERTY },
  { weight: 1, arbitrary: CONTROL },
  { weight: 1, arbitrary: fc.constantFrom("'", '"', "'unterminated", '"a b', '\\', "it's", '"\\"') },
);

const COMMAND = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...COMMAND_NAMES.filter((n) => n !== 'exit')) },
  { weight: 1, arbitrary: fc.constantFrom('queue.delcare', 'basic', 'QUEUE.DECLARE', 'queue.', '.', '') },
  { weight: 1, arbitrary: TOKEN },
);

const SEPARATOR = fc.constantFrom(' ', ' ', ' ', '  ', '\t');

/** Names reused across lines, so declares, binds, publishes and gets meet the same queues and exchanges. */
const NAME = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('fz-a', 'fz-b', 'fz-c', 'fz-x', "''", 'amq.direct', 'amq.fanout', 'amq.topic', 'fz.#', 'fz.*') },
  { weight: 1, arbitrary: TOKEN },
);
const VALUE: Record<ArgSpec['type'], fc.Arbitrary<string>> = {
  string: NAME,
  bool: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('yes', 'no', 'on', 'off', '1', '0') }, { weight: 1, arbitrary: TOKEN }),
  int: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 6 }).map(String) }, { weight: 1, arbitrary: TOKEN }),
};

/** A command with arguments of the types it takes (so most lines reach the broker), now and then one too many. */
const TYPED_COMMAND = fc
  .constantFrom(...COMMANDS.filter((c) => c.name !== 'exit'))
  .chain((spec) =>
    fc
      .tuple(
        fc.tuple(...spec.args.map((a) => VALUE[a.type])),
        fc.integer({ min: 0, max: spec.args.length }),
        spec.takesProperties ? fc.array(PROPERTY, { maxLength: 3 }) : fc.constant([]),
        fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: TOKEN }),
      )
      .map(([values, count, properties, extra]) =>
        [spec.name, ...values.slice(0, Math.max(count, requiredCount(spec))), ...properties, ...(extra === null ? [] : [extra])].join(' '),
      ),
  );

/** A command line: a command name and up to 7 words, or now and then a raw random string. */
const LINE = fc.oneof(
  { weight: 12, arbitrary: TYPED_COMMAND },
  {
    weight: 6,
    arbitrary: fc.tuple(COMMAND, fc.array(fc.tuple(SEPARATOR, TOKEN), { maxLength: 7 })).map(([c, rest]) => c + rest.map(([s, t]) => s + t).join('')),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('# comment', '', '   ', 'help', 'help queue.declare', 'help nope', 'basic.recover', 'basic.ack 1', 'basic.get'),
  },
);

let broker: EmbeddedBrokerHandle;
beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 });
});
afterAll(async () => {
  await broker.close();
});

async function answered(session: ShellSession, line: string): Promise<ShellOutcome | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(line)}: the session hung`)), HANG_MS);
  });
  try {
    return await Promise.race([session.execute(line), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** queue.declare, basic.publish and basic.get of a fresh queue: the session still works. */
async function roundTrip(session: ShellSession): Promise<void> {
  const q = `fuzz-check-${randomUUID().slice(0, 8)}`;
  const body = `ping-${randomUUID().slice(0, 8)}`;
  for (const line of [`queue.declare ${q} no no no yes`, `basic.publish ${body} '' ${q}`]) {
    const outcome = await answered(session, line);
    expect(outcome?.error?.message, line).toBeUndefined();
  }
  const got = await answered(session, `basic.get ${q} yes`);
  expect(got?.result).toMatchObject({ kind: 'message', message: { body } });
  expect((await answered(session, `queue.delete ${q}`))?.ok).toBe(true);
}

describe('camqadm: random lines', () => {
  it('a ShellSession answers every line with one outcome, and still works after each case', async () => {
    const connection = await new BrokerConnection({ url: broker.url, reconnect: true, backoff: { initialMs: 20, maxMs: 200 } }).connect();
    const session = await ShellSession.open({ connection, connectionWaitMs: 10_000 });
    const heapBefore = process.memoryUsage().heapUsed;
    let lines = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(LINE, { minLength: 1, maxLength: 12 }), async (script) => {
          for (const line of script) {
            // Tab completion sees the same text first, as at the prompt.
            expect(() => session.complete(line), line).not.toThrow();
            const outcome = await answered(session, line);
            lines++;
            if (isCommentOrBlank(line)) {
              expect(outcome).toBeUndefined();
              continue;
            }
            expect(outcome, line).toBeDefined();
            if (!outcome!.ok) {
              expect(outcome!.error, line).toBeInstanceOf(CamqError);
              // The error as printed: one line, no stack, no raw control characters.
              const errorLine = formatOutcome(outcome!).find((l) => l.label === 'Error:')!;
              expect(errorLine.text, line).not.toMatch(/[\u0000-\u001f\u007f\u2028\u2029]/);
              expect(outcome!.error!.code, line).not.toBe('shell.internal');
            }
          }
          await roundTrip(session);
        }),
        fuzzParams(80),
      );
    } finally {
      await session.close();
      await connection.close();
    }
    expect(lines).toBeGreaterThan(0);
    // Bounded, not exact: everything above (and the broker's queues) fits in far less.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(256 * 1024 * 1024);
  });

  it('the camqadm bin, fed a random script with --json --keep-going, answers each command line and ends', async () => {
    // The bin reads stdin line by line: keep each generated line on one line, and let no line end the script.
    const binLine = LINE.map((l) => l.replace(/[\r\n]/g, ' ')).filter((l) => !/^\s*exit\b/.test(l));
    await fc.assert(
      fc.asyncProperty(fc.array(binLine, { minLength: 1, maxLength: 25 }), async (script) => {
        const q = `fuzz-bin-${randomUUID().slice(0, 8)}`;
        const tail = [`queue.declare ${q} no no no yes`, `basic.publish tail '' ${q}`, `basic.get ${q} yes`, `queue.delete ${q}`];
        const all = [...script, ...tail];
        const r = await runBin('camqadm', ['-b', broker.url, '--json', '--keep-going'], { input: all.join('\n') + '\n', timeoutMs: 30_000 });
        expect([0, 1], r.stderr).toContain(r.code);
        const answers = r.stdout
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as { ok: boolean; result?: { kind: string; message?: { body: string } } });
        expect(answers).toHaveLength(all.filter((l) => !isCommentOrBlank(l)).length);
        expect(answers.slice(-4).map((a) => a.ok)).toEqual([true, true, true, true]);
        expect(answers.at(-2)?.result?.message?.body).toBe('tail');
        expect(r.stderr).not.toMatch(/^\s+at /m);
      }),
      fuzzParams(6),
    );
  });
});

const CTL_WORDS = [
  'ping',
  'status',
  'rate-limit',
  'revoke',
  'terminate',
  'time-limit',
  'enable-events',
  'disable-events',
  'heartbeat',
  'add-consumer',
  'cancel-consumer',
  'pool-grow',
  'pool-shrink',
  'autoscale',
  'inspect',
  'call',
  'shutdown',
  'help',
  'active',
  'registered',
  'stats',
  'query-task',
  'conf',
  'ping',
  'tasks.add',
  '10/m',
  '10/x',
  '1.5',
  '0',
  '-1',
  'SIGTERM',
  'SIGFOO',
  '9',
  'rate_limit',
  '-d',
  '--destination',
  '-t',
  '--timeout',
  '--limit',
  '-j',
  '--json',
  '-b',
  '--broker',
  '--yes',
  '--args',
  '--exchange',
  '--routing-key',
  '--exchange-type',
  '--signal',
  '-h',
  '--help',
  '-V',
  '--nope',
  '--',
  '-',
  '{"n": 1}',
  '{',
  'w1@host,w2@host',
  '',
];
const ARG = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...CTL_WORDS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: LONG_NAME },
  { weight: 1, arbitrary: CONTROL },
);

describe('celeryctl: random argument vectors', () => {
  it('each run ends in help, or one Error: line with exit 1 or 2; never a stack trace or an unexpected error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(ARG, { maxLength: 8 }), async (args) => {
        const cap = captureIO();
        const unreachable = async (): Promise<never> => {
          throw new BrokerConnectionError(
            'broker.unreachable',
            'cannot reach amqp://fuzz:5672//: connection refused (ECONNREFUSED)',
            'amqp://fuzz:5672//',
          );
        };
        const program = createCeleryctlProgram({ io: cap.io, connect: unreachable, confirm: async () => false });
        const code = await runCli(program, ['node', 'celeryctl', ...args], cap.io);
        const err = cap.err();
        const context = JSON.stringify({ args, code, err: err.slice(0, 500) });
        expect(err, context).not.toMatch(/^\s+at /m);
        expect(err, context).not.toContain('--debug for the stack trace');
        if (code === 0) return; // help or the version, on stdout
        expect([1, 2], context).toContain(code);
        if (code === 1 && err.startsWith('Usage:')) return; // a command group without its command prints its help
        expect(err, context).toMatch(/^Error: [^\n]+\n$/);
        if (code === 2) expect(err, context).toContain('cannot reach');
      }),
      fuzzParams(600),
    );
  });
});
