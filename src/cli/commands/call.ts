import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../../errors/index.js';
import { parseIsoDate } from '../../protocol/iso-date.js';
import { SERIALIZER_NAMES, type SerializerName } from '../../protocol/serializer.js';
import { brokerOption, failoverOption, resolveBroker, withConnection } from '../broker-option.js';
import { processIO, writeLine, type CliIO } from '../cli-io.js';
import { actionJournalOf, actionPolicyFor } from '../read-only.js';
import { openViewJournal } from './journal-options.js';

/**
 * `camq call <task>`, like `celery call`: send a task by name and print its id; with --wait, its result (rpc://, or
 * the Redis result backend with --result-backend).
 * Every option is checked before connecting (one line each: bad JSON, a bad date, a bad number). The engine
 * (src/dispatch/task-dispatcher.ts) builds and sends the message; a call is an action (refused by --read-only).
 * docs/call.md.
 */

interface CallOptions {
  readonly args?: unknown[];
  readonly kwargs?: Record<string, unknown>;
  readonly countdown?: number;
  readonly eta?: string;
  readonly expires?: number | string;
  readonly queue?: string;
  readonly priority?: number;
  readonly serializer?: SerializerName;
  readonly wait?: boolean;
  readonly timeout?: number;
  readonly resultBackend?: string;
  readonly json?: boolean;
  readonly broker?: string;
  readonly failover?: string;
  readonly journal?: string | false;
  readonly readOnly?: boolean;
}

function parseJson(text: string, what: string, example: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} is not valid JSON (${(err as Error).message}); give e.g. '${example}'`, 'usage.bad-json');
  }
}

/** `--args`: a JSON array of positional arguments. */
export function parseArgsOption(text: string): unknown[] {
  const value = parseJson(text, '--args', '[2, 2]');
  if (!Array.isArray(value))
    throw new UsageError(`--args must be a JSON array of positional arguments, e.g. '[2, 2]' (got ${text.slice(0, 40)})`, 'usage.bad-json');
  return value;
}

/** `--kwargs`: a JSON object of keyword arguments. */
export function parseKwargsOption(text: string): Record<string, unknown> {
  const value = parseJson(text, '--kwargs', '{"x": 2}');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`--kwargs must be a JSON object of keyword arguments, e.g. '{"x": 2}' (got ${text.slice(0, 40)})`, 'usage.bad-json');
  }
  return value as Record<string, unknown>;
}

function seconds(text: string, what: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !Number.isFinite(value)) {
    throw new UsageError(`${what} '${text}' is not a number of seconds (e.g. 10 or 1.5)`);
  }
  return value;
}

/** An ISO 8601 date as Celery reads it (a naive one is UTC). */
export function parseDateOption(text: string, what: string): string {
  if (parseIsoDate(text) === undefined) {
    throw new UsageError(`${what} '${text}' is not an ISO 8601 date; give e.g. 2026-12-06T10:30:00Z or 2026-12-06T11:30:00+01:00`, 'usage.bad-date');
  }
  return text;
}

/** `--expires`: seconds from now, or an ISO date. */
export function parseExpiresOption(text: string): number | string {
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) return Number(text);
  if (parseIsoDate(text) === undefined) {
    throw new UsageError(
      `--expires '${text}' is neither seconds from now (e.g. 60) nor an ISO 8601 date (e.g. 2026-12-06T10:30:00Z)`,
      'usage.bad-date',
    );
  }
  return text;
}

export function parsePriorityOption(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value > 255) throw new UsageError(`--priority '${text}' is not a whole number from 0 to 255`);
  return value;
}

export function createCallCommand(io: CliIO = processIO): Command {
  return new Command('call')
    .description('send a task by name, like `celery call`: prints its id; --wait prints its result')
    .argument('<task>', 'the registered task name, e.g. tasks.add')
    .option('-a, --args <json>', 'positional arguments as a JSON array, e.g. [2, 2]', parseArgsOption)
    .option('-k, --kwargs <json>', 'keyword arguments as a JSON object, e.g. {"x": 2}', parseKwargsOption)
    .option('--countdown <seconds>', 'run no sooner than this many seconds from now', (t) => seconds(t, '--countdown'))
    .option('--eta <iso>', 'run no sooner than this date (ISO 8601; a naive date is UTC)', (t) => parseDateOption(t, '--eta'))
    .option('--expires <seconds|iso>', 'discard it if not started by then: seconds from now or an ISO 8601 date', parseExpiresOption)
    .option('-Q, --queue <name>', 'the queue to send it to (default: celery)')
    .option('--priority <n>', 'message priority, 0-255 (a queue with x-max-priority honours it)', parsePriorityOption)
    .addOption(
      new Option('--serializer <name>', 'how the body is written (a worker must accept it)').choices([...SERIALIZER_NAMES]).argParser((t) => {
        if (!(SERIALIZER_NAMES as readonly string[]).includes(t)) throw new InvalidArgumentError(`use one of ${SERIALIZER_NAMES.join(', ')}.`);
        return t as SerializerName;
      }),
    )
    .option('--wait', 'wait for the result and print it (JSON); a failed task exits 1 with its exception')
    .option('--timeout <seconds>', 'with --wait: give up after this many seconds (default: wait for ever)', (t) => seconds(t, '--timeout'))
    .option(
      '--result-backend <url>',
      "with --wait: where the worker stores results (Celery's result_backend): rpc:// (default) or redis://host:port/db",
    )
    .option('--json', 'print {"id": ...} (and "result" with --wait) as one JSON line')
    .addOption(brokerOption())
    .addOption(failoverOption())
    .addOption(new Option('--debug').hideHelp())
    .action(async (task: string, _options: CallOptions, self: Command) => {
      await runCall(io, task, self.optsWithGlobals<CallOptions>());
    });
}

async function runCall(io: CliIO, task: string, opts: CallOptions): Promise<void> {
  if (task.trim() === '') throw new UsageError('the task name is empty; give the registered name, e.g. camq call tasks.add --args "[2, 2]"');
  if (opts.timeout !== undefined && opts.wait !== true) throw new UsageError('--timeout applies to --wait; add --wait to wait for the result');
  if (opts.resultBackend !== undefined && opts.wait !== true)
    throw new UsageError('--result-backend applies to --wait; add --wait to read the result from it');
  if (opts.countdown !== undefined && opts.eta !== undefined) throw new UsageError('give --countdown or --eta, not both');
  const actions = actionPolicyFor(opts.readOnly, io, actionJournalOf(opts));
  actions.check('task.call');
  if (opts.resultBackend !== undefined) {
    // A URL camq cannot read results from is refused before connecting, like every other option.
    const { createResultBackend } = await import('../../transport/create-result-backend.js');
    createResultBackend(opts.resultBackend);
  }
  const broker = await resolveBroker(opts.broker, io, { failover: opts.failover });
  const { createTransport } = await import('../../transport/create-transport.js');
  const { TaskDispatcher } = await import('../../dispatch/task-dispatcher.js');
  await withConnection(
    broker,
    async () => {
      const connection = await createTransport(broker.parsed, { connectionName: 'camq call', reconnect: false }).connect();
      // The body as sent goes into the journal (a task-body record): a retry of it later knows its exact arguments.
      const journal = await openViewJournal(opts.journal, broker, io);
      const dispatcher = new TaskDispatcher({
        connection,
        actions,
        ...(opts.resultBackend === undefined ? {} : { resultBackend: opts.resultBackend }),
        ...(journal === undefined
          ? {}
          : {
              recordBody: (body) => {
                journal.appendTaskBody(body);
                journal.flush();
              },
            }),
      });
      return {
        dispatcher,
        close: async () => {
          await dispatcher.close();
          journal?.close();
          await connection.close();
        },
      };
    },
    async ({ dispatcher }) => {
      const sent = await dispatcher.call({
        name: task,
        args: opts.args ?? [],
        kwargs: opts.kwargs ?? {},
        ...(opts.countdown === undefined ? {} : { countdown: opts.countdown }),
        ...(opts.eta === undefined ? {} : { eta: opts.eta }),
        ...(opts.expires === undefined ? {} : { expires: opts.expires }),
        ...(opts.queue === undefined ? {} : { queue: opts.queue }),
        ...(opts.priority === undefined ? {} : { priority: opts.priority }),
        ...(opts.serializer === undefined ? {} : { serializer: opts.serializer }),
      });
      if (opts.wait !== true) {
        writeLine(io.stdout, opts.json ? JSON.stringify({ id: sent.id }) : sent.id);
        return;
      }
      if (!opts.json) writeLine(io.stdout, sent.id);
      const result = await sent.get(opts.timeout === undefined ? {} : { timeout: opts.timeout });
      writeLine(io.stdout, opts.json ? JSON.stringify({ id: sent.id, result }) : JSON.stringify(result));
    },
  );
}
