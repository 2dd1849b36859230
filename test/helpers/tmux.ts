/**
 * Drive a real binary in a real terminal: tmux `new-session`, `send-keys`, `capture-pane -p`. For e2e tests of
 * the interactive shell and the TUI.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { scratchDataHome } from './scratch-data-home.js';

export interface TmuxOptions {
  readonly width?: number;
  readonly height?: number;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

export class TmuxSession {
  readonly name = `camq-e2e-${randomUUID().slice(0, 8)}`;

  constructor(command: string, options: TmuxOptions = {}) {
    // The binaries' journals go to a scratch data directory, never the user's (unless a test names one).
    const env = Object.entries({ XDG_DATA_HOME: scratchDataHome(), ...options.env })
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join(' ');
    // Exported, so the whole command line sees them (`printf …; node …` too), not only its first program.
    const full = env ? `export ${env}; ${command}` : command;
    execFileSync('tmux', [
      'new-session',
      '-d',
      '-s',
      this.name,
      '-x',
      String(options.width ?? 100),
      '-y',
      String(options.height ?? 30),
      ...(options.cwd ? ['-c', options.cwd] : []),
      // keep the pane after the program exits so its last screen can still be read
      `${full}; echo "[exited $?]"; sleep 600`,
    ]);
  }

  /** Send keys as tmux names them (`Enter`, `Tab`, `C-c`, `Up`), or literal text with `literal: true`. */
  send(keys: string | readonly string[], options: { literal?: boolean } = {}): void {
    const list = typeof keys === 'string' ? [keys] : [...keys];
    // `--`: keys that start with '-' (`-1h`) are keys, not flags.
    execFileSync('tmux', ['send-keys', '-t', this.name, ...(options.literal ? ['-l'] : []), '--', ...list]);
  }

  /** Type text, then press Enter. */
  type(text: string, enter = true): void {
    this.send(text, { literal: true });
    if (enter) this.send('Enter');
  }

  /** The visible screen as plain text. */
  capture(): string {
    return execFileSync('tmux', ['capture-pane', '-p', '-t', this.name]).toString();
  }

  /** The visible screen with colour escapes (`capture-pane -e`). */
  captureAnsi(): string {
    return execFileSync('tmux', ['capture-pane', '-p', '-e', '-t', this.name]).toString();
  }

  /** A tmux format variable of the pane, e.g. `keypad_cursor_flag` (1 in application cursor mode). */
  displayFlag(name: string): string {
    return execFileSync('tmux', ['display-message', '-p', '-t', this.name, `#{${name}}`])
      .toString()
      .trim();
  }

  resize(width: number, height: number): void {
    execFileSync('tmux', ['resize-window', '-t', this.name, '-x', String(width), '-y', String(height)]);
  }

  /** Poll the screen until `expected` appears (string, pattern, or a test of the screen); throws with the last screen on timeout. */
  async waitFor(expected: string | RegExp | ((screen: string) => boolean), timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < deadline) {
      screen = this.capture();
      const found =
        typeof expected === 'string' ? screen.includes(expected) : typeof expected === 'function' ? expected(screen) : expected.test(screen);
      if (found) return screen;
      await new Promise((r) => setTimeout(r, 100));
    }
    const what = typeof expected === 'function' ? 'the screen to pass its test' : String(expected);
    throw new Error(`timed out waiting for ${what}; screen was:\n${screen}`);
  }

  kill(): void {
    try {
      execFileSync('tmux', ['kill-session', '-t', this.name], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
