import { Command, InvalidArgumentError } from 'commander';
import { brokerOption, failoverOption } from '../broker-option.js';
import { processIO, writeLine, type CliIO } from '../cli-io.js';
import { parsePositiveInteger } from '../number-options.js';
import { parseTimePoint } from '../../history/time-range.js';
import { parseFailoverStrategy } from '../../transport/broker-url.js';
import { addJournalOptions, journalBroker, journalChoice } from './journal-options.js';

interface HistoryOptions {
  readonly journal?: string | undefined;
  readonly task?: string;
  readonly state?: string;
  readonly id?: string;
  readonly since?: number;
  readonly until?: number;
  readonly json?: boolean;
  readonly actions?: boolean;
  readonly limit?: number;
}

/** `--since 1h` (s, m, h, d, w ago), a time of day (`14:00`) or an ISO date/time → epoch ms. `now` is injectable for tests. */
export function parseTimeBound(text: string, now: number = Date.now()): number {
  const at = parseTimePoint(text, now);
  if (at === undefined)
    throw new InvalidArgumentError(`expected a duration ago (30s, 15m, 1h, 2d, 1w), a time (14:00) or an ISO date, got '${text}'`);
  return at;
}

/**
 * `camq history`: the journal's tasks as lines or JSON (one object per line), filtered by name, state, id and time;
 * `--actions` lists the audit trail instead (docs/journal.md).
 */
export function createHistoryCommand(io: CliIO = processIO): Command {
  const command = new Command('history')
    .description('list the tasks recorded in the journal (or, with --actions, the actions camq took)')
    .option('--task <name>', 'only tasks of this name')
    .option('--state <state>', 'only tasks in this final state (SUCCESS, FAILURE, RETRY, REVOKED, ...)')
    .option('--id <task-id>', 'only this task')
    .option('--since <when>', 'from this long ago (30s, 15m, 1h, 2d, 1w), this time (14:00) or this ISO date', (t) => parseTimeBound(t))
    .option('--until <when>', 'up to this long ago, this time or this ISO date', (t) => parseTimeBound(t))
    .option('--limit <n>', 'the newest N only', parsePositiveInteger)
    .option('--actions', 'list the recorded actions (the audit trail)')
    .option('--json', 'one JSON object per line')
    .addOption(brokerOption())
    .addOption(failoverOption());
  return addJournalOptions(command, { optOut: false }).action(async (options: HistoryOptions, cmd: Command) => {
    const journal = journalChoice(options.journal, cmd);
    const globals = cmd.optsWithGlobals<{ broker?: string; failover?: string }>();
    // History does not connect: the strategy only names no node, but a bad one is refused as everywhere else.
    parseFailoverStrategy(globals.failover ?? io.env['CAMQ_BROKER_FAILOVER']);
    await printHistory({ ...options, journal: journal === false ? undefined : journal }, globals.broker, io);
  });
}

async function printHistory(options: HistoryOptions, brokerFlag: string | undefined, io: CliIO): Promise<void> {
  const { journalDirectoryFor, readJournal } = await import('../../journal/index.js');
  const dir = options.journal ?? journalDirectoryFor(journalBroker(brokerFlag, io), io.env);
  const reader = readJournal(dir, (line) => writeLine(io.stderr, line));
  const range = { since: options.since, until: options.until };
  if (options.actions) {
    const actions = newest(reader.actions(range), options.limit);
    for (const a of actions) {
      if (options.json) writeLine(io.stdout, JSON.stringify(a));
      else
        writeLine(
          io.stdout,
          `${isoTime(a.when)}  ${a.who}  ${a.what}${a.target === undefined ? '' : ` ${String(a.target)}`}${a.args === undefined ? '' : ` ${JSON.stringify(a.args)}`}${a.replies === undefined ? '' : ` -> ${clip(JSON.stringify(a.replies), 200)}`}`,
        );
    }
    if (!options.json && actions.length === 0) writeLine(io.stderr, `no actions recorded in ${dir}`);
    return;
  }
  const tasks = newest(reader.tasks({ ...range, name: options.task, state: options.state, taskId: options.id }), options.limit);
  for (const t of tasks) {
    if (options.json) {
      writeLine(io.stdout, JSON.stringify(t));
      continue;
    }
    const outcome = t.state === 'FAILURE' || t.state === 'RETRY' ? (t.exception ?? '') : t.state === 'SUCCESS' ? `-> ${t.result ?? ''}` : '';
    writeLine(io.stdout, `${isoTime(t.lastSeen * 1000)}  ${t.state.padEnd(8)}  ${t.name ?? '?'}[${t.uuid}]  ${t.worker ?? ''}  ${outcome}`.trimEnd());
  }
  if (!options.json && tasks.length === 0) writeLine(io.stderr, `no tasks recorded in ${dir} match`);
}

function newest<T>(items: T[], limit: number | undefined): T[] {
  return limit === undefined ? items : items.slice(-limit);
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
