import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Lines kept in ~/.camq_history. */
export const HISTORY_SIZE = 1000;

/**
 * The shell's history file, `$HOME/.camq_history`: one command a line, oldest first, capped at HISTORY_SIZE lines
 * (trimmed when loaded). Private to the user (0600): lines can hold message bodies. A file that cannot be read or
 * written only costs the history, never the session.
 */
export class HistoryFile {
  private isWritable = true;

  constructor(readonly path: string) {}

  static forHome(env: NodeJS.ProcessEnv): HistoryFile {
    return new HistoryFile(join(env['HOME'] || homedir(), '.camq_history'));
  }

  /** The saved lines, newest first (the order readline wants). */
  load(): string[] {
    let lines: string[];
    try {
      lines = readFileSync(this.path, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '');
    } catch {
      return [];
    }
    if (lines.length > HISTORY_SIZE) {
      lines = lines.slice(-HISTORY_SIZE);
      this.write(lines.join('\n') + '\n');
    }
    return lines.reverse();
  }

  append(line: string): void {
    if (!this.isWritable || line.trim() === '') return;
    try {
      appendFileSync(this.path, line.trimEnd() + '\n', { mode: 0o600 });
    } catch {
      this.isWritable = false;
    }
  }

  private write(text: string): void {
    try {
      writeFileSync(this.path, text, { mode: 0o600 });
    } catch {
      this.isWritable = false;
    }
  }
}
