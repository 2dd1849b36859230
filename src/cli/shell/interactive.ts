import { clearLine, createInterface, cursorTo, type Interface } from 'node:readline';
import { formatNotice, isCommentOrBlank, type ShellNotice, type ShellSession } from '../../shell/index.js';
import type { CliIO } from '../cli-io.js';
import { HISTORY_SIZE, HistoryFile } from './history-file.js';
import type { LinePrinter } from './line-printer.js';

/**
 * The interactive shell on a terminal: the counting prompt (`1> `, `2> `, ... one per executed line, failed ones
 * too), Tab completion from the engine, history in ~/.camq_history (Up recalls it). Ctrl-C clears the line (or
 * interrupts a command waiting for a lost broker); Ctrl-D on an empty line and `exit` leave.
 */
export async function runInteractive(session: ShellSession, printer: LinePrinter, io: CliIO): Promise<void> {
  const history = HistoryFile.forHome(io.env);
  const rl = createInterface({
    input: io.stdin,
    output: io.stdout,
    terminal: true,
    history: history.load(),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    tabSize: 4,
    completer: (line: string): [string[], string] => {
      const completion = session.complete(line);
      return [[...completion.candidates], line.slice(completion.from)];
    },
  });
  printer.notice("type 'help' for the commands, Tab to complete, Ctrl-D to leave.");

  const pending: string[] = [];
  let running: AbortController | undefined;
  let isClosed = false;
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => (finished = resolve));

  const prompt = () => {
    rl.setPrompt(`${session.nextNumber}> `);
    rl.prompt();
  };

  // A notice that arrives while the prompt waits is printed above it, and the prompt with what was typed comes back.
  const onNotice = (notice: ShellNotice) => {
    if (running || isClosed) {
      printer.lines([formatNotice(notice)]);
      return;
    }
    clearLine(io.stdout, 0);
    cursorTo(io.stdout, 0);
    printer.lines([formatNotice(notice)]);
    rl.prompt(true);
  };
  session.on('notice', onNotice);

  const pump = async () => {
    if (running) return;
    while (pending.length > 0) {
      const line = pending.shift()!;
      if (isCommentOrBlank(line)) continue;
      history.append(line);
      running = new AbortController();
      const outcome = await session.execute(line, { signal: running.signal });
      running = undefined;
      if (!outcome) continue;
      printer.outcome(outcome);
      if (outcome.result?.kind === 'exit') {
        rl.close();
        return;
      }
    }
    if (isClosed) finished();
    else prompt();
  };

  rl.on('line', (line) => {
    pending.push(line);
    void pump();
  });
  rl.on('SIGINT', () => {
    if (running) {
      running.abort();
      return;
    }
    io.stdout.write('^C\n');
    clearInput(rl);
    prompt();
  });
  rl.on('close', () => {
    isClosed = true;
    io.stdout.write('\n');
    if (!running) finished();
  });

  prompt();
  await done;
  session.off('notice', onNotice);
}

/** Empty the line being edited: move to its end, then delete back to its start (Ctrl-E, Ctrl-U). */
function clearInput(rl: Interface): void {
  rl.write(null, { ctrl: true, name: 'e' });
  rl.write(null, { ctrl: true, name: 'u' });
}
